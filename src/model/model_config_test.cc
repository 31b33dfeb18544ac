// ModelConfig parsing: a valid config is applied field by field, every kind of bad input is an
// InvalidArgument naming the offending JSON path, and the shipped config/model.json parses.
#include "model/model_config.h"

#include <filesystem>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "embedding/feature_id.h"
#include "gtest/gtest.h"
#include "model/features.h"

namespace foryou::model {
namespace {

using embedding::OptimizerKind;

constexpr char kSmall[] = R"json({
  // comments are allowed
  "seed": 9,
  "dim": 8,
  "hidden": [32, 16, 4],
  "dense_learning_rate": 0.01,
  "task_weights": {"is_click": 2, "watch_ratio": 0.5},
  "sequence_length": 7,
  "counter_half_life_hours": 12,
  "rate_prior_strength": 3,
  "sparse_defaults": {"optimizer": "adagrad", "learning_rate": 0.05, "init_scale": 0.02,
                      "admit_min_count": 2, "expire_after_days": 30},
  "features": [
    "video_id",
    {"name": "author_id", "optimizer": "ftrl", "learning_rate": 0.3, "l1": 0.5,
     "ftrl_beta": 2, "expire_after_days": 1.5},
    {"name": "user_id", "learning_rate": 0.2, "admit_probability": 0.25},
    "seq.like.video",
    "dense.video_rates"
  ]
})json";

