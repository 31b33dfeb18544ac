// Validation and JSON of the advertiser's records (see model.h).
//
// A JSON object is read through a Reader that knows the record's name ("ad_group"): every
// accessor marks its field as known, and Finish() refuses whatever field was never asked for, so
// a misspelt field ("budget_micro") is an error, not a silently ignored default.
#include "ads/model.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "nlohmann/json.hpp"

namespace foryou::ads {
namespace {

using nlohmann::json;

constexpr absl::string_view kObjectives[] = {"reach", "video_views", "traffic", "conversions"};
constexpr absl::string_view kBudgetModes[] = {"none", "daily", "lifetime"};
constexpr absl::string_view kGoals[] = {"impression", "click", "view", "conversion"};
constexpr absl::string_view kStrategies[] = {"bid_cap", "cost_cap", "lowest_cost"};
constexpr absl::string_view kPacings[] = {"smooth", "fast"};
constexpr absl::string_view kApprovals[] = {"pending", "approved", "rejected"};
constexpr absl::string_view kAudienceKinds[] = {"custom", "lookalike"};
constexpr absl::string_view kAgeBands[] = {"13-17", "18-24", "25-34", "35-44", "45-54", "55+"};
constexpr absl::string_view kGenders[] = {"female", "male"};
constexpr absl::string_view kDevices[] = {"android", "ios", "web"};
constexpr absl::string_view kPlacements[] = {"foryou"};
// Budgets and bids above this (10^12 units) are typos, and keep every sum far from overflow.
constexpr int64_t kMaxMoney = int64_t{1'000'000'000'000} * kMicros / 1000;

absl::Status Bad(absl::string_view record, absl::string_view field, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(record, ".", field, ": ", why));
}

template <size_t N>
bool OneOf(absl::string_view v, const absl::string_view (&names)[N]) {
  for (absl::string_view n : names) {
    if (n == v) return true;
  }
  return false;
}

template <size_t N>
std::string Choices(const absl::string_view (&names)[N]) {
  std::string s;
  for (absl::string_view n : names) absl::StrAppend(&s, s.empty() ? "" : ", ", n);
  return s;
}

absl::Status CheckMoney(absl::string_view record, absl::string_view field, int64_t v) {
  if (v < 0) return Bad(record, field, "must be >= 0");
  if (v > kMaxMoney) return Bad(record, field, absl::StrCat("must be <= ", kMaxMoney));
  return absl::OkStatus();
}

template <size_t N>
absl::Status CheckList(absl::string_view record, absl::string_view field,
                       const std::vector<std::string>& values, const absl::string_view (&names)[N]) {
  for (const std::string& v : values) {
    if (!OneOf(v, names)) {
      return Bad(record, field, absl::StrCat("'", v, "' is not one of ", Choices(names)));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckTokens(absl::string_view record, absl::string_view field,
                         const std::vector<std::string>& values) {
  if (values.size() > 1000) return Bad(record, field, "at most 1000 values");
  for (const std::string& v : values) {
    if (v.empty() || v.size() > 100) return Bad(record, field, "values must be 1-100 characters");
    for (char c : v) {
      if (static_cast<unsigned char>(c) < 0x20) {
        return Bad(record, field, "values must not hold control characters");
      }
    }
  }
  return absl::OkStatus();
}

// Reads one JSON object's fields, remembering which were asked for.
class Reader {
 public:
  Reader(absl::string_view record, absl::string_view text) : record_(record) {
    j_ = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
    if (j_.is_discarded()) {
      status_ = absl::InvalidArgumentError(absl::StrCat(record, ": not valid JSON"));
    } else if (!j_.is_object()) {
      status_ = absl::InvalidArgumentError(absl::StrCat(record, ": must be a JSON object"));
    }
  }

  void Str(const char* field, std::string* out) {
    const json* v = Find(field);
    if (v == nullptr) return;
    if (!v->is_string()) return Fail(field, "must be a string");
    *out = v->get<std::string>();
  }
  void Int(const char* field, int64_t* out) {
    const json* v = Find(field);
    if (v == nullptr) return;
    if (!v->is_number_integer()) return Fail(field, "must be an integer");
    *out = v->get<int64_t>();
  }
  void Int32(const char* field, int32_t* out) {
    int64_t v = *out;
    Int(field, &v);
    if (v < INT32_MIN || v > INT32_MAX) return Fail(field, "out of range");
    *out = static_cast<int32_t>(v);
  }
  // False when absent.
  bool IntList(const char* field, std::vector<int64_t>* out) {
    const json* v = Find(field);
    if (v == nullptr) return false;
    if (!v->is_array()) {
      Fail(field, "must be a list of integers");
      return false;
    }
    for (const json& e : *v) {
      if (!e.is_number_integer()) {
        Fail(field, "must be a list of integers");
        return false;
      }
      out->push_back(e.get<int64_t>());
    }
    return true;
  }
  void Bool(const char* field, bool* out) {
    const json* v = Find(field);
    if (v == nullptr) return;
    if (!v->is_boolean()) return Fail(field, "must be true or false");
    *out = v->get<bool>();
  }
  void List(const char* field, std::vector<std::string>* out) {
    const json* v = Find(field);
    if (v == nullptr) return;
    if (!v->is_array()) return Fail(field, "must be a list of strings");
    out->clear();
    for (const json& e : *v) {
      if (!e.is_string()) return Fail(field, "must be a list of strings");
      out->push_back(e.get<std::string>());
    }
  }
  template <typename E, size_t N>
  void Enum(const char* field, const absl::string_view (&names)[N], E* out) {
    std::string s;
    const json* v = Find(field);
    if (v == nullptr) return;
    if (!v->is_string()) return Fail(field, "must be a string");
    s = v->get<std::string>();
    for (size_t i = 0; i < N; ++i) {
      if (names[i] == s) {
        *out = static_cast<E>(i);
        return;
      }
    }
    Fail(field, absl::StrCat("'", s, "' is not one of ", Choices(names)));
  }
  // A nested object, read by `read` with a Reader named "<record>.<field>".
  template <typename F>
  void Object(const char* field, F read) {
    const json* v = Find(field);
    if (v == nullptr) return;
    Reader sub(absl::StrCat(record_, ".", field), *v);
    read(sub);
    if (status_.ok()) status_ = sub.Finish();
  }

  // The first error, or an unknown field.
  absl::Status Finish() {
    if (!status_.ok()) return status_;
    for (const auto& [key, value] : j_.items()) {
      if (!known_.contains(key)) return Bad(record_, key, "unknown field");
    }
    return absl::OkStatus();
  }

 private:
  Reader(std::string record, const json& j) : record_(std::move(record)), j_(j) {
    if (!j_.is_object()) status_ = absl::InvalidArgumentError(record_ + ": must be an object");
  }
  const json* Find(const char* field) {
    known_.insert(field);
    if (!status_.ok()) return nullptr;
    auto it = j_.find(field);
    if (it == j_.end() || it->is_null()) return nullptr;
    return &*it;
  }
  void Fail(absl::string_view field, absl::string_view why) {
    if (status_.ok()) status_ = Bad(record_, field, why);
  }

  std::string record_;
  json j_;
  absl::Status status_;
  std::set<std::string, std::less<>> known_;
};

std::vector<int> HourList(uint32_t hours) {
  std::vector<int> out;
  for (int h = 0; h < 24; ++h) {
    if (hours & (1u << h)) out.push_back(h);
  }
  return out;
}

}  // namespace

absl::string_view Name(Objective v) { return kObjectives[static_cast<int>(v)]; }
absl::string_view Name(BudgetMode v) { return kBudgetModes[static_cast<int>(v)]; }
absl::string_view Name(Goal v) { return kGoals[static_cast<int>(v)]; }
absl::string_view Name(BidStrategy v) { return kStrategies[static_cast<int>(v)]; }
absl::string_view Name(Pacing v) { return kPacings[static_cast<int>(v)]; }
absl::string_view Name(Approval v) { return kApprovals[static_cast<int>(v)]; }
absl::string_view Name(AudienceKind v) { return kAudienceKinds[static_cast<int>(v)]; }

Goal BilledEvent(const AdGroup& g) {
  return g.bid_strategy == BidStrategy::kBidCap ? g.goal : Goal::kImpression;
}

// ---- Validation ----

absl::Status ValidateId(absl::string_view field, absl::string_view id, bool allow_dot) {
  if (id.empty() || id.size() > 64) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": must be 1-64 characters"));
  }
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-' || (allow_dot && c == '.');
    if (!ok) {
      return absl::InvalidArgumentError(absl::StrCat(
          field, allow_dot ? ": only letters, digits, _, - and ." : ": only letters, digits, _ and -"));
    }
  }
  return absl::OkStatus();
}

