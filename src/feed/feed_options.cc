// The "feed" config section: the table of keys and the parser that walks it (see the header).
#include "feed/feed_options.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <type_traits>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "model/impression.h"
#include "nlohmann/json.hpp"

namespace foryou::feed {

namespace {

constexpr double kMsPerHour = 3'600'000.0;
constexpr int kNumSources = static_cast<int>(Source::kNumSources);

// Key builders. `field` is a generic lambda returning a reference to the field, e.g.
//   [](auto& o) -> auto& { return o.rules.creator_once_per; }
// so one accessor serves both reading (const FeedOptions) and writing. A number is converted
// with static_cast to the field's type after multiplying by `scale` (JSON unit -> field unit).
template <typename Field>
FeedOptionKey Number(std::string path, Field field, double min, double max, std::string doc,
                     double scale = 1.0) {
  FeedOptionKey key{std::move(path), min, max, std::move(doc), nullptr, nullptr};
  key.get = [field, scale](const FeedOptions& o) -> FeedOptionValue {
    return static_cast<double>(field(o)) / scale;
  };
  key.set = [field, scale](FeedOptions& o, const FeedOptionValue& v) {
    auto& f = field(o);
    f = static_cast<std::remove_reference_t<decltype(f)>>(std::get<double>(v) * scale);
  };
  return key;
}

template <typename Field>
FeedOptionKey Bool(std::string path, Field field, std::string doc) {
  FeedOptionKey key{std::move(path), 0, 0, std::move(doc), nullptr, nullptr};
  key.get = [field](const FeedOptions& o) -> FeedOptionValue { return static_cast<bool>(field(o)); };
  key.set = [field](FeedOptions& o, const FeedOptionValue& v) { field(o) = std::get<bool>(v); };
  return key;
}

template <typename Field>
FeedOptionKey String(std::string path, Field field, std::string doc) {
  FeedOptionKey key{std::move(path), 0, 0, std::move(doc), nullptr, nullptr};
  key.get = [field](const FeedOptions& o) -> FeedOptionValue { return std::string(field(o)); };
  key.set = [field](FeedOptions& o, const FeedOptionValue& v) { field(o) = std::get<std::string>(v); };
  return key;
}

// What each task's weight multiplies (model::kTaskNames order).
constexpr std::array<const char*, model::kNumTasks> kTaskDocs = {
    "weight of the predicted probability of a play",
    nullptr,  // long_view: from the threshold the labels use (MakeKeys)
    "weight of the predicted probability of a like",
    "weight of the predicted probability of following the creator",
    "weight of the predicted probability of a comment",
    "weight of the predicted probability of a share",
    "weight of the predicted probability of \"not interested\" (negative: lowers the value)",
    "weight of the predicted share of the video watched",
};

// What each source proposes (Source order).
constexpr std::array<const char*, kNumSources> kSourceDocs = {
    "top decayed engagement in the user's country, then language, then everyone",
    "the fresh-upload test pool",
    "newest videos of the creators the user follows",
    "nearest neighbours of the recent positive videos in the model's embeddings",
    "videos with the sound of a recent like",
    "videos with a hashtag of a recent like or a sign-up interest",
    "random servable videos outside the user's known interests",
    "the top of the watch-next score over the whole catalog",
    "entries of the hashtag challenges active now, most engaging first",
};

// How the bonus of each source is scaled by the session's evidence (Source order).
constexpr std::array<const char*, kNumSources> kBonusDocs = {
    "no effect: only following, similar, same_sound, same_hashtag and challenge earn a bonus",
    "no effect: only following, similar, same_sound, same_hashtag and challenge earn a bonus",
    "value added to a candidate from a followed creator",
    "value added to a candidate the similar source found",
    "value added to a same-sound candidate, times the share of recent likes with its sound",
    "value added to a same-hashtag candidate, times the largest share of recent likes with one "
    "of its hashtags (a sign-up interest counts 0.5)",
    "no effect: only following, similar, same_sound, same_hashtag and challenge earn a bonus",
    "no effect: only following, similar, same_sound, same_hashtag and challenge earn a bonus",
    "value added to an entry of an active challenge",
};

std::vector<FeedOptionKey> MakeKeys() {
  std::vector<FeedOptionKey> k;
  // Ranking: task weights and priors.
  for (int t = 0; t < model::kNumTasks; ++t) {
    std::string doc =
        t == model::kLongView
            ? absl::StrCat("weight of the predicted probability of a long view (completed, or ",
                           "watched ", model::kLongViewMs / 1000, " s or more)")
            : kTaskDocs[t];
    k.push_back(Number(absl::StrCat("weights.", model::kTaskNames[t]),
                       [t](auto& o) -> auto& { return o.weights[t]; }, -100, 100, std::move(doc)));
  }
  for (int s = 0; s < kNumSources; ++s) {
    k.push_back(Number(absl::StrCat("source_bonus.", std::string(SourceName(static_cast<Source>(s)))),
                       [s](auto& o) -> auto& { return o.source_bonus[s]; }, 0, 10, kBonusDocs[s]));
  }
  k.push_back(Number("popularity_weight", [](auto& o) -> auto& { return o.popularity_weight; }, 0,
                     100, "audience prior: weight of log(1 + e) / log(1 + e_max), e the decayed "
                          "engagement among everyone"));
  k.push_back(Number("evidence_recency", [](auto& o) -> auto& { return o.evidence_recency; }, 0, 1,
                     "weight of each recent like against the next newer one in the source bonus's "
                     "evidence (1: the recent likes count alike)"));
  k.push_back(Number("watch_next_weight", [](auto& o) -> auto& { return o.watch_next_weight; }, 0,
                     100, "watch-next prior: weight of s - s_min over the candidates (0: off)"));
  k.push_back(Number("watch_next_foreign_weight",
                     [](auto& o) -> auto& { return o.watch_next_foreign_weight; }, 0, 100,
                     "watch-next prior weight added per share of exposures another recommender chose"));
  k.push_back(Number("engagement_weight", [](auto& o) -> auto& { return o.engagement_weight; }, 0,
                     100, "weight of log(1 + e) inside the watch-next prior's s"));

  // Retrieval.
  for (int s = 0; s < kNumSources; ++s) {
    k.push_back(Number(absl::StrCat("quotas.", std::string(SourceName(static_cast<Source>(s)))),
                       [s](auto& o) -> auto& { return o.quotas[s]; }, 0, 5000,
                       absl::StrCat("most candidates per request from ", kSourceDocs[s])));
  }
  // Rules.
  k.push_back(Number("rules.creator_once_per", [](auto& o) -> auto& { return o.rules.creator_once_per; },
                     2, 50, "K: a creator appears at most once in any K consecutive items"));
  k.push_back(Number("rules.max_category_run", [](auto& o) -> auto& { return o.rules.max_category_run; },
                     1, 50, "R: at most R consecutive items of one category (first hashtag)"));
  k.push_back(Number("rules.explore_share", [](auto& o) -> auto& { return o.rules.explore_share; }, 0,
                     1, "share of each page given to explore candidates"));
  k.push_back(Number("rules.not_interested_creator",
                     [](auto& o) -> auto& { return o.rules.not_interested_creator; }, 0, 100,
                     "score taken off per \"not interested\" in the candidate's creator"));
  k.push_back(Number("rules.not_interested_sound",
                     [](auto& o) -> auto& { return o.rules.not_interested_sound; }, 0, 100,
                     "score taken off per \"not interested\" in the candidate's sound"));
  k.push_back(Number("rules.not_interested_hashtag",
                     [](auto& o) -> auto& { return o.rules.not_interested_hashtag; }, 0, 100,
                     "score taken off per \"not interested\" in each of the candidate's hashtags"));
  // The fresh-upload pool.
  k.push_back(Number("fresh.max_age_ms", [](auto& o) -> auto& { return o.fresh.max_age_ms; }, 0,
                     365.0 * 86'400'000, "a video is fresh this long after upload (ms)"));
  k.push_back(Number("fresh.test_impressions", [](auto& o) -> auto& { return o.fresh.test_impressions; },
                     0, 1e9, "impressions of the controlled first exposure before a verdict"));
  k.push_back(Number("fresh.graduate_rate", [](auto& o) -> auto& { return o.fresh.graduate_rate; }, 0,
                     1, "early engagement rate a tested video needs to graduate"));
  k.push_back(Number("fresh.slots_per_page", [](auto& o) -> auto& { return o.fresh.slots_per_page; },
                     0, 1, "test-pool videos placed on each page (0 or 1)"));
  k.push_back(Number("challenges.max_per_10",
                     [](auto& o) -> auto& { return o.challenges.max_per_10; }, 0, 10,
                     "most items per 10 of a page the challenge source may bring (ceil(count x n "
                     "/ 10)); past them an entry keeps only its other sources (0: none)"));
  // Per user.
  k.push_back(Number("seen_capacity", [](auto& o) -> auto& { return o.seen_capacity; }, 10, 1e6,
                     "videos remembered as seen per user (never shown again while remembered)"));
  k.push_back(Number("max_served_records",
                     [](auto& o) -> auto& { return o.max_served_records; }, 64, 1e9,
                     "items kept as served, all users (explanations; oldest served dropped first)"));
  k.push_back(Number("max_sessions", [](auto& o) -> auto& { return o.max_sessions; }, 64, 1e9,
                     "live user sessions; past it the least recently used are parked (seen set "
                     "and not-interested counts kept)"));
  k.push_back(Number("max_seen_keys", [](auto& o) -> auto& { return o.max_seen_keys; }, 1024,
                     1e10,
                     "seen-set videos remembered over all users; past it the users active "
                     "longest ago lose their oldest seen videos first"));
  k.push_back(Number("max_count", [](auto& o) -> auto& { return o.max_count; }, 1, 500,
                     "largest page a request may ask for"));
  k.push_back(String("surface", [](auto& o) -> auto& { return o.surface; },
                     "the surface feed impressions are scored on"));
  // The watch-next model.
  k.push_back(Bool("watch_next.enabled", [](auto& o) -> auto& { return o.watch_next.enabled; },
                   "learn the watch-next model and run its source (the prior needs it too)"));
  k.push_back(Bool("watch_next.learn_from_impressions",
                   [](auto& o) -> auto& { return o.watch_next.learn_from_impressions; },
                   "learn from every impression, not only long views and positive actions"));
  k.push_back(Bool("watch_next.learn_from_foreign_impressions",
                   [](auto& o) -> auto& { return o.watch_next.learn_from_foreign_impressions; },
                   "also learn from impressions this feed did not serve (an imported log)"));
  k.push_back(Bool("watch_next.user_embedding",
                   [](auto& o) -> auto& { return o.watch_next.user_embedding; },
                   "the two-tower user adds a learned per-user vector to its context mean"));
  k.push_back(Number("watch_next.long_views_6h",
                     [](auto& o) -> auto& { return o.watch_next.w_long_views_6h; }, -100, 100,
                     "weight of log1p(long views over the last 6 h)"));
  k.push_back(Number("watch_next.long_views_24h",
                     [](auto& o) -> auto& { return o.watch_next.w_long_views_24h; }, -100, 100,
                     "weight of log1p(long views over the last 24 h)"));
  k.push_back(Number("watch_next.impressions_1h",
                     [](auto& o) -> auto& { return o.watch_next.w_impressions_1h; }, -100, 100,
                     "weight of log1p(impressions over the last hour)"));
  k.push_back(Number("watch_next.covis", [](auto& o) -> auto& { return o.watch_next.w_covis; }, -100,
                     100, "weight of log1p(live co-visitation with the user's recent videos)"));
  k.push_back(Number("watch_next.history_covis",
                     [](auto& o) -> auto& { return o.watch_next.w_history_covis; }, -100, 100,
                     "weight of log1p(co-visitation in the watch histories, normalised)"));
  k.push_back(Number("watch_next.sequence", [](auto& o) -> auto& { return o.watch_next.w_sequence; },
                     -100, 100, "weight of the two-tower sequence model's logit"));
  k.push_back(Number("watch_next.item_item", [](auto& o) -> auto& { return o.watch_next.w_item_item; },
                     -100, 100, "weight of the item-item (EASE) sum (0: the model is not fitted)"));
  k.push_back(Number("watch_next.context_decay",
                     [](auto& o) -> auto& { return o.watch_next.context_decay; }, 0.01, 1,
                     "the j-th newest context video weighs decay^j in the two-tower user"));
  k.push_back(Number("watch_next.learning_rate",
                     [](auto& o) -> auto& { return o.watch_next.learning_rate; }, 1e-6, 1,
                     "Adam step size of the two-tower model"));
  k.push_back(Number("watch_next.pretrain_epochs",
                     [](auto& o) -> auto& { return o.watch_next.pretrain_epochs; }, 0, 100,
                     "passes over the watch histories before serving"));
  k.push_back(Number("watch_next.max_users", [](auto& o) -> auto& { return o.watch_next.max_users; },
                     1, 1e9, "users kept; past it the least recently active eighth is forgotten"));
  k.push_back(Number("watch_next.max_neighbours",
                     [](auto& o) -> auto& { return o.watch_next.max_neighbours; }, 1, 65536,
                     "live co-visitation partners kept per video (the weakest dropped first)"));
  k.push_back(Number("watch_next.item_item_lambda",
                     [](auto& o) -> auto& { return o.watch_next.item_item.lambda; }, 1e-3, 1e7,
                     "EASE L2 weight: larger trusts co-occurrence less"));
  k.push_back(Number("watch_next.item_item_max_items",
                     [](auto& o) -> auto& { return o.watch_next.item_item.max_items; }, 1, 20000,
                     "videos the item-item model covers, the most watched (the fit is cubic)"));
  k.push_back(Number("watch_next.item_item_top_k",
                     [](auto& o) -> auto& { return o.watch_next.item_item.top_k; }, 1, 20000,
                     "item-item weights kept per video (largest magnitude)"));
  k.push_back(Number("watch_next.item_item_min_users",
                     [](auto& o) -> auto& { return o.watch_next.item_item.min_users; }, 1, 1e9,
                     "users a video needs to be covered by the item-item model"));
  k.push_back(Number("watch_next.item_item_user_items",
                     [](auto& o) -> auto& { return o.watch_next.item_item_user_items; }, 2, 10000,
                     "distinct recent videos per user the item-item model sees"));
  k.push_back(Number("watch_next.item_item_refit_hours",
                     [](auto& o) -> auto& { return o.watch_next.item_item_refit_ms; }, 0, 8760,
                     "event time between item-item fits, hours (0: only when asked)", kMsPerHour));
  k.push_back(Number("watch_next.item_item_growth_fit",
                     [](auto& o) -> auto& { return o.watch_next.item_item_growth_fit; }, 0, 1e12,
                     "also fit when the (user, video) pairs learned double, from this many on (0: "
                     "off)"));
  return k;
}

// The table and its lookups: a key by path, and the names below each group ("" = the top).
struct KeyIndex {
  const std::vector<FeedOptionKey> keys = MakeKeys();
  absl::flat_hash_map<std::string, const FeedOptionKey*> by_path;
  absl::flat_hash_map<std::string, size_t> type;  // the FeedOptionValue index of each key
  absl::flat_hash_map<std::string, std::vector<std::string>> children;