// Replaces the first occurrence of `from` in kSmall by `to` (the edit must apply).
std::string Edit(std::string_view from, std::string_view to) {
  std::string text = kSmall;
  const size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

const FeatureConfig& Feature(const ModelConfig& c, std::string_view name) {
  for (const FeatureConfig& f : c.features) {
    if (f.name == name) return f;
  }
  ADD_FAILURE() << "no feature " << name;
  return c.features.front();
}

TEST(ModelConfigTest, ValidConfigIsApplied) {
  absl::StatusOr<ModelConfig> parsed = ParseModelConfig(kSmall);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  const ModelConfig& c = *parsed;
  EXPECT_EQ(c.seed, 9u);
  EXPECT_EQ(c.dim, 8u);
  EXPECT_EQ(c.hidden, (std::vector<int>{32, 16, 4}));
  EXPECT_FLOAT_EQ(c.dense_learning_rate, 0.01f);
  EXPECT_FLOAT_EQ(c.task_weights[kClick], 2.0f);
  EXPECT_FLOAT_EQ(c.task_weights[kWatchRatio], 0.5f);
  EXPECT_FLOAT_EQ(c.task_weights[kLike], 1.0f);  // unlisted tasks keep weight 1
  EXPECT_EQ(c.sequence_length, 7u);
  EXPECT_DOUBLE_EQ(c.counter_half_life_hours, 12);
  EXPECT_DOUBLE_EQ(c.rate_prior_strength, 3);
  ASSERT_EQ(c.features.size(), 5u);
  EXPECT_EQ(c.features[0].name, "video_id");
  EXPECT_EQ(c.features[4].name, "dense.video_rates");
  EXPECT_TRUE(c.Has("seq.like.video"));
  EXPECT_FALSE(c.Has("music_id"));

  // A string feature takes the defaults.
  const embedding::SlotConfig& video = Feature(c, "video_id").sparse;
  EXPECT_EQ(video.optimizer, OptimizerKind::kAdagrad);
  EXPECT_FLOAT_EQ(video.adagrad.learning_rate, 0.05f);
  EXPECT_FLOAT_EQ(video.init_scale, 0.02f);
  EXPECT_EQ(video.admission.min_count, 2u);
  EXPECT_EQ(video.expire_after_s, 30 * 86400);

  // An object feature overrides them, keeping the defaults it does not mention.
  const embedding::SlotConfig& author = Feature(c, "author_id").sparse;
  EXPECT_EQ(author.optimizer, OptimizerKind::kFtrl);
  EXPECT_FLOAT_EQ(author.ftrl.alpha, 0.3f);
  EXPECT_FLOAT_EQ(author.ftrl.l1, 0.5f);
  EXPECT_FLOAT_EQ(author.ftrl.beta, 2.0f);
  EXPECT_EQ(author.expire_after_s, 129600);  // 1.5 days
  EXPECT_FLOAT_EQ(author.init_scale, 0.02f);
  EXPECT_EQ(author.admission.min_count, 2u);

  const embedding::SlotConfig& user = Feature(c, "user_id").sparse;
  EXPECT_EQ(user.optimizer, OptimizerKind::kAdagrad);
  EXPECT_FLOAT_EQ(user.adagrad.learning_rate, 0.2f);
  EXPECT_DOUBLE_EQ(user.admission.probability, 0.25);
  EXPECT_EQ(user.expire_after_s, 30 * 86400);
  // The override did not leak into the defaults of later features.
  EXPECT_FLOAT_EQ(Feature(c, "seq.like.video").sparse.adagrad.learning_rate, 0.05f);
  EXPECT_DOUBLE_EQ(Feature(c, "seq.like.video").sparse.admission.probability, 1.0);
}

TEST(ModelConfigTest, ToTableConfigHasOneSlotPerSparseFeature) {
  absl::StatusOr<ModelConfig> c = ParseModelConfig(kSmall);
  ASSERT_TRUE(c.ok()) << c.status();
  absl::StatusOr<embedding::TableConfig> table = c->ToTableConfig();
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_EQ(table->seed, 9u);
  ASSERT_EQ(table->slots.size(), 4u);  // the dense feature has no slot
  const std::vector<std::pair<std::string, uint32_t>> expected = {
      {"video_id", 1}, {"author_id", 2}, {"user_id", 10}, {"seq.like.video", 74}};
  for (size_t i = 0; i < expected.size(); ++i) {
    SCOPED_TRACE(expected[i].first);
    EXPECT_EQ(table->slots[i].name, expected[i].first);
    EXPECT_EQ(table->slots[i].slot, expected[i].second);
    EXPECT_EQ(table->slots[i].slot, FindFeature(expected[i].first)->slot);
    EXPECT_EQ(table->slots[i].dim, 8u + kNumTasks);  // dim + one first-order weight per task
  }
  EXPECT_EQ(table->slots[1].optimizer, OptimizerKind::kFtrl);
  EXPECT_FLOAT_EQ(table->slots[1].ftrl.alpha, 0.3f);
  EXPECT_EQ(table->slots[0].expire_after_s, 30 * 86400);
}

struct BadCase {
  std::string what;
  std::string json;
  std::vector<std::string> message_has;  // substrings the error message must contain
};

TEST(ModelConfigTest, BadInputIsInvalidArgumentNamingTheField) {
  const std::vector<BadCase> cases = {
      {"invalid JSON", R"({"dim": 8, )", {"not valid JSON"}},
      {"not an object", R"([1, 2])", {"JSON object"}},
      {"unknown top-level key", Edit(R"("seed": 9,)", R"("seed": 9, "learnign_rate": 1,)"),
       {"learnign_rate", "unknown setting"}},
      {"unknown feature", Edit(R"("video_id",)", R"("vidoe_id",)"),
       {"features[0].name", "vidoe_id"}},
      {"unknown feature in an object", Edit(R"("name": "user_id")", R"("name": "usr_id")"),
       {"features[2].name", "usr_id"}},
      {"duplicate feature", Edit(R"("seq.like.video",)", R"("seq.like.video", "video_id",)"),
       {"features[4].name", "video_id", "twice"}},
      {"dim 0", Edit(R"("dim": 8)", R"("dim": 0)"), {"dim"}},
      {"dim not an integer", Edit(R"("dim": 8)", R"("dim": 8.5)"), {"dim", "integer"}},
      {"dim a string", Edit(R"("dim": 8)", R"("dim": "8")"), {"dim", "number"}},
      {"hidden not an array", Edit(R"("hidden": [32, 16, 4])", R"("hidden": 32)"), {"hidden"}},
      {"hidden layer 0", Edit(R"("hidden": [32, 16, 4])", R"("hidden": [32, 0])"),
       {"hidden[1]"}},
      {"negative learning_rate", Edit(R"("learning_rate": 0.2)", R"("learning_rate": -0.2)"),
       {"features[2].learning_rate"}},
      {"negative default learning_rate",
       Edit(R"("learning_rate": 0.05)", R"("learning_rate": -1)"),
       {"sparse_defaults.learning_rate"}},
      {"bad optimizer", Edit(R"("optimizer": "ftrl")", R"("optimizer": "sgd")"),
       {"features[1].optimizer"}},
      {"optimizer not a string", Edit(R"("optimizer": "adagrad")", R"("optimizer": 1)"),
       {"sparse_defaults.optimizer"}},
      {"unknown key in a feature", Edit(R"("l1": 0.5)", R"("l3": 0.5)"),
       {"features[1].l3", "unknown setting"}},
      {"unknown key in sparse_defaults", Edit(R"("init_scale": 0.02)", R"("init_scal": 0.02)"),
       {"sparse_defaults.init_scal"}},
      {"unknown task", Edit(R"("is_click": 2)", R"("is_clik": 2)"),
       {"task_weights.is_clik", "unknown task"}},
      {"negative task weight", Edit(R"("is_click": 2)", R"("is_click": -2)"),
       {"task_weights.is_click"}},
      {"negative expiry", Edit(R"("expire_after_days": 1.5)", R"("expire_after_days": -1)"),
       {"features[1].expire_after_days"}},
      {"admit_probability 0", Edit(R"("admit_probability": 0.25)", R"("admit_probability": 0)"),
       {"features[2].admit_probability"}},
      {"feature object without a name", Edit(R"("name": "user_id",)", ""), {"features[2]"}},
      {"features empty", R"({"features": []})", {"features"}},
      {"features missing", R"({"dim": 4})", {"features"}},
      {"profile field not a string", R"({"profile_fields": [3], "features": ["video_id"]})",
       {"profile_fields[0]"}},
      {"profile field twice",
       R"({"profile_fields": ["a", "a"], "features": ["video_id"]})",
       {"profile_fields[1]", "twice"}},
      {"profile field shadows a built-in",
       R"({"profile_fields": ["country"], "features": ["video_id"]})",
       {"profile_fields[0]", "built-in"}},
      {"user feature not in profile_fields",
       R"({"profile_fields": ["a"], "features": ["user.b"]})", {"features[0].name", "user.b"}},
      {"only dense features",
       R"({"features": ["dense.video_rates", "dense.user_rates"]})",
       {"features", "sparse or sequence"}},
  };
  for (const BadCase& c : cases) {
    SCOPED_TRACE(c.what);
    absl::StatusOr<ModelConfig> parsed = ParseModelConfig(c.json);
    ASSERT_FALSE(parsed.ok()) << c.json;
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument) << parsed.status();
    for (const std::string& s : c.message_has) {
      EXPECT_NE(parsed.status().message().find(s), std::string_view::npos)
          << "'" << parsed.status().message() << "' lacks '" << s << "'";
    }
  }
}

