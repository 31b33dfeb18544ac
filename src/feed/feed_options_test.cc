// Feed options: the JSON parser accepts every key and refuses bad ones with the key's path; the
// table of keys, its defaults and ranges, and the reference page that documents it.
#include "feed/feed_options.h"

#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace foryou::feed {
namespace {

TEST(FeedOptionsTest, ParsesAndRefusesWithThePath) {
  FeedOptions o;
  ASSERT_TRUE(ParseFeedOptions(R"({"weights": {"is_like": 5}, "quotas": {"explore": 10},
      "rules": {"creator_once_per": 4, "explore_share": 0.2}, "fresh": {"test_impressions": 9}})",
                               &o).ok());
  EXPECT_EQ(o.weights[model::kLike], 5.0f);
  EXPECT_EQ(o.quotas[static_cast<int>(Source::kExplore)], 10);
  EXPECT_EQ(o.rules.creator_once_per, 4);
  EXPECT_EQ(o.fresh.test_impressions, 9u);
  const FeedOptions kept = o;
  for (const char* bad : {R"({"weights": {"nope": 1}})", R"({"quotas": {"trending": -1}})",
                          R"({"rules": {"explore_share": 2}})", R"({"whatever": 1})", "[1]", "{"}) {
    absl::Status s = ParseFeedOptions(bad, &o);
    EXPECT_TRUE(absl::IsInvalidArgument(s)) << bad;
    EXPECT_EQ(o.weights, kept.weights);
  }
  EXPECT_NE(ParseFeedOptions(R"({"weights": {"nope": 1}})", &o).message().find("feed.weights.nope"),
            std::string::npos);
}

TEST(FeedOptionsTest, WatchNextOptions) {
  FeedOptions o;
  EXPECT_EQ(o.watch_next_weight, 0.0f);  // the prior is off by default, the source on
  EXPECT_TRUE(o.watch_next.enabled);
  ASSERT_TRUE(ParseFeedOptions(R"({"watch_next_weight": 1, "popularity_weight": 0,
      "quotas": {"watch_next": 300},
      "watch_next": {"learn_from_impressions": true, "sequence": 3, "history_covis": 0.5,
                     "context_decay": 0.9, "pretrain_epochs": 1, "item_item": 30,
                     "item_item_lambda": 500, "item_item_max_items": 4000,
                     "item_item_top_k": 128, "item_item_min_users": 3,
                     "item_item_user_items": 60, "item_item_refit_hours": 12,
                     "item_item_growth_fit": 5000, "max_users": 100000,
                     "max_neighbours": 256}})", &o).ok());
  EXPECT_EQ(o.watch_next.max_users, 100000u);
  EXPECT_EQ(o.watch_next.max_neighbours, 256u);
  EXPECT_EQ(o.watch_next.item_item_growth_fit, 5000u);
  EXPECT_EQ(o.watch_next.w_item_item, 30.0f);
  EXPECT_EQ(o.watch_next.item_item.lambda, 500.0f);
  EXPECT_EQ(o.watch_next.item_item.max_items, 4000u);
  EXPECT_EQ(o.watch_next.item_item.top_k, 128);
  EXPECT_EQ(o.watch_next.item_item.min_users, 3);
  EXPECT_EQ(o.watch_next.item_item_user_items, 60);
  EXPECT_EQ(o.watch_next.item_item_refit_ms, 12 * 3'600'000LL);
  EXPECT_EQ(o.watch_next_weight, 1.0f);
  EXPECT_EQ(o.quotas[static_cast<int>(Source::kWatchNext)], 300);
  EXPECT_TRUE(o.watch_next.learn_from_impressions);
  EXPECT_EQ(o.watch_next.w_sequence, 3.0f);
  EXPECT_EQ(o.watch_next.w_history_covis, 0.5f);
  EXPECT_FLOAT_EQ(o.watch_next.context_decay, 0.9f);
  EXPECT_EQ(o.watch_next.pretrain_epochs, 1);
  const FeedOptions kept = o;
  for (const char* bad : {R"({"watch_next": {"nope": 1}})", R"({"watch_next": {"enabled": 1}})",
                          R"({"watch_next": {"sequence": "x"}})", R"({"watch_next": 3})",
                          R"({"watch_next_weight": -1})", R"({"watch_next": {"context_decay": 0}})",
                          R"({"watch_next": {"item_item_lambda": 0}})",
                          R"({"watch_next": {"item_item_max_items": 50000}})",
                          R"({"watch_next": {"item_item_user_items": 1}})",
                          R"({"watch_next": {"item_item_refit_hours": -1}})",
                          R"({"watch_next": {"item_item_growth_fit": -1}})",
                          R"({"watch_next": {"max_users": 0}})",
                          R"({"watch_next": {"max_neighbours": 0}})"}) {
    absl::Status s = ParseFeedOptions(bad, &o);
    EXPECT_TRUE(absl::IsInvalidArgument(s)) << bad;
    EXPECT_EQ(o.watch_next.w_sequence, kept.watch_next.w_sequence);
    EXPECT_EQ(o.watch_next_weight, kept.watch_next_weight);
    EXPECT_EQ(o.watch_next.item_item.lambda, kept.watch_next.item_item.lambda);
  }
  EXPECT_NE(ParseFeedOptions(R"({"watch_next": {"nope": 1}})", &o).message().find("feed.watch_next.nope"),
            std::string::npos);
  // The shipped KuaiRand config parses.
  std::ifstream in(std::string(FORYOU_SOURCE_DIR) + "/config/feed_log_imitation.json");
  ASSERT_TRUE(in.good());
  std::stringstream text;
  text << in.rdbuf();
  FeedOptions k;
  ASSERT_TRUE(ParseFeedOptions(text.str(), &k).ok());
  EXPECT_GT(k.watch_next_weight, 0.0f);
}