  KeyIndex() {
    const FeedOptions defaults;
    for (const FeedOptionKey& key : keys) {
      by_path[key.path] = &key;
      type[key.path] = key.get(defaults).index();
      std::string group;
      size_t start = 0;
      for (size_t dot = key.path.find('.'); ; dot = key.path.find('.', start)) {
        const std::string name = key.path.substr(start, dot == std::string::npos ? dot : dot - start);
        std::vector<std::string>& names = children[group];
        if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
        if (dot == std::string::npos) break;
        group = key.path.substr(0, dot);
        start = dot + 1;
      }
    }
    for (const auto& [group, names] : children) {
      if (!group.empty() && by_path.contains(group)) {
        std::cerr << "feed options: '" << group << "' is both a key and a group\n";
        std::abort();
      }
    }
  }
};

const KeyIndex& Index() {
  static const KeyIndex* index = new KeyIndex();
  return *index;
}

std::string FormatNumber(double x) {
  if (x == std::floor(x) && std::fabs(x) < 1e15) return absl::StrCat(static_cast<int64_t>(x));
  return absl::StrCat(x);
}

absl::Status Invalid(const std::string& path, const std::string& problem) {
  return absl::InvalidArgumentError(absl::StrCat("feed.", path, ": ", problem));
}

absl::Status SetValue(const FeedOptionKey& key, size_t type, const nlohmann::json& v,
                      FeedOptions* o) {
  if (type == 0) {
    if (!v.is_number()) return Invalid(key.path, "must be a number");
    const double x = v.get<double>();
    if (!(x >= key.min && x <= key.max)) {
      return Invalid(key.path, absl::StrCat("must be in [", FormatNumber(key.min), ", ",
                                            FormatNumber(key.max), "]"));
    }
    key.set(*o, x);
  } else if (type == 1) {
    if (!v.is_boolean()) return Invalid(key.path, "must be true or false");
    key.set(*o, v.get<bool>());
  } else {
    if (!v.is_string()) return Invalid(key.path, "must be a string");
    key.set(*o, v.get<std::string>());
  }
  return absl::OkStatus();
}

// Applies every member of `object` (the JSON at `group`) to *o.
absl::Status Apply(const nlohmann::json& object, const std::string& group, FeedOptions* o) {
  const KeyIndex& index = Index();
  for (const auto& [name, v] : object.items()) {
    const std::string path = group.empty() ? name : absl::StrCat(group, ".", name);
    if (auto key = index.by_path.find(path); key != index.by_path.end()) {
      FORYOU_RETURN_IF_ERROR(SetValue(*key->second, index.type.at(path), v, o));
    } else if (index.children.contains(path)) {
      if (!v.is_object()) return Invalid(path, "must be an object");
      FORYOU_RETURN_IF_ERROR(Apply(v, path, o));
    } else {
      return Invalid(path, absl::StrCat("unknown key (known: ",
                                        absl::StrJoin(index.children.at(group), ", "), ")"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

const std::vector<FeedOptionKey>& FeedOptionKeys() { return Index().keys; }

absl::Status ParseFeedOptions(const std::string& json, FeedOptions* options) {
  const nlohmann::json j = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return absl::InvalidArgumentError("feed: must be a JSON object");
  }
  FeedOptions parsed = *options;
  FORYOU_RETURN_IF_ERROR(Apply(j, "", &parsed));
  *options = std::move(parsed);
  return absl::OkStatus();
}

std::string FeedOptionRow(const FeedOptionKey& key) {
  const FeedOptionValue value = key.get(FeedOptions{});
  std::string shown, range;
  if (const double* x = std::get_if<double>(&value)) {
    shown = FormatNumber(*x);
    range = absl::StrCat("[", FormatNumber(key.min), ", ", FormatNumber(key.max), "]");
  } else if (const bool* b = std::get_if<bool>(&value)) {
    shown = *b ? "true" : "false";
    range = "true / false";
  } else {
    shown = absl::StrCat("\"", std::get<std::string>(value), "\"");
    range = "a string";
  }
  return absl::StrCat("| `feed.", key.path, "` | ", shown, " | ", range, " | ", key.doc, " |");
}

}  // namespace foryou::feed