absl::Status Validate(const Account& a) {
  FORYOU_RETURN_IF_ERROR(ValidateId("account.id", a.id));
  if (a.name.empty() || a.name.size() > 200) return Bad("account", "name", "must be 1-200 bytes");
  // The owner is a user's handle (docs/design/accounts.md), which may hold a '.'.
  return ValidateId("account.owner", a.owner, /*allow_dot=*/true);
}

namespace {
absl::Status ValidateBudget(absl::string_view record, BudgetMode mode, int64_t budget) {
  FORYOU_RETURN_IF_ERROR(CheckMoney(record, "budget_micros", budget));
  if (mode == BudgetMode::kNone && budget != 0) {
    return Bad(record, "budget_micros", "must be 0 when budget_mode is none");
  }
  if (mode != BudgetMode::kNone && budget <= 0) {
    return Bad(record, "budget_micros", absl::StrCat("must be > 0 for a ", Name(mode), " budget"));
  }
  return absl::OkStatus();
}
}  // namespace

absl::Status Validate(const Campaign& c) {
  FORYOU_RETURN_IF_ERROR(ValidateId("campaign.id", c.id));
  FORYOU_RETURN_IF_ERROR(ValidateId("campaign.account", c.account));
  if (c.name.empty() || c.name.size() > 200) return Bad("campaign", "name", "must be 1-200 bytes");
  FORYOU_RETURN_IF_ERROR(ValidateBudget("campaign", c.budget_mode, c.budget_micros));
  if (c.start_ms < 0) return Bad("campaign", "start_ms", "must be >= 0");
  if (c.end_ms != 0 && c.end_ms <= c.start_ms) {
    return Bad("campaign", "end_ms", "must be after start_ms (or 0 for no end)");
  }
  if (c.budget_mode == BudgetMode::kLifetime && c.end_ms == 0) {
    return Bad("campaign", "end_ms", "a lifetime budget needs an end");
  }
  return absl::OkStatus();
}

