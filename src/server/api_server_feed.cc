// ApiServer routes of the feed: feed pages, explanations and events (docs/api.md).
#include "server/api_server.h"

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

#include "common/clock.h"
#include "common/id_key.h"
#include "feed/ad_stage.h"
#include "stream/event.h"
#include "server/api_handlers.h"
#include "server/http_status.h"

namespace foryou::server {

namespace {

json ItemJson(const feed::FeedItem& item, int position, const feed::FeedOptions& options) {
  const catalog::Video& v = item.entry->video;
  const feed::Candidate& c = item.candidate;
  json parts = json::object(), probs = json::object();
  for (int t = 0; t < model::kNumTasks; ++t) {
    probs[model::kTaskNames[t]] = c.probs[t];
    parts[model::kTaskNames[t]] = options.weights[t] * c.probs[t];
  }
  parts["source_bonus"] = c.bonus;
  parts["popularity"] = c.popularity - c.next_prior;  // the audience prior
  parts["watch_next"] = c.next_prior;                 // the watch-next prior (0 when off)
  json sources = json::array();
  for (int s = 0; s < static_cast<int>(feed::Source::kNumSources); ++s) {
    if (c.from(static_cast<feed::Source>(s))) sources.push_back(feed::SourceName(static_cast<feed::Source>(s)));
  }
  return {{"position", position},     {"video", v.id},           {"creator", v.creator},
          {"sound", v.sound},         {"hashtags", v.hashtags},  {"caption", v.caption},
          {"duration_ms", v.duration_ms}, {"media_url", v.media_url},
          {"score", c.score},         {"value", c.value},        {"penalty", c.penalty},
          {"parts", parts},           {"probs", probs},          {"sources", sources},
          {"reason", item.reason}};
}

// An ad item: the organic fields, then what the player shows and the client reports back.
json AdItemJson(const feed::FeedItem& item, int position, const feed::FeedOptions& options,
               const std::string& request_id) {
  json j = ItemJson(item, position, options);
  const feed::SponsoredItem& ad = *item.ad;
  j["sponsored"] = true;
  j["ad"] = ad.ad;
  j["call_to_action"] = ad.call_to_action;
  j["landing_url"] = ad.landing_url;
  // What a conversion names as its click_id once the viewer taps the call to action.
  j["click_id"] = feed::AdEventId(ads::EventKind::kClick, request_id, position);
  j["sources"] = json::array();
  return j;
}

// The deepest a logged-out visitor pages (cursor + count).
constexpr int kPublicFeedDepth = 1000;

// The logged-out For You feed (GET /v1/feed without a key or session): the most engaging
// approved videos among the audience of `?lang=`, then everyone's, then the newest approved
// uploads; the same page for every visitor of a language, never personalised, and nothing of it
// is recorded (no served records, no events). The cursor is the offset into that order.
void SendPublicFeed(feed::FeedService& feed, const HttpRequest& req, HttpResponse& res,
                    int64_t now) {
  absl::StatusOr<int> count = IntParam(req, "count", 10, 1, feed.options().max_count);
  if (!count.ok()) return SendError(res, count.status());
  const std::string lang = req.get_param_value("lang");
  if (lang.size() > 8 || !std::all_of(lang.begin(), lang.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || c == '-';
      })) {
    return SendError(res, absl::InvalidArgumentError("lang: a language code such as en or pt-br"));
  }
  int offset = 0;
  const std::string cursor = req.get_param_value("cursor");
  if (!cursor.empty() &&
      (!absl::SimpleAtoi(cursor, &offset) || offset < 0 || offset > kPublicFeedDepth)) {
    return SendError(res, absl::InvalidArgumentError("cursor: not a cursor of this feed"));
  }
  const auto index = feed.index();
  const size_t want = static_cast<size_t>(offset + *count) + 1;  // one more: is there a next page
  std::vector<std::pair<const catalog::Video*, const char*>> order;
  absl::flat_hash_set<uint64_t> taken;
  auto take = [&](uint64_t key, const char* reason) {
    if (order.size() >= want || taken.contains(key)) return;
    const feed::VideoEntry* e = index->Find(key);
    if (e == nullptr || e->video.moderation != catalog::Moderation::kApproved) return;
    taken.insert(key);
    order.emplace_back(&e->video, reason);
  };
  if (!lang.empty()) {
    for (uint64_t key : feed.engagement().Trending("lang:" + lang, kPublicFeedDepth, now)) {
      take(key, "popular in your language");
    }
  }
  for (uint64_t key : feed.engagement().Trending("*", kPublicFeedDepth, now)) {
    take(key, "popular now");
  }
  for (uint32_t i : index->servable) {
    if (order.size() >= want) break;
    take(common::VideoKey(index->all[i]->video.id), "new on foryou");
  }
  json items = json::array();
  for (size_t i = offset; i < order.size() && i < static_cast<size_t>(offset + *count); ++i) {
    const catalog::Video& v = *order[i].first;
    items.push_back({{"position", i}, {"video", v.id}, {"creator", v.creator},
                     {"sound", v.sound}, {"hashtags", v.hashtags}, {"caption", v.caption},
                     {"duration_ms", v.duration_ms}, {"media_url", v.media_url},
                     {"reason", order[i].second}});
  }
  const bool more = order.size() >= want && offset + *count < kPublicFeedDepth;
  SendJson(res, 200, {{"request_id", absl::StrCat("public-", lang.empty() ? "all" : lang, "-", offset)},
                      {"items", items},
                      {"next_cursor", more ? json(std::to_string(offset + *count)) : json(nullptr)}});
}

// Bounds of the feed's stage histograms, seconds: 20 us .. 100 ms (a stage takes well under the
// request's 0.5 ms .. 2.5 s).
std::vector<double> StageBuckets() {
  return {20e-6, 50e-6, 100e-6, 200e-6, 300e-6, 500e-6, 750e-6, 1e-3,
          1.5e-3, 2e-3, 3e-3, 5e-3, 7.5e-3, 10e-3, 20e-3, 50e-3, 100e-3};
}

// One feed request's stages, as FeedTimings measured them, plus the response's serialisation.
struct StageHistograms {
  Histogram *retrieval, *eligibility, *scoring, *rules, *ads, *serialisation;
};

StageHistograms AddStageHistograms(Registry& metrics) {
  Family<Histogram>& family = metrics.AddHistogramFamily(
      "foryou_feed_stage_seconds",
      "Time of each stage of GET /v1/feed: retrieval, eligibility, scoring, rules, ads, "
      "serialisation",
      {"stage"}, StageBuckets());
  return {&family.WithLabels({"retrieval"}), &family.WithLabels({"eligibility"}),
          &family.WithLabels({"scoring"}), &family.WithLabels({"rules"}),
          &family.WithLabels({"ads"}), &family.WithLabels({"serialisation"})};
}

}  // namespace

