// ApiServer routes of ads delivery (docs/api.md, "Ads"): conversions reported by advertisers
// (`POST /v1/conversions`: deduplicated by event id, attributed by the billing ledger) and
// delivery reports (`GET /v1/ads/reports`: the ledger's report per hour or day and campaign, ad
// group or ad, with each ad group's learning state and its pacing plan by hour). The ledger,
// attribution, reports and pacing are the ads module's (src/ads/ledger.h, report.h, pacer.h).
#include "server/api_server.h"  // first: see api_handlers.h

#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "ads/auction.h"
#include "ads/report.h"
#include "common/status_macros.h"
#include "server/ads_access.h"
#include "server/api_handlers.h"
#include "server/http_status.h"

namespace foryou::server {
namespace {

// How far in the future a conversion's time may be (the advertiser's clock may run ahead).
constexpr int64_t kConversionSkewMs = 5 * 60'000;
// The longest report: 31 days by hour, 400 by day.
constexpr int64_t kMaxHourRangeMs = 31 * ads::kDayMs;
constexpr int64_t kMaxDayRangeMs = 400 * ads::kDayMs;
constexpr int64_t kMaxValueMicros = int64_t{1'000'000'000} * ads::kMicros;

json EntryJson(const ads::LedgerEntry& e) {
  json j = {{"event_id", e.event_id},   {"kind", std::string(ads::Name(e.kind))},
            {"user", e.user},           {"account", e.account},
            {"campaign", e.campaign},   {"ad_group", e.ad_group},
            {"ad", e.ad},               {"time_ms", e.time_ms},
            {"charge_micros", e.charge_micros}, {"seq", e.seq}};
  if (e.kind == ads::EventKind::kConversion) {
    j["type"] = e.conversion_type;
    j["value_micros"] = e.value_micros;
    j["attributed_to"] = e.attributed_to;
    j["attributed"] = !e.attributed_to.empty();
  }
  return j;
}

// A conversion's JSON body, every field checked by name; unknown fields refused.
absl::StatusOr<ads::Conversion> ParseConversion(const json& body, int64_t now_ms) {
  if (!body.is_object()) return absl::InvalidArgumentError("body: must be a JSON object");
  ads::Conversion c;
  bool has_time = false;
  for (const auto& [key, value] : body.items()) {
    std::string* text = key == "event_id" ? &c.event_id
                        : key == "click_id" ? &c.click_id
                        : key == "user"     ? &c.user
                        : key == "ad"       ? &c.ad
                        : key == "type"     ? &c.type
                                            : nullptr;
    if (text != nullptr) {
      if (!value.is_string()) {
        return absl::InvalidArgumentError(absl::StrCat(key, ": must be a string"));
      }
      *text = value.get<std::string>();
    } else if (key == "value_micros" || key == "time_ms") {
      if (!value.is_number_integer()) {
        return absl::InvalidArgumentError(absl::StrCat(key, ": must be an integer"));
      }
      const int64_t v = value.get<int64_t>();
      if (key == "value_micros") {
        if (v < 0 || v > kMaxValueMicros) {
          return absl::InvalidArgumentError(
              absl::StrCat("value_micros: must be 0..", kMaxValueMicros));
        }
        c.value_micros = v;
      } else {
        if (v < 0 || v > now_ms + kConversionSkewMs) {
          return absl::InvalidArgumentError(
              "time_ms: must be >= 0 and not in the future (ms since the Unix epoch)");
        }
        c.time_ms = v;
        has_time = true;
      }
    } else {
      return absl::InvalidArgumentError(absl::StrCat(key, ": unknown field"));
    }
  }
  if (c.event_id.empty()) return absl::InvalidArgumentError("event_id: required (a string)");
  FORYOU_RETURN_IF_ERROR(ads::ValidateId("event_id", c.event_id));
  if (c.type.empty() || c.type.size() > 64) {
    return absl::InvalidArgumentError("type: required, 1-64 bytes (\"purchase\")");
  }
  if (!c.click_id.empty()) {
    if (!c.user.empty() || !c.ad.empty()) {
      return absl::InvalidArgumentError("click_id: give click_id, or user and ad, not both");
    }
    FORYOU_RETURN_IF_ERROR(ads::ValidateId("click_id", c.click_id));
  } else {
    if (c.user.empty() || c.ad.empty()) {
      return absl::InvalidArgumentError("click_id: required, or user and ad");
    }
    FORYOU_RETURN_IF_ERROR(ads::ValidateUser("user", c.user));
    FORYOU_RETURN_IF_ERROR(ads::ValidateId("ad", c.ad));
  }
  if (!has_time) c.time_ms = now_ms;
  return c;
}

absl::StatusOr<int64_t> Int64Param(const HttpRequest& req, const std::string& name,
                                   int64_t fallback) {
  if (!req.has_param(name)) return fallback;
  int64_t v = 0;
  if (!absl::SimpleAtoi(req.get_param_value(name), &v) || v < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, ": must be a time in ms since the Unix epoch"));
  }
  return v;
}

json RowJson(const ads::ReportRow& r) {
  return {{"bucket_ms", r.bucket_ms},
          {"id", r.id},
          {"impressions", r.impressions},
          {"reach", r.reach},
          {"frequency", r.frequency()},
          {"clicks", r.clicks},
          {"ctr", r.ctr()},
          {"views_2s", r.views_2s},
          {"views_6s", r.views_6s},
          {"conversions", r.conversions},
          {"cpa_micros", r.conversions ? json(r.cpa_micros()) : json()},
          {"spend_micros", r.spend_micros}};
}

}  // namespace