absl::Status Validate(const AdGroup& g) {
  constexpr absl::string_view r = "ad_group";
  FORYOU_RETURN_IF_ERROR(ValidateId("ad_group.id", g.id));
  FORYOU_RETURN_IF_ERROR(ValidateId("ad_group.campaign", g.campaign));
  if (g.name.empty() || g.name.size() > 200) return Bad(r, "name", "must be 1-200 bytes");
  const Targeting& t = g.targeting;
  FORYOU_RETURN_IF_ERROR(CheckTokens(r, "targeting.countries", t.countries));
  for (const std::string& c : t.countries) {
    if (c.size() != 2 || c[0] < 'A' || c[0] > 'Z' || c[1] < 'A' || c[1] > 'Z') {
      return Bad(r, "targeting.countries", absl::StrCat("'", c, "' is not a code like US"));
    }
  }
  FORYOU_RETURN_IF_ERROR(CheckTokens(r, "targeting.languages", t.languages));
  FORYOU_RETURN_IF_ERROR(CheckList(r, "targeting.age_bands", t.age_bands, kAgeBands));
  FORYOU_RETURN_IF_ERROR(CheckList(r, "targeting.genders", t.genders, kGenders));
  FORYOU_RETURN_IF_ERROR(CheckList(r, "targeting.devices", t.devices, kDevices));
  FORYOU_RETURN_IF_ERROR(CheckTokens(r, "targeting.interests", t.interests));
  FORYOU_RETURN_IF_ERROR(CheckTokens(r, "targeting.audiences", t.audiences));
  FORYOU_RETURN_IF_ERROR(CheckTokens(r, "targeting.excluded_interests", t.excluded_interests));
  FORYOU_RETURN_IF_ERROR(CheckTokens(r, "targeting.excluded_audiences", t.excluded_audiences));
  if (g.placements.empty()) return Bad(r, "placements", "at least one placement");
  FORYOU_RETURN_IF_ERROR(CheckList(r, "placements", g.placements, kPlacements));
  if (g.hours == 0 || g.hours > 0xFFFFFF) return Bad(r, "hours", "hours 0-23, at least one");
  FORYOU_RETURN_IF_ERROR(CheckMoney(r, "bid_micros", g.bid_micros));
  switch (g.bid_strategy) {
    case BidStrategy::kBidCap:
      if (g.bid_micros <= 0) return Bad(r, "bid_micros", "must be > 0 for bid_cap");
      if (g.goal == Goal::kConversion) {
        return Bad(r, "goal", "bid_cap bills impression, click or view, not conversion");
      }
      break;
    case BidStrategy::kCostCap:
      if (g.bid_micros <= 0) return Bad(r, "bid_micros", "must be > 0 for cost_cap (target CPA)");
      if (g.goal == Goal::kImpression) {
        return Bad(r, "goal", "cost_cap targets a cost per click, view or conversion");
      }
      break;
    case BidStrategy::kLowestCost:
      if (g.bid_micros != 0) return Bad(r, "bid_micros", "must be 0 for lowest_cost");
      if (g.budget_mode == BudgetMode::kNone) {
        return Bad(r, "budget_mode", "lowest_cost needs a daily or lifetime budget to spend");
      }
      break;
  }
  FORYOU_RETURN_IF_ERROR(ValidateBudget(r, g.budget_mode, g.budget_micros));
  if (g.frequency_cap.impressions < 0 || g.frequency_cap.impressions > 1000) {
    return Bad(r, "frequency_cap.impressions", "must be 0-1000 (0 = no cap)");
  }
  if (g.frequency_cap.window_hours < 1 || g.frequency_cap.window_hours > 24 * 30) {
    return Bad(r, "frequency_cap.window_hours", "must be 1-720");
  }
  if (g.attribution_window_hours < 1 || g.attribution_window_hours > 24 * 28) {
    return Bad(r, "attribution_window_hours", "must be 1-672");
  }
  if (g.created_ms < 0) return Bad(r, "created_ms", "must be >= 0");
  return absl::OkStatus();
}

