// Tests of the embedding bench: the baseline tables do the same work as EmbeddingTable, and
// RunEmbeddingBench at a tiny size runs every table and prints a well-formed summary.
#include "embedding/embedding_bench.h"

#include <cmath>
#include <cstdint>
#include <memory>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "embedding/bench_baselines.h"
#include "embedding/embedding_table.h"
#include "embedding/feature_id.h"
#include "embedding/table_config.h"
#include "gtest/gtest.h"

namespace foryou::embedding {
namespace {

EmbeddingBenchOptions TinyOptions() {
  EmbeddingBenchOptions options;
  options.distinct_keys = 20'000;
  options.ops = 50'000;
  options.batch = 256;
  options.dims = {8};
  return options;
}

// A baseline factory, named for test names and messages.
struct Baseline {
  const char* name;
  absl::StatusOr<std::unique_ptr<BenchTable>> (*make)(uint32_t dim, BenchAdagrad adagrad,
                                                      uint64_t seed);
};
void PrintTo(const Baseline& baseline, std::ostream* os) { *os << baseline.name; }

class BenchBaselinesTest : public ::testing::TestWithParam<Baseline> {};

TEST_P(BenchBaselinesTest, LookupOfAbsentKeysReadsZerosAndChecksSizes) {
  auto table = GetParam().make(8, BenchAdagrad{}, 1).value();
  EXPECT_EQ(table->dim(), 8u);
  const std::vector<FeatureId> keys = {MakeFeatureId(1, 5), MakeFeatureId(1, 6)};
  std::vector<float> out(16, 7.0f);
  ASSERT_TRUE(table->Lookup(keys, absl::MakeSpan(out)).ok());
  for (const float v : out) EXPECT_EQ(v, 0.0f);
  EXPECT_EQ(table->Lookup(keys, absl::MakeSpan(out).subspan(1)).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(table->ApplyGradients(keys, std::vector<float>(15), 0).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(table->rows(), 0u);
}

TEST_P(BenchBaselinesTest, InsertIsIdempotentAndInitIsSmallAndDeterministic) {
  auto a = GetParam().make(4, BenchAdagrad{}, 9).value();
  auto b = GetParam().make(4, BenchAdagrad{}, 9).value();
  const std::vector<FeatureId> keys = {MakeFeatureId(1, 1), MakeFeatureId(1, 2)};
  ASSERT_TRUE(a->Insert(keys).ok());
  ASSERT_TRUE(a->Insert(keys).ok());
  ASSERT_TRUE(b->Insert(keys).ok());
  EXPECT_EQ(a->rows(), 2u);
  std::vector<float> out_a(8), out_b(8);
  ASSERT_TRUE(a->Lookup(keys, absl::MakeSpan(out_a)).ok());
  ASSERT_TRUE(b->Lookup(keys, absl::MakeSpan(out_b)).ok());
  EXPECT_EQ(out_a, out_b);
  for (const float v : out_a) EXPECT_LE(std::fabs(v), 0.01f);
  EXPECT_NE(out_a[0], out_a[4]);
}

TEST_P(BenchBaselinesTest, ApplyGradientsTakesAdagradStepsInOrder) {
  const BenchAdagrad adagrad{.learning_rate = 0.1f, .epsilon = 1e-6f};
  auto table = GetParam().make(4, adagrad, 3).value();
  const FeatureId key = MakeFeatureId(1, 77);
  std::vector<float> w0(4), w(4);
  // Absent: inserted, then stepped. The key repeats in the batch: two steps.
  const std::vector<FeatureId> keys = {key, key};
  const std::vector<float> grads = {0.5f, -0.25f, 0.0f, 1.0f, 0.5f, 0.5f, 0.5f, 0.5f};
  ASSERT_TRUE(table->ApplyGradients(keys, grads, 0).ok());
  auto fresh = GetParam().make(4, adagrad, 3).value();
  ASSERT_TRUE(fresh->Insert(std::vector<FeatureId>{key}).ok());
  ASSERT_TRUE(fresh->Lookup(std::vector<FeatureId>{key}, absl::MakeSpan(w0)).ok());
  ASSERT_TRUE(table->Lookup(std::vector<FeatureId>{key}, absl::MakeSpan(w)).ok());
  for (int i = 0; i < 4; ++i) {
    float acc = 0, expected = w0[i];
    for (int step = 0; step < 2; ++step) {
      const float g = grads[step * 4 + i];
      acc += g * g;
      expected -= adagrad.learning_rate * g / (std::sqrt(acc) + adagrad.epsilon);
    }
    EXPECT_NEAR(w[i], expected, 1e-6) << i;
  }
}

// The bench compares like with like: EmbeddingTable's Adagrad step (same lr and epsilon) moves
// an embedding exactly as the baselines' does.
TEST_P(BenchBaselinesTest, SameAdagradStepAsEmbeddingTable) {
  constexpr uint32_t kDim = 8;
  TableConfig config;
  SlotConfig slot;
  slot.slot = 1;
  slot.dim = kDim;
  slot.optimizer = OptimizerKind::kAdagrad;
  config.slots.push_back(slot);
  auto foryou = EmbeddingTable::Create(config).value();
  auto baseline = GetParam().make(kDim, BenchAdagrad{}, 0).value();

  const std::vector<FeatureId> keys = {MakeFeatureId(1, 11), MakeFeatureId(1, 12)};
  const std::vector<float> zeros(2 * kDim, 0.0f);
  std::vector<float> grads(2 * kDim);
  for (size_t i = 0; i < grads.size(); ++i) grads[i] = 0.001f * static_cast<float>(i) - 0.007f;
  ASSERT_TRUE(foryou->ApplyGradients(keys, zeros, 0).ok());
  ASSERT_TRUE(baseline->Insert(keys).ok());
  std::vector<float> f0(2 * kDim), b0(2 * kDim), f(2 * kDim), b(2 * kDim);
  ASSERT_TRUE(foryou->Lookup(keys, absl::MakeSpan(f0)).ok());
  ASSERT_TRUE(baseline->Lookup(keys, absl::MakeSpan(b0)).ok());
  for (int round = 0; round < 3; ++round) {
    ASSERT_TRUE(foryou->ApplyGradients(keys, grads, 0).ok());
    ASSERT_TRUE(baseline->ApplyGradients(keys, grads, 0).ok());
  }
  ASSERT_TRUE(foryou->Lookup(keys, absl::MakeSpan(f)).ok());
  ASSERT_TRUE(baseline->Lookup(keys, absl::MakeSpan(b)).ok());
  for (size_t i = 0; i < f.size(); ++i) {
    EXPECT_NEAR(f[i] - f0[i], b[i] - b0[i], 1e-6) << "float " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(Baselines, BenchBaselinesTest,
                         ::testing::Values(Baseline{"libcuckoo", &NewCuckooBaseline},
                                           Baseline{"unordered_map", &NewUnorderedMapBaseline}),
                         [](const ::testing::TestParamInfo<Baseline>& info) {
                           return std::string(info.param.name);
                         });

TEST(BenchBaselinesFactoryTest, UnsupportedDimIsInvalidArgument) {
  EXPECT_FALSE(BaselineSupportsDim(24));
  EXPECT_EQ(NewCuckooBaseline(24).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(NewUnorderedMapBaseline(24).status().code(), absl::StatusCode::kInvalidArgument);
}

std::vector<std::string> Lines(const std::string& text) {
  return absl::StrSplit(text, '\n', absl::SkipEmpty());
}

TEST(EmbeddingBenchTest, TinyRunPrintsSummaryWithPositiveFields) {
  std::ostringstream out;
  ASSERT_TRUE(RunEmbeddingBench(TinyOptions(), out).ok()) << out.str();
  const std::vector<std::string> lines = Lines(out.str());
  ASSERT_FALSE(lines.empty());
  const std::string& last = lines.back();
  ASSERT_TRUE(absl::StartsWith(last, "embedding_bench ")) << last;
  for (const char* field : {"lookup_ratio_vs_libcuckoo", "update_ratio_vs_libcuckoo",
                            "bytes_per_row", "payload_bytes_per_row", "update_2t_vs_1t"}) {
    const std::string prefix = std::string(field) + "=";
    bool found = false;
    for (const absl::string_view token : absl::StrSplit(last, ' ')) {
      if (!absl::StartsWith(token, prefix)) continue;
      double value = 0;
      ASSERT_TRUE(absl::SimpleAtod(token.substr(prefix.size()), &value)) << token;
      EXPECT_GT(value, 0) << token;
      found = true;
    }
    EXPECT_TRUE(found) << field << " missing in: " << last;
  }
}

TEST(EmbeddingBenchTest, ReportsEveryWorkloadOfEveryTable) {
  std::ostringstream out;
  ASSERT_TRUE(RunEmbeddingBench(TinyOptions(), out).ok()) << out.str();
  const std::string text = out.str();
  for (const char* table : {"foryou", "libcuckoo", "unordered_map"}) {
    for (const char* workload :
         {"workload=prefill threads=1", "workload=lookup threads=1", "workload=update threads=1",
          "workload=concurrent_update", "workload=concurrent_lookup"}) {
      EXPECT_TRUE(absl::StrContains(text, std::string("dim=8 table=") + table + " " + workload))
          << table << " " << workload << "\n"
          << text;
    }
  }
  EXPECT_TRUE(absl::StrContains(text, "dim=8 table=foryou workload=update threads=2")) << text;
  EXPECT_TRUE(absl::StrContains(text, "dim=8 table=libcuckoo workload=update threads=2")) << text;
  EXPECT_TRUE(absl::StrContains(text, "dim=8 bytes_per_row=")) << text;
}

TEST(EmbeddingBenchTest, RejectsBadOptions) {
  std::ostringstream out;
  EmbeddingBenchOptions options = TinyOptions();
  options.dims = {24};  // no baseline for it
  EXPECT_EQ(RunEmbeddingBench(options, out).code(), absl::StatusCode::kInvalidArgument);
  options = TinyOptions();
  options.batch = 0;
  EXPECT_EQ(RunEmbeddingBench(options, out).code(), absl::StatusCode::kInvalidArgument);
  options = TinyOptions();
  options.zipf_s = -1;
  EXPECT_EQ(RunEmbeddingBench(options, out).code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace foryou::embedding
