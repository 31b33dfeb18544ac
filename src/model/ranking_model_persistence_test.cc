// RankingModel's persistence and replication: Save/Load round-trips (with optimizer state), a
// damaged or mismatched directory is refused without changing the model, and SyncTo makes a
// serving replica score like the trainer.
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/file_util.h"
#include "embedding/feature_id.h"
#include "gtest/gtest.h"
#include "model/ranking_model.h"
#include "model/ranking_model_test_util.h"

namespace foryou::model {
namespace {

using embedding::FeatureId;
using embedding::HashFeature;

std::string TestDir() {
  const std::string dir =
      absl::StrCat(::testing::TempDir(), "/ranking_model_test_",
                   ::testing::UnitTest::GetInstance()->current_test_info()->name());
  std::filesystem::remove_all(dir);
  return dir;
}

std::string Read(const std::string& path) {
  absl::StatusOr<std::string> s = common::ReadFile(path);
  EXPECT_TRUE(s.ok()) << s.status();
  return s.value_or("");
}

void Write(const std::string& path, const std::string& contents) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << contents;
}

// A trainer after a few batches.
std::unique_ptr<RankingModel> Trained(const ModelConfig& config, int batches, uint64_t seed = 1) {
  auto model = Model(config);
  for (int i = 0; i < batches; ++i) {
    const Example ex = MakeBatch(seed * 1000 + i, 10, kT0 + i * 1000);
    EXPECT_TRUE(model->Train(ex.features, ex.labels, nullptr).ok());
  }
  return model;
}

TEST(RankingModelTest, SaveLoadRoundTrip) {
  const ModelConfig config = Config();
  const std::string dir = TestDir();
  auto trainer = Trained(config, 10);
  ASSERT_TRUE(trainer->Save(dir, 7).ok());
  EXPECT_TRUE(std::filesystem::exists(dir + "/model.dense"));
  EXPECT_TRUE(std::filesystem::exists(dir + "/table.snap"));
  EXPECT_EQ(Read(dir + "/MANIFEST"), "foryou-model 7\n");

  const Example test = MakeBatch(555, 10);
  const std::vector<float> expected = Predict(*trainer, test.features);
  auto loaded = Model(config);
  ASSERT_NE(Predict(*loaded, test.features), expected);
  absl::StatusOr<uint64_t> version = loaded->Load(dir);
  ASSERT_TRUE(version.ok()) << version.status();
  EXPECT_EQ(*version, 7u);
  EXPECT_EQ(Predict(*loaded, test.features), expected);
  EXPECT_EQ(loaded->table().Stats().rows, trainer->table().Stats().rows);

  // Optimizer state came along: both keep training identically.
  const Example more = MakeBatch(556, 10, kT0 + 60'000);
  absl::StatusOr<double> l1 = trainer->Train(more.features, more.labels, nullptr);
  absl::StatusOr<double> l2 = loaded->Train(more.features, more.labels, nullptr);
  ASSERT_TRUE(l1.ok() && l2.ok());
  EXPECT_EQ(*l1, *l2);
  EXPECT_EQ(Predict(*loaded, test.features), Predict(*trainer, test.features));

  // A serving model loads the same files (without optimizer state).
  auto serving = Model(config, /*serving=*/true);
  ASSERT_TRUE(serving->Load(dir).ok());
  EXPECT_EQ(Predict(*serving, test.features), expected);
  std::filesystem::remove_all(dir);
}

// Loads of a damaged directory fail and leave `target` scoring exactly as before.
void ExpectLoadRefused(RankingModel& target, const std::string& dir, const FeatureBatch& test,
                       const std::string& what) {
  SCOPED_TRACE(what);
  const std::vector<float> before = Predict(target, test);
  const uint64_t rows = target.table().Stats().rows;
  absl::StatusOr<uint64_t> v = target.Load(dir);
  EXPECT_FALSE(v.ok());
  EXPECT_EQ(Predict(target, test), before);
  EXPECT_EQ(target.table().Stats().rows, rows);
}

TEST(RankingModelTest, LoadRefusesDamagedOrMismatchedFiles) {
  const ModelConfig config = Config();
  const std::string dir = TestDir(), other = dir + "_v8";
  auto trainer = Trained(config, 10);
  ASSERT_TRUE(trainer->Save(dir, 7).ok());
  ASSERT_TRUE(trainer->Save(other, 8).ok());
  const std::string dense = Read(dir + "/model.dense"), snap = Read(dir + "/table.snap");
  ASSERT_GT(dense.size(), 200u);

  // The target differs from the saved model, so a partial load would show.
  auto target = Trained(config, 3, /*seed=*/2);
  const FeatureBatch test = MakeBatch(555, 10).features;
  ASSERT_NE(Predict(*target, test), Predict(*trainer, test));

  auto restore = [&] {
    Write(dir + "/model.dense", dense);
    Write(dir + "/table.snap", snap);
    Write(dir + "/MANIFEST", "foryou-model 7\n");
  };
  for (size_t at :
       {size_t{3}, size_t{8 + 20}, dense.size() / 2, dense.size() - 20, dense.size() - 1}) {
    std::string bad = dense;
    bad[at] ^= 0x10;
    Write(dir + "/model.dense", bad);
    ExpectLoadRefused(*target, dir, test, absl::StrCat("model.dense byte ", at, " flipped"));
    restore();
  }
  Write(dir + "/model.dense", dense.substr(0, dense.size() - 9));
  ExpectLoadRefused(*target, dir, test, "model.dense truncated");
  restore();
  {
    std::string bad = snap;
    bad[bad.size() / 2] ^= 0x01;
    Write(dir + "/table.snap", bad);
    ExpectLoadRefused(*target, dir, test, "table.snap byte flipped");
    restore();
  }
  Write(dir + "/MANIFEST", "foryou-model 8\n");
  ExpectLoadRefused(*target, dir, test, "MANIFEST of another version");
  restore();
  Write(dir + "/table.snap", Read(other + "/table.snap"));
  ExpectLoadRefused(*target, dir, test, "table.snap of another version");
  restore();
  Write(dir + "/model.dense", Read(other + "/model.dense"));
  ExpectLoadRefused(*target, dir, test, "model.dense of another version");
  restore();
  Write(dir + "/MANIFEST", "not a manifest\n");
  ExpectLoadRefused(*target, dir, test, "garbage MANIFEST");
  restore();
  std::filesystem::remove(dir + "/table.snap");
  ExpectLoadRefused(*target, dir, test, "table.snap missing");
  restore();

  // A model of another shape refuses the files, and so does one with other features.
  auto wide = Model(Config(absl::StrReplaceAll(kConfig, {{R"("dim": 4)", R"("dim": 6)"}})));
  EXPECT_FALSE(wide->Load(dir).ok());
  auto more_features =
      Model(Config(absl::StrReplaceAll(kConfig, {{R"("hour",)", R"("hour", "tab",)"}})));
  EXPECT_FALSE(more_features->Load(dir).ok());

  // After all that the intact directory still loads.
  absl::StatusOr<uint64_t> v = target->Load(dir);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(*v, 7u);
  EXPECT_EQ(Predict(*target, test), Predict(*trainer, test));
  std::filesystem::remove_all(other);
  std::filesystem::remove_all(dir);
}

TEST(RankingModelTest, SyncToMakesTheReplicaScoreLikeTheTrainer) {
  const ModelConfig config = Config();
  auto trainer = Trained(config, 8);
  auto serving = Model(config, /*serving=*/true);
  const FeatureBatch test = MakeBatch(555, 10).features;
  ASSERT_NE(Predict(*serving, test), Predict(*trainer, test));
  ASSERT_TRUE(trainer->SyncTo(serving.get(), /*dense=*/true).ok());
  EXPECT_EQ(Predict(*serving, test), Predict(*trainer, test));
  EXPECT_EQ(serving->table().Stats().rows, trainer->table().Stats().rows);

  // More training; a rows-only sync updates the rows but keeps the old dense weights.
  const std::string old_dense = serving->SaveDense();
  for (int i = 0; i < 5; ++i) {
    const Example ex = MakeBatch(7000 + i, 10, kT0 + 100'000 + i * 1000);
    ASSERT_TRUE(trainer->Train(ex.features, ex.labels, nullptr).ok());
  }
  ASSERT_TRUE(trainer->SyncTo(serving.get(), /*dense=*/false).ok());
  EXPECT_EQ(serving->SaveDense(), old_dense);
  EXPECT_NE(Predict(*serving, test), Predict(*trainer, test));
  // The rows are the trainer's: every key of the test batch reads the same.
  const std::vector<FeatureId> keys = Distinct(test.keys);
  std::vector<float> rows_t(keys.size() * kRow), rows_s(keys.size() * kRow);
  ASSERT_TRUE(trainer->table().Lookup(keys, absl::MakeSpan(rows_t)).ok());
  ASSERT_TRUE(serving->table().Lookup(keys, absl::MakeSpan(rows_s)).ok());
  EXPECT_EQ(rows_t, rows_s);
  ASSERT_TRUE(trainer->SyncTo(serving.get(), /*dense=*/true).ok());
  EXPECT_EQ(Predict(*serving, test), Predict(*trainer, test));
}

}  // namespace
}  // namespace foryou::model
