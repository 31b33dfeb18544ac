// The advertiser's side of the ads engine: account -> campaign -> ad group -> ad, their
// validation and their JSON form (docs/design/ads.md; stored as docs/formats/ads.md says).
//
// Money is integer micros of the account's currency (1 unit = 1,000,000 micros); nothing here
// or in the ledger uses floating point for money. Times are ms since the Unix epoch (UTC).
//
// Example:
//   FORYOU_ASSIGN_OR_RETURN(AdGroup g, ParseAdGroup(json_text));  // names the bad field
//   std::string back = AdGroupToJson(g);
#pragma once

#include <cstdint>
#include <string>
#include "absl/strings/string_view.h"
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace foryou::ads {

inline constexpr int64_t kMicros = 1'000'000;
inline constexpr int64_t kHourMs = 3'600'000;
inline constexpr int64_t kDayMs = 24 * kHourMs;

enum class Objective { kReach, kVideoViews, kTraffic, kConversions };
enum class BudgetMode { kNone, kDaily, kLifetime };
// The event an ad group optimises for; with Bid Cap it is also the billed event.
enum class Goal { kImpression, kClick, kView, kConversion };
// kBidCap: max price per billed event (CPM per 1,000 impressions, CPC, CPV). kCostCap: a target
// average cost per optimisation event, billed per 1,000 impressions (oCPM). kLowestCost: no
// bid; spend the budget for the most results, billed per 1,000 impressions.
enum class BidStrategy { kBidCap, kCostCap, kLowestCost };
enum class Pacing { kSmooth, kFast };
enum class Approval { kPending, kApproved, kRejected };

struct Account {
  std::string id;
  std::string name;
  std::string owner;  // the user (advertiser key) allowed to change it
};

struct Campaign {
  std::string id, account, name;
  Objective objective = Objective::kReach;
  BudgetMode budget_mode = BudgetMode::kNone;
  int64_t budget_micros = 0;  // per UTC day (kDaily) or in total (kLifetime); 0 for kNone
  int64_t start_ms = 0;
  int64_t end_ms = 0;  // 0 = open-ended
  bool paused = false;
};

// Who may see an ad group's ads. An empty include list admits anyone; a viewer matching any
// exclusion is refused. Values are compared exactly (ids and codes, not free text).
struct Targeting {
  std::vector<std::string> countries;  // ISO 3166 alpha-2, "US"
  std::vector<std::string> languages;  // ISO 639-1, "en"
  std::vector<std::string> age_bands;  // "13-17" "18-24" "25-34" "35-44" "45-54" "55+"
  std::vector<std::string> genders;    // "female" "male" (a viewer of unknown gender never matches a gender list)
  std::vector<std::string> devices;    // "android" "ios" "web"
  std::vector<std::string> interests;  // categories and hashtags: any one matches
  std::vector<std::string> audiences;  // custom or lookalike audience ids: any one matches
  std::vector<std::string> excluded_interests;
  std::vector<std::string> excluded_audiences;
};

struct FrequencyCap {
  int32_t impressions = 0;  // 0 = no cap
  int32_t window_hours = 24;
};

struct AdGroup {
  std::string id, campaign, name;
  Targeting targeting;
  std::vector<std::string> placements = {"foryou"};
  uint32_t hours = 0xFFFFFF;  // bit h: serves during UTC hour h (0-23)
  Goal goal = Goal::kImpression;
  BidStrategy bid_strategy = BidStrategy::kLowestCost;
  // kBidCap: max price per billed event (per 1,000 impressions for kImpression);
  // kCostCap: target cost per optimisation event; kLowestCost: 0.
  int64_t bid_micros = 0;
  BudgetMode budget_mode = BudgetMode::kNone;
  int64_t budget_micros = 0;
  Pacing pacing = Pacing::kSmooth;
  FrequencyCap frequency_cap;
  int32_t attribution_window_hours = 168;  // conversions credit a click/impression this recent
  int64_t created_ms = 0;  // the learning phase's 7 days count from here
  bool paused = false;
};

inline constexpr absl::string_view kCallsToAction[] = {
    "learn_more", "shop_now", "sign_up", "download", "watch_more", "contact_us", "book_now"};

struct Ad {
  std::string id, ad_group, name;
  std::string video;  // a catalog video posted by the advertiser
  std::string call_to_action = "learn_more";
  std::string landing_url;  // http:// or https://
  std::string challenge;    // optional sponsored hashtag challenge, "" = none
  Approval approval = Approval::kPending;
  bool paused = false;
};

enum class AudienceKind { kCustom, kLookalike };

// A custom audience (an uploaded user list) or a lookalike (the users nearest to a seed
// audience's members in the serving model's user embedding space, targeting.h): a named set of
// users an ad group can target or exclude, owned by one account.
struct Audience {
  std::string id, account, name;
  int64_t size = 0;  // members, set by the store
  AudienceKind kind = AudienceKind::kCustom;
  // A lookalike's recipe (empty / 0 / false for a custom audience): the seed audience (one of
  // the same account's custom audiences), how many users it asks for (at most this many
  // members), whether the seed's members may be among them, and when its members were computed.
  std::string seed;
  int64_t requested_size = 0;
  bool include_seed = false;
  int64_t computed_ms = 0;
};
// The largest lookalike a request may ask for.
inline constexpr int64_t kMaxLookalikeSize = 100'000;

// The names used in JSON and messages ("bid_cap", "daily", ...).
absl::string_view Name(Objective v);
absl::string_view Name(BudgetMode v);
absl::string_view Name(Goal v);
absl::string_view Name(BidStrategy v);
absl::string_view Name(Pacing v);
absl::string_view Name(Approval v);
absl::string_view Name(AudienceKind v);

// Each check returns InvalidArgument naming the field: "ad_group.bid_micros: must be > 0 for
// bid_cap". Ids: 1-64 characters of [A-Za-z0-9_-], and `.` with allow_dot (an account's owner,
// a user's handle).
[[nodiscard]] absl::Status ValidateId(absl::string_view field, absl::string_view id,
                                      bool allow_dot = false);
[[nodiscard]] absl::Status Validate(const Account& a);
[[nodiscard]] absl::Status Validate(const Campaign& c);
[[nodiscard]] absl::Status Validate(const AdGroup& g);
[[nodiscard]] absl::Status Validate(const Ad& ad);
[[nodiscard]] absl::Status Validate(const Audience& a);
// A viewer id as the ledger and audiences hold it: 1-128 bytes, no NUL or control character.
[[nodiscard]] absl::Status ValidateUser(absl::string_view field, absl::string_view user);

// JSON text -> validated record. Unknown fields, wrong types and invalid values are refused
// with the field's name; absent optional fields take the defaults above.
[[nodiscard]] absl::StatusOr<Account> ParseAccount(absl::string_view json);
[[nodiscard]] absl::StatusOr<Campaign> ParseCampaign(absl::string_view json);
[[nodiscard]] absl::StatusOr<AdGroup> ParseAdGroup(absl::string_view json);
[[nodiscard]] absl::StatusOr<Ad> ParseAd(absl::string_view json);
[[nodiscard]] absl::StatusOr<Audience> ParseAudience(absl::string_view json);

// Record -> JSON text (every field), which the Parse functions read back to an equal record.
std::string AccountToJson(const Account& a);
std::string CampaignToJson(const Campaign& c);
std::string AdGroupToJson(const AdGroup& g);
std::string AdToJson(const Ad& ad);
std::string AudienceToJson(const Audience& a);

// The event billed for an ad group: its goal under kBidCap, an impression otherwise.
Goal BilledEvent(const AdGroup& g);

}  // namespace foryou::ads