// {"a": {"b": value}} for the path "a.b".
nlohmann::json At(const std::string& path, const nlohmann::json& value) {
  nlohmann::json j = nlohmann::json::object();
  nlohmann::json* at = &j;
  for (absl::string_view part : absl::StrSplit(path, '.')) at = &(*at)[std::string(part)];
  *at = value;
  return j;
}

nlohmann::json ToJson(const FeedOptionValue& v) {
  if (const double* x = std::get_if<double>(&v)) return *x;
  if (const bool* b = std::get_if<bool>(&v)) return *b;
  return std::get<std::string>(v);
}

TEST(FeedOptionsTest, EveryKeyParsesItsDefaultAndItsBounds) {
  const FeedOptions defaults;
  for (const FeedOptionKey& key : FeedOptionKeys()) {
    SCOPED_TRACE(key.path);
    const FeedOptionValue def = key.get(defaults);
    // The default, written back, changes nothing.
    FeedOptions o;
    ASSERT_TRUE(ParseFeedOptions(At(key.path, ToJson(def)).dump(), &o).ok());
    for (const FeedOptionKey& other : FeedOptionKeys()) {
      EXPECT_EQ(other.get(o), other.get(defaults)) << other.path;
    }
    const double* x = std::get_if<double>(&def);
    if (x == nullptr) continue;
    EXPECT_GE(*x, key.min);
    EXPECT_LE(*x, key.max);
    ASSERT_TRUE(ParseFeedOptions(At(key.path, key.min).dump(), &o).ok());
    EXPECT_NEAR(std::get<double>(key.get(o)), key.min, 1e-6 * std::max(1.0, std::fabs(key.min)));
    ASSERT_TRUE(ParseFeedOptions(At(key.path, key.max).dump(), &o).ok());
    EXPECT_NEAR(std::get<double>(key.get(o)), key.max, 1e-6 * std::max(1.0, std::fabs(key.max)));
    // Out of range or of the wrong type: refused with the path, nothing changed.
    const FeedOptions kept = o;
    const std::string full = "feed." + key.path;
    for (const nlohmann::json& bad : {nlohmann::json(key.min - 1 - std::fabs(key.min)),
                                      nlohmann::json(key.max + 1 + std::fabs(key.max)),
                                      nlohmann::json("3"), nlohmann::json(true)}) {
      const absl::Status s = ParseFeedOptions(At(key.path, bad).dump(), &o);
      EXPECT_TRUE(absl::IsInvalidArgument(s)) << bad.dump();
      EXPECT_TRUE(absl::StrContains(s.message(), full)) << s.message();
      EXPECT_EQ(key.get(o), key.get(kept));
    }
  }
}

TEST(FeedOptionsTest, UnknownKeysAreRefusedInEveryGroup) {
  std::set<std::string> groups = {""};
  for (const FeedOptionKey& key : FeedOptionKeys()) {
    for (size_t dot = key.path.find('.'); dot != std::string::npos;
         dot = key.path.find('.', dot + 1)) {
      groups.insert(key.path.substr(0, dot));
    }
  }
  EXPECT_TRUE(groups.contains("watch_next"));
  EXPECT_TRUE(groups.contains("rules"));
  for (const std::string& group : groups) {
    const std::string path = group.empty() ? "nope" : group + ".nope";
    FeedOptions o;
    const absl::Status s = ParseFeedOptions(At(path, 1).dump(), &o);
    EXPECT_TRUE(absl::IsInvalidArgument(s)) << path;
    EXPECT_TRUE(absl::StartsWith(s.message(), "feed." + path + ": unknown key")) << s.message();
    if (!group.empty()) {
      const absl::Status not_object = ParseFeedOptions(At(group, 1).dump(), &o);
      EXPECT_TRUE(absl::StrContains(not_object.message(), "feed." + group + ": must be an object"))
          << not_object.message();
    }
  }
}

// docs/design/feed_options.md has one table row per key, exactly as FeedOptionRow renders it,
// and no row for a key that does not exist.
TEST(FeedOptionsTest, EveryKeyIsDocumented) {
  std::ifstream in(std::string(FORYOU_SOURCE_DIR) + "/docs/design/feed_options.md");
  ASSERT_TRUE(in.good());
  std::stringstream text;
  text << in.rdbuf();
  const std::string page = text.str();
  std::vector<std::string> expected;
  std::set<std::string> rows;
  bool missing = false;
  for (const FeedOptionKey& key : FeedOptionKeys()) {
    const std::string row = FeedOptionRow(key);
    expected.push_back(row);
    rows.insert(row);
    if (!absl::StrContains(page, row + "\n")) {
      ADD_FAILURE() << "not in the page (or out of date): " << row;
      missing = true;
    }
  }
  for (absl::string_view line : absl::StrSplit(page, '\n')) {
    if (absl::StartsWith(line, "| `feed.")) {
      EXPECT_TRUE(rows.contains(std::string(line))) << "no such key, or out of date: " << line;
    }
  }
  if (missing) std::cerr << "The rows as the table renders them:\n" << absl::StrJoin(expected, "\n") << "\n";
}

}  // namespace
}  // namespace foryou::feed