TEST(ModelConfigTest, EditsOfTheValidConfigOnlyBreakWhatTheyChange) {
  // Guards the bad-input test: the baseline it edits is valid, and so are harmless edits.
  EXPECT_TRUE(ParseModelConfig(kSmall).ok());
  EXPECT_TRUE(ParseModelConfig(Edit(R"("dim": 8)", R"("dim": 256)")).ok());
  EXPECT_TRUE(ParseModelConfig(Edit(R"("optimizer": "ftrl")", R"("optimizer": "adagrad")")).ok());
  EXPECT_TRUE(ParseModelConfig(R"({"features": ["seq.skip.author"]})").ok());
}

TEST(ModelConfigTest, ShippedConfigParses) {
  const std::string path = std::string(FORYOU_SOURCE_DIR) + "/config/model.json";
  absl::StatusOr<ModelConfig> c = LoadModelConfig(path);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->dim, 16u);
  EXPECT_FALSE(c->features.empty());
  absl::StatusOr<embedding::TableConfig> table = c->ToTableConfig();
  ASSERT_TRUE(table.ok()) << table.status();
  size_t sparse = 0;
  for (const FeatureConfig& f : c->features) {
    const FeatureSpec* spec = c->Find(f.name);
    ASSERT_NE(spec, nullptr) << f.name;
    if (spec->kind != FeatureKind::kDense) ++sparse;
  }
  EXPECT_EQ(table->slots.size(), sparse);
  for (const embedding::SlotConfig& s : table->slots) {
    EXPECT_EQ(s.dim, c->dim + kNumTasks) << s.name;
  }
}

// The data set's profile fields come from the config: "user.<name>" reads the value at that
// name's position of the catalog user's profile, through the built-in "user.profile<i>".
TEST(ModelConfigTest, ProfileFieldsNameTheUsersProfileValues) {
  absl::StatusOr<ModelConfig> c = ParseModelConfig(
      R"({"profile_fields": ["plan", "age_band"], "features": ["video_id", "user.age_band"]})");
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_NE(c->Find("user.age_band"), nullptr);
  EXPECT_EQ(c->Find("user.age_band"), FindFeature("user.profile1"));
  EXPECT_EQ(c->Find("user.plan"), FindFeature("user.profile0"));
  EXPECT_EQ(c->Find("user.country"), FindFeature("user.country"));
  EXPECT_EQ(c->Find("user.nope"), nullptr);
  EXPECT_EQ(FindFeature("user.age_band"), nullptr);  // no data set's names in the code
}

TEST(ModelConfigTest, LoadErrorsNameTheFileAndTheField) {
  EXPECT_FALSE(LoadModelConfig("/nonexistent/foryou/model.json").ok());
  const std::string path = ::testing::TempDir() + "/model_config_test_bad.json";
  {
    std::ofstream out(path);
    out << Edit(R"("dim": 8)", R"("dim": 0)");
  }
  absl::StatusOr<ModelConfig> c = LoadModelConfig(path);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(c.status().message().find(path), std::string_view::npos) << c.status();
  EXPECT_NE(c.status().message().find("dim"), std::string_view::npos) << c.status();
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace foryou::model