absl::Status Validate(const Ad& ad) {
  FORYOU_RETURN_IF_ERROR(ValidateId("ad.id", ad.id));
  FORYOU_RETURN_IF_ERROR(ValidateId("ad.ad_group", ad.ad_group));
  if (ad.name.empty() || ad.name.size() > 200) return Bad("ad", "name", "must be 1-200 bytes");
  FORYOU_RETURN_IF_ERROR(ValidateId("ad.video", ad.video));
  if (!OneOf(ad.call_to_action, kCallsToAction)) {
    return Bad("ad", "call_to_action",
               absl::StrCat("'", ad.call_to_action, "' is not one of ", Choices(kCallsToAction)));
  }
  const std::string& u = ad.landing_url;
  const bool scheme = u.starts_with("https://") || u.starts_with("http://");
  const size_t host = u.find("://") + 3;
  if (!scheme || u.size() <= host || u.size() > 2048 || u[host] == '/') {
    return Bad("ad", "landing_url", "must be an http:// or https:// URL with a host");
  }
  for (char c : u) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      return Bad("ad", "landing_url", "must not hold spaces or control characters");
    }
  }
  if (!ad.challenge.empty()) FORYOU_RETURN_IF_ERROR(ValidateId("ad.challenge", ad.challenge));
  return absl::OkStatus();
}

absl::Status Validate(const Audience& a) {
  FORYOU_RETURN_IF_ERROR(ValidateId("audience.id", a.id));
  FORYOU_RETURN_IF_ERROR(ValidateId("audience.account", a.account));
  if (a.name.empty() || a.name.size() > 200) return Bad("audience", "name", "must be 1-200 bytes");
  if (a.size < 0) return Bad("audience", "size", "must be >= 0");
  if (a.kind == AudienceKind::kCustom) {
    if (!a.seed.empty()) return Bad("audience", "seed", "only a lookalike has a seed");
    if (a.requested_size != 0 || a.include_seed || a.computed_ms != 0) {
      return Bad("audience", "kind", "a custom audience has no lookalike fields");
    }
    return absl::OkStatus();
  }
  FORYOU_RETURN_IF_ERROR(ValidateId("audience.seed", a.seed));
  if (a.seed == a.id) return Bad("audience", "seed", "must be another audience");
  if (a.requested_size < 1 || a.requested_size > kMaxLookalikeSize) {
    return Bad("audience", "size", absl::StrCat("must be in [1, ", kMaxLookalikeSize, "]"));
  }
  if (a.computed_ms < 0) return Bad("audience", "computed_ms", "must be >= 0");
  return absl::OkStatus();
}