void ApiServer::AdsDeliveryRoutes() {
  if (deps_.ads_ledger == nullptr) return;
  HttpServer& s = *http_;
  ads::AdsStore& store = *deps_.ads;
  ads::Ledger& ledger = *deps_.ads_ledger;

  // ---- A conversion (pixel or server to server): once per event id ----
  s.Post("/v1/conversions", AdsRoute("/v1/conversions", [this, &store, &ledger](
                                                            const HttpRequest& req,
                                                            HttpResponse& res,
                                                            const Caller& caller) {
    const AdsActor actor = *AdsActorOf(caller);
    absl::StatusOr<json> body = ParseBody(req);
    if (!body.ok()) return SendError(res, body.status());
    absl::StatusOr<ads::Conversion> c = ParseConversion(*body, Now());
    if (!c.ok()) return SendError(res, c.status());
    // The ad (through the click) must be the actor's; another's reads as unknown.
    std::string account;
    if (!c->click_id.empty()) {
      absl::StatusOr<ads::LedgerEntry> click = ledger.Find(c->click_id);
      if (click.ok() && (click->kind == ads::EventKind::kClick ||
                         click->kind == ads::EventKind::kImpression)) {
        account = click->account;
      } else if (!click.ok() && !absl::IsNotFound(click.status())) {
        return SendError(res, click.status());
      }
      if (account.empty() || !ResolveAds(store, actor, "account", account).ok()) {
        return SendError(res, absl::InvalidArgumentError(absl::StrCat(
                                  "click_id: no click or impression '", c->click_id, "'")));
      }
    } else {
      absl::StatusOr<AdsChain> ad = ResolveAds(store, actor, "ad", c->ad);
      if (absl::IsNotFound(ad.status())) {
        return SendError(res,
                         absl::InvalidArgumentError(absl::StrCat("ad: no ad '", c->ad, "'")));
      }
      if (!ad.ok()) return SendError(res, ad.status());
      account = ad->account.id;
    }
    absl::StatusOr<ads::LedgerEntry> seen = ledger.Find(c->event_id);
    if (seen.ok()) {
      if (seen->kind != ads::EventKind::kConversion || seen->account != account) {
        return SendError(res, absl::AlreadyExistsError(absl::StrCat(
                                  "event_id: '", c->event_id, "' names another event")));
      }
      return SendJson(res, 200, {{"duplicate", true}, {"conversion", EntryJson(*seen)}});
    }
    if (!absl::IsNotFound(seen.status())) return SendError(res, seen.status());
    absl::StatusOr<ads::LedgerEntry> written = ledger.RecordConversion(*c);
    if (absl::IsNotFound(written.status())) {
      return SendError(res, absl::InvalidArgumentError(written.status().message()));
    }
    if (!written.ok()) return SendError(res, written.status());
    SendJson(res, 201, {{"duplicate", false}, {"conversion", EntryJson(*written)}});
  }));

  // ---- Delivery reports from the ledger, with learning states and pacing plans ----
  s.Get("/v1/ads/reports", AdsRoute("/v1/ads/reports", [this, &store, &ledger](
                                                           const HttpRequest& req,
                                                           HttpResponse& res,
                                                           const Caller& caller) {
    const AdsActor actor = *AdsActorOf(caller);
    absl::StatusOr<std::string> account = RequiredParam(req, "account");
    if (!account.ok()) return SendError(res, account.status());
    absl::StatusOr<AdsChain> owner = ResolveAds(store, actor, "account", *account);
    if (!owner.ok()) return SendError(res, owner.status());
    ads::ReportQuery q{.account = *account};
    const std::string level = req.has_param("level") ? req.get_param_value("level") : "campaign";
    if (level == "account") {
      q.level = ads::Level::kAccount;
    } else if (level == "campaign") {
      q.level = ads::Level::kCampaign;
    } else if (level == "ad_group") {
      q.level = ads::Level::kAdGroup;
    } else if (level == "ad") {
      q.level = ads::Level::kAd;
    } else {
      return SendError(res, absl::InvalidArgumentError(
                                "level: one of account, campaign, ad_group, ad"));
    }
    const std::string by = req.has_param("by") ? req.get_param_value("by") : "day";
    if (by != "hour" && by != "day" && by != "all") {
      return SendError(res, absl::InvalidArgumentError("by: one of hour, day, all"));
    }
    q.bucket = by == "hour" ? ads::Bucket::kHour : by == "day" ? ads::Bucket::kDay
                                                               : ads::Bucket::kAll;
    // Default range: today (UTC) by hour; the last 7 days, today included, otherwise.
    const int64_t now = Now();
    const int64_t tomorrow = (now / ads::kDayMs + 1) * ads::kDayMs;
    absl::StatusOr<int64_t> to = Int64Param(req, "to_ms", tomorrow);
    if (!to.ok()) return SendError(res, to.status());
    absl::StatusOr<int64_t> from =
        Int64Param(req, "from_ms", *to - (by == "hour" ? 1 : 7) * ads::kDayMs);
    if (!from.ok()) return SendError(res, from.status());
    q.from_ms = *from;
    q.to_ms = *to;
    if (q.to_ms <= q.from_ms) {
      return SendError(res, absl::InvalidArgumentError("to_ms: must be after from_ms"));
    }
    const int64_t max_range = by == "hour" ? kMaxHourRangeMs : kMaxDayRangeMs;
    if (q.to_ms - q.from_ms > max_range) {
      return SendError(res, absl::InvalidArgumentError(absl::StrCat(
                                "to_ms: at most ", max_range / ads::kDayMs, " days after from_ms",
                                by == "hour" ? " by hour" : "")));
    }
    absl::StatusOr<std::vector<ads::ReportRow>> rows = ads::BuildReport(ledger, q);
    if (!rows.ok()) return SendError(res, rows.status());
    json list = json::array();
    ads::ReportRow total;
    for (const ads::ReportRow& r : *rows) {
      list.push_back(RowJson(r));
      total.impressions += r.impressions;
      total.clicks += r.clicks;
      total.views_2s += r.views_2s;
      total.views_6s += r.views_6s;
      total.conversions += r.conversions;
      total.spend_micros += r.spend_micros;
    }
    json totals = RowJson(total);
    for (const char* per_row : {"bucket_ms", "id", "reach", "frequency"}) totals.erase(per_row);

    // Each ad group's state, and by hour its smooth-pacing plan beside the spend rows.
    json groups = json::array();
    absl::StatusOr<std::vector<ads::Campaign>> campaigns = store.CampaignsOf(*account);
    if (!campaigns.ok()) return SendError(res, campaigns.status());
    const ads::AuctionOptions auction;
    for (const ads::Campaign& c : *campaigns) {
      absl::StatusOr<std::vector<ads::AdGroup>> gs = store.AdGroupsOf(c.id);
      if (!gs.ok()) return SendError(res, gs.status());
      for (const ads::AdGroup& g : *gs) {
        const ads::GroupDelivery d = ads::DeliveryOf(ledger, g, now);
        json j = {{"id", g.id},
                  {"campaign", c.id},
                  {"name", g.name},
                  {"paused", g.paused || c.paused},
                  {"goal", std::string(ads::Name(g.goal))},
                  {"bid_strategy", std::string(ads::Name(g.bid_strategy))},
                  {"learning", ads::Learning(auction, g, d, now)},
                  {"goal_events", d.goal_events},
                  {"spend_micros", d.spend_micros}};
        const int64_t target =
            deps_.ads_pacer != nullptr ? deps_.ads_pacer->DailyTarget(c, g, now) : ads::kNoLimit;
        j["daily_target_micros"] = target == ads::kNoLimit ? json() : json(target);
        if (by == "hour" && deps_.ads_pacer != nullptr) {
          json plan = json::array();
          const int64_t first = q.from_ms - q.from_ms % ads::kHourMs;
          for (int64_t h = first; h < q.to_ms; h += ads::kHourMs) {
            plan.push_back(
                {{"hour_ms", h},
                 {"planned_micros", deps_.ads_pacer->PlannedSpend(c, g, h, h + ads::kHourMs)}});
          }
          j["plan"] = std::move(plan);
        }
        groups.push_back(std::move(j));
      }
    }
    SendJson(res, 200, {{"account", *account}, {"level", level}, {"by", by},
                        {"from_ms", q.from_ms}, {"to_ms", q.to_ms}, {"rows", list},
                        {"totals", totals}, {"ad_groups", groups}});
  }));
}

}  // namespace foryou::server