void ApiServer::FeedRoutes() {
  HttpServer& s = *http_;
  // ---- Feed ----
  const StageHistograms stages = AddStageHistograms(metrics_);
  s.Get("/v1/feed", PublicRoute("/v1/feed", [this, stages](const auto& req, auto& res,
                                                            const Caller& caller) {
    if (caller.key == nullptr && !caller.session.has_value()) {
      if (req.has_param("user")) {
        return SendError(res, absl::UnauthenticatedError(
                                  "an API key is required for a user's feed, or a session "
                                  "(without `user`: the logged-out feed)"));
      }
      int64_t retry_ms = 0;
      if (!public_feed_limiter_.Allow(req.remote_addr, &retry_ms)) {
        res.set_header("Retry-After", std::to_string((retry_ms + 999) / 1000));
        return SendError(res, absl::ResourceExhaustedError(
                                  "too many logged-out feed requests from this address"));
      }
      return SendPublicFeed(*deps_.feed, req, res, Now());
    }
    absl::StatusOr<std::string> user = RequiredParam(req, "user");
    if (!user.ok()) return SendError(res, user.status());
    if (absl::Status st = ActsAs(caller, *user); !st.ok()) return SendError(res, st);
    absl::StatusOr<int> count = IntParam(req, "count", 10, 1, deps_.feed->options().max_count);
    if (!count.ok()) return SendError(res, count.status());
    int64_t retry_ms = 0;
    if (!user_limiter_.Allow(*user, &retry_ms)) {
      res.set_header("Retry-After", std::to_string((retry_ms + 999) / 1000));
      return SendError(res, absl::ResourceExhaustedError("too many feed requests for this user"));
    }
    const int64_t now = Now();
    absl::StatusOr<feed::FeedPage> page = deps_.feed->Feed(*user, *count, now);
    if (!page.ok()) return SendError(res, page.status());
    const auto ads_start = std::chrono::steady_clock::now();
    // With no active ad group (the usual case when ads are off) nothing is looked up.
    if (deps_.ad_stage != nullptr && deps_.ad_stage->MayServe(now)) {
      // A failure of the ads (their store) leaves the organic page, served as it is.
      absl::StatusOr<std::shared_ptr<const catalog::User>> u = deps_.feed->GetUser(*user);
      if (u.ok()) (void)deps_.ad_stage->Place(**u, deps_.feed->index(), now, &*page);
    }
    const auto serialise_start = std::chrono::steady_clock::now();
    json items = json::array();
    for (size_t i = 0; i < page->items.size(); ++i) {
      const feed::FeedItem& item = page->items[i];
      items.push_back(item.ad != nullptr
                          ? AdItemJson(item, static_cast<int>(i), deps_.feed->options(),
                                       page->request_id)
                          : ItemJson(item, static_cast<int>(i), deps_.feed->options()));
    }
    AddSocialFields(&items, *user);
    SendJson(res, 200, {{"request_id", page->request_id}, {"user", *user},
                        {"model_user", page->model_user}, {"items", items},
                        {"candidates", page->candidates}, {"eligible", page->eligible},
                        {"serving_offset", deps_.loop->serving_offset()}});
    const feed::FeedTimings& t = page->timings;
    stages.retrieval->Observe(static_cast<double>(t.retrieval_ns) * 1e-9);
    stages.eligibility->Observe(static_cast<double>(t.eligibility_ns) * 1e-9);
    stages.scoring->Observe(static_cast<double>(t.scoring_ns) * 1e-9);
    stages.rules->Observe(static_cast<double>(t.rules_ns) * 1e-9);
    stages.ads->Observe(std::chrono::duration<double>(serialise_start - ads_start).count());
    stages.serialisation->Observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - serialise_start).count());
  }));
  s.Get("/v1/feed/explain", RouteAs("/v1/feed/explain", Role::kApp, [this](const auto& req,
                                                                           auto& res,
                                                                           const Caller& caller) {
    absl::StatusOr<std::string> user = RequiredParam(req, "user");
    if (!user.ok()) return SendError(res, user.status());
    if (absl::Status st = ActsAs(caller, *user); !st.ok()) return SendError(res, st);
    absl::StatusOr<std::string> video = RequiredParam(req, "video");
    if (!video.ok()) return SendError(res, video.status());
    std::string request_id;
    if (req.has_param("request_id")) {
      absl::StatusOr<std::string> id = RequiredParam(req, "request_id");
      if (!id.ok()) return SendError(res, id.status());
      request_id = *id;
    }
    absl::StatusOr<feed::Explanation> x =
        deps_.feed->Explain(*user, *video, Now(), request_id);
    if (!x.ok()) return SendError(res, x.status());
    json parts = json::array();
    for (const feed::ScorePart& p : x->parts) {
      parts.push_back({{"name", p.name}, {"label", p.label}, {"value", p.value}});
    }
    json probs = json::object();
    for (int t = 0; t < model::kNumTasks; ++t) probs[model::kTaskNames[t]] = x->probs[t];
    json body = {{"user", x->user}, {"video", x->video}, {"served", x->served},
                 {"sources", x->sources}, {"source_reasons", x->source_reasons},
                 {"reason", x->reason}, {"score", x->score}, {"value", x->value},
                 {"penalty", x->penalty}, {"parts", parts}, {"probs", probs},
                 {"can_serve", x->can_serve}, {"cannot_serve_reason", x->cannot_serve_reason},
                 {"explanation", x->sentences}};
    if (x->served) {
      body["request_id"] = x->request_id;
      body["position"] = x->position;
      body["served_ms"] = x->served_ms;
    }
    SendJson(res, 200, body);
  }));

  // ---- Events ----
  s.Post("/v1/events", RouteAs("/v1/events", Role::kApp, [this](const auto& req, auto& res,
                                                                  const Caller& caller) {
    const int64_t now = Now();
    absl::StatusOr<stream::BatchParseResult> batch =
        stream::ParseEventBatch(req.body, now, options_.max_body_bytes);
    if (!batch.ok()) {
      // An oversize batch is a 413, not a rate limit.
      if (batch.status().code() == absl::StatusCode::kResourceExhausted) {
        return SendError(res, PayloadTooLargeError(batch.status().message()));
      }
      return SendError(res, batch.status());
    }
    // A session's batch is refused whole if one event is another user's: nothing is logged.
    for (const stream::Event& e : batch->accepted) {
      if (absl::Status st = ActsAs(caller, e.user); !st.ok()) return SendError(res, st);
    }
    json rejected = json::array();
    for (const auto& [index, message] : batch->rejected) {
      rejected.push_back({{"index", index}, {"error", message}});
    }
    // Unknown users / videos are refused per event; the rest go to the log with the model's
    // identity of the user.
    std::vector<stream::Event> original, resolved;
    std::vector<int> index_of;
    {
      int next = 0;
      std::vector<bool> bad(batch->accepted.size() + batch->rejected.size(), false);
      for (const auto& r : batch->rejected) bad[r.first] = true;
      for (const stream::Event& e : batch->accepted) {
        while (bad[next]) ++next;
        stream::Event copy = e;
        absl::Status st = deps_.moderation != nullptr && e.type == stream::EventType::kReport &&
                                  !moderation::IsReportReason(e.reason)
                              ? absl::InvalidArgumentError(
                                    absl::StrCat("reason: a report's reason is one of ",
                                                 moderation::ReportReasonList()))
                              : deps_.feed->ResolveEvent(&copy);
        if (!st.ok()) {
          rejected.push_back({{"index", next}, {"error", std::string(st.message())}});
        } else {
          original.push_back(e);
          resolved.push_back(std::move(copy));
          index_of.push_back(next);
        }
        ++next;
      }
    }
    m_->events_rejected->Inc(rejected.size());
    if (resolved.empty()) {
      if (rejected.empty()) return SendJson(res, 200, {{"accepted", 0}, {"rejected", rejected}});
      return SendError(res, absl::InvalidArgumentError("no event was accepted"),
                       {{"accepted", 0}, {"rejected", rejected}});
    }
    absl::StatusOr<uint64_t> offset = deps_.loop->Ingest(resolved, now);
    if (!offset.ok()) {
      // A storage fault: nothing of the batch was stored; the client may send it again.
      if (absl::IsUnavailable(offset.status())) res.set_header("Retry-After", "5");
      return SendError(res, offset.status());
    }
    {
      common::MutexLock lock(&ingest_mu_);
      ingest_times_.emplace_back(*offset + resolved.size(), common::WallMs());
      if (ingest_times_.size() > 100'000) ingest_times_.pop_front();
    }
    for (const stream::Event& e : resolved) {
      const int type = static_cast<int>(e.type);
      if (type >= 1 && type <= stream::kNumEventTypes) {
        m_->events_by_type[type]->Inc();
      } else {
        m_->events->WithLabels({std::string(stream::EventTypeName(e.type))}).Inc();
      }
    }
    deps_.feed->Observe(original);
    // Billing of served ads: a ledger write that fails leaves that event unbilled (the ad's
    // hold stays until the window ends), and a resent batch bills it once.
    if (deps_.ad_stage != nullptr) (void)deps_.ad_stage->Observe(original, now);
    CatchUpSocial();
    CountReports(original);
    SendJson(res, 200, {{"accepted", resolved.size()}, {"rejected", rejected}, {"offset", *offset}});
  }));
}

}  // namespace foryou::server