absl::Status ValidateUser(absl::string_view field, absl::string_view user) {
  if (user.empty() || user.size() > 128) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": must be 1-128 bytes"));
  }
  for (char c : user) {
    if (static_cast<unsigned char>(c) < 0x20) {
      return absl::InvalidArgumentError(absl::StrCat(field, ": must not hold control characters"));
    }
  }
  return absl::OkStatus();
}

// ---- JSON ----

absl::StatusOr<Account> ParseAccount(absl::string_view text) {
  Account a;
  Reader r("account", text);
  r.Str("id", &a.id);
  r.Str("name", &a.name);
  r.Str("owner", &a.owner);
  FORYOU_RETURN_IF_ERROR(r.Finish());
  FORYOU_RETURN_IF_ERROR(Validate(a));
  return a;
}

absl::StatusOr<Campaign> ParseCampaign(absl::string_view text) {
  Campaign c;
  Reader r("campaign", text);
  r.Str("id", &c.id);
  r.Str("account", &c.account);
  r.Str("name", &c.name);
  r.Enum("objective", kObjectives, &c.objective);
  r.Enum("budget_mode", kBudgetModes, &c.budget_mode);
  r.Int("budget_micros", &c.budget_micros);
  r.Int("start_ms", &c.start_ms);
  r.Int("end_ms", &c.end_ms);
  r.Bool("paused", &c.paused);
  FORYOU_RETURN_IF_ERROR(r.Finish());
  FORYOU_RETURN_IF_ERROR(Validate(c));
  return c;
}

absl::StatusOr<AdGroup> ParseAdGroup(absl::string_view text) {
  AdGroup g;
  Reader r("ad_group", text);
  r.Str("id", &g.id);
  r.Str("campaign", &g.campaign);
  r.Str("name", &g.name);
  r.Object("targeting", [&](Reader& t) {
    t.List("countries", &g.targeting.countries);
    t.List("languages", &g.targeting.languages);
    t.List("age_bands", &g.targeting.age_bands);
    t.List("genders", &g.targeting.genders);
    t.List("devices", &g.targeting.devices);
    t.List("interests", &g.targeting.interests);
    t.List("audiences", &g.targeting.audiences);
    t.List("excluded_interests", &g.targeting.excluded_interests);
    t.List("excluded_audiences", &g.targeting.excluded_audiences);
  });
  r.List("placements", &g.placements);
  // Hours are a list of UTC hours 0-23 in JSON, a bit mask in memory.
  std::vector<int64_t> hours;
  if (r.IntList("hours", &hours)) {
    g.hours = 0;
    for (int64_t h : hours) {
      if (h < 0 || h > 23) return Bad("ad_group", "hours", "each hour must be 0-23");
      g.hours |= 1u << h;
    }
  }
  r.Enum("goal", kGoals, &g.goal);
  r.Enum("bid_strategy", kStrategies, &g.bid_strategy);
  r.Int("bid_micros", &g.bid_micros);
  r.Enum("budget_mode", kBudgetModes, &g.budget_mode);
  r.Int("budget_micros", &g.budget_micros);
  r.Enum("pacing", kPacings, &g.pacing);
  r.Object("frequency_cap", [&](Reader& f) {
    f.Int32("impressions", &g.frequency_cap.impressions);
    f.Int32("window_hours", &g.frequency_cap.window_hours);
  });
  r.Int32("attribution_window_hours", &g.attribution_window_hours);
  r.Int("created_ms", &g.created_ms);
  r.Bool("paused", &g.paused);
  FORYOU_RETURN_IF_ERROR(r.Finish());
  FORYOU_RETURN_IF_ERROR(Validate(g));
  return g;
}

absl::StatusOr<Ad> ParseAd(absl::string_view text) {
  Ad ad;
  Reader r("ad", text);
  r.Str("id", &ad.id);
  r.Str("ad_group", &ad.ad_group);
  r.Str("name", &ad.name);
  r.Str("video", &ad.video);
  r.Str("call_to_action", &ad.call_to_action);
  r.Str("landing_url", &ad.landing_url);
  r.Str("challenge", &ad.challenge);
  r.Enum("approval", kApprovals, &ad.approval);
  r.Bool("paused", &ad.paused);
  FORYOU_RETURN_IF_ERROR(r.Finish());
  FORYOU_RETURN_IF_ERROR(Validate(ad));
  return ad;
}

absl::StatusOr<Audience> ParseAudience(absl::string_view text) {
  Audience a;
  Reader r("audience", text);
  r.Str("id", &a.id);
  r.Str("account", &a.account);
  r.Str("name", &a.name);
  r.Int("size", &a.size);
  r.Enum("kind", kAudienceKinds, &a.kind);
  r.Str("seed", &a.seed);
  r.Int("requested_size", &a.requested_size);
  r.Bool("include_seed", &a.include_seed);
  r.Int("computed_ms", &a.computed_ms);
  FORYOU_RETURN_IF_ERROR(r.Finish());
  FORYOU_RETURN_IF_ERROR(Validate(a));
  return a;
}

std::string AudienceToJson(const Audience& a) {
  json j = {{"id", a.id}, {"account", a.account}, {"name", a.name}, {"size", a.size},
            {"kind", Name(a.kind)}};
  if (a.kind == AudienceKind::kLookalike) {
    j["seed"] = a.seed;
    j["requested_size"] = a.requested_size;
    j["include_seed"] = a.include_seed;
    j["computed_ms"] = a.computed_ms;
  }
  return j.dump();
}

std::string AccountToJson(const Account& a) {
  return json{{"id", a.id}, {"name", a.name}, {"owner", a.owner}}.dump();
}

std::string CampaignToJson(const Campaign& c) {
  return json{{"id", c.id},
              {"account", c.account},
              {"name", c.name},
              {"objective", Name(c.objective)},
              {"budget_mode", Name(c.budget_mode)},
              {"budget_micros", c.budget_micros},
              {"start_ms", c.start_ms},
              {"end_ms", c.end_ms},
              {"paused", c.paused}}
      .dump();
}

std::string AdGroupToJson(const AdGroup& g) {
  const Targeting& t = g.targeting;
  json targeting = {{"countries", t.countries},
                    {"languages", t.languages},
                    {"age_bands", t.age_bands},
                    {"genders", t.genders},
                    {"devices", t.devices},
                    {"interests", t.interests},
                    {"audiences", t.audiences},
                    {"excluded_interests", t.excluded_interests},
                    {"excluded_audiences", t.excluded_audiences}};
  return json{{"id", g.id},
              {"campaign", g.campaign},
              {"name", g.name},
              {"targeting", targeting},
              {"placements", g.placements},
              {"hours", HourList(g.hours)},
              {"goal", Name(g.goal)},
              {"bid_strategy", Name(g.bid_strategy)},
              {"bid_micros", g.bid_micros},
              {"budget_mode", Name(g.budget_mode)},
              {"budget_micros", g.budget_micros},
              {"pacing", Name(g.pacing)},
              {"frequency_cap",
               {{"impressions", g.frequency_cap.impressions},
                {"window_hours", g.frequency_cap.window_hours}}},
              {"attribution_window_hours", g.attribution_window_hours},
              {"created_ms", g.created_ms},
              {"paused", g.paused}}
      .dump();
}

std::string AdToJson(const Ad& ad) {
  return json{{"id", ad.id},
              {"ad_group", ad.ad_group},
              {"name", ad.name},
              {"video", ad.video},
              {"call_to_action", ad.call_to_action},
              {"landing_url", ad.landing_url},
              {"challenge", ad.challenge},
              {"approval", Name(ad.approval)},
              {"paused", ad.paused}}
      .dump();
}

}  // namespace foryou::ads
