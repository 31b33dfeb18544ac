// ModerationService (see the header). Each call builds one Pending write (the record, the new
// transitions, queue changes), checks every transition against the machine's table, commits it
// as one synced batch, then sets the catalog's serving state. The catalog write comes second:
// a crash between them leaves the catalog behind, which Reconcile (at start) and the next
// transition of the video repair; the machine's store is the truth.
#include "moderation/moderation_service.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/absl_view.h"
#include "common/status_macros.h"
#include "common/utf8.h"
#include "nlohmann/json.hpp"

namespace foryou::moderation {

using nlohmann::json;

struct ModerationService::Pending {
  ModerationStore::Write w;
  bool known = false;  // the record existed before this write

  VideoRecord& rec() { return w.record; }

  // Appends `to` after checking it against the table.
  absl::Status Step(State to, const std::string& who, std::vector<Reason> reasons, int64_t now) {
    std::optional<State> from;
    if (known || !w.transitions.empty()) from = rec().state;
    FORYOU_RETURN_IF_ERROR(CheckTransition(from, to));
    w.transitions.push_back({from, to, who, now, std::move(reasons)});
    rec().state = to;
    ++rec().transitions;
    if (IsDecision(to)) rec().appealed = false;
    return absl::OkStatus();
  }
  void Enqueue(const std::vector<Reason>& reasons, int64_t now) {
    if (rec().queued_ms == 0) {
      rec().queued_ms = std::max<int64_t>(now, 1);
      w.queue_add = rec().queued_ms;
    }
    for (const Reason& r : reasons) {
      const bool have = std::any_of(rec().queue_reasons.begin(), rec().queue_reasons.end(),
                                    [&](const Reason& q) { return q.code == r.code; });
      if (!have) rec().queue_reasons.push_back(r);
    }
  }
  void Dequeue() {
    if (rec().queued_ms == 0) return;
    if (w.queue_add != rec().queued_ms) w.queue_remove = rec().queued_ms;
    w.queue_add.reset();
    rec().queued_ms = 0;
    rec().queue_reasons.clear();
  }
};

namespace {

using common::A;

absl::Status Bad(std::string_view field, std::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(A(field), ": ", A(why)));
}

}  // namespace

absl::StatusOr<ModerationOptions> ModerationOptionsFromJson(const json& j) {
  if (!j.is_object()) return Bad("moderation config", "must be an object");
  ModerationOptions o;
  RulesConfig& r = o.rules;
  try {
    for (const auto& [key, v] : j.items()) {
      if (key == "banned_terms") {
        if (!v.is_array()) return Bad(key, "must be an array of strings");
        for (const json& t : v) {
          if (!t.is_string()) return Bad(key, "must be an array of strings");
          r.banned_terms.push_back(t.get<std::string>());
        }
      } else if (key == "leet" || key == "silent_allowed") {
        if (!v.is_boolean()) return Bad(key, "must be a boolean");
        (key == "leet" ? r.leet : r.silent_allowed) = v.get<bool>();
      } else if (key == "min_duration_ms" || key == "max_duration_ms") {
        if (!v.is_number_integer()) return Bad(key, "must be an integer");
        (key == "min_duration_ms" ? r.min_duration_ms : r.max_duration_ms) = v.get<int64_t>();
      } else if (key == "min_short_side" || key == "max_width" || key == "max_height") {
        if (!v.is_number_integer()) return Bad(key, "must be an integer");
        (key == "min_short_side" ? r.min_short_side
                                 : key == "max_width" ? r.max_width : r.max_height) =
            v.get<int32_t>();
      } else if (key == "min_mean_luma" || key == "min_audio_peak_dbfs" ||
                 key == "duplicate_share") {
        if (!v.is_number()) return Bad(key, "must be a number");
        (key == "min_mean_luma" ? r.min_mean_luma
                                : key == "duplicate_share" ? r.duplicate_share
                                                           : r.min_audio_peak_dbfs) =
            v.get<double>();
      } else if (key == "reports") {
        if (!v.is_object()) return Bad(key, "must be an object");
        for (const auto& [k2, v2] : v.items()) {
          if (k2 == "min_reports" && v2.is_number_integer() && v2.get<int64_t>() >= 1) {
            o.reports.min_reports = v2.get<int64_t>();
          } else if (k2 == "per_thousand_views" && v2.is_number() && v2.get<double>() >= 0) {
            o.reports.per_thousand_views = v2.get<double>();
          } else {
            return Bad(absl::StrCat("reports.", k2),
                       "unknown, or not a number in range (min_reports >= 1, "
                       "per_thousand_views >= 0)");
          }
        }
      } else {
        return Bad(key, "unknown field");
      }
    }
  } catch (const json::exception& e) {
    return Bad("moderation config", e.what());
  }
  return o;
}

ModerationService::ModerationService(ModerationStore* store, catalog::CatalogStore* catalog,
                                     ModerationOptions options)
    : store_(store),
      catalog_(catalog),
      rules_(std::move(options.rules)),
      reports_(options.reports) {}

absl::StatusOr<ModerationService::Pending> ModerationService::Load(std::string_view video,
                                                                   int64_t now_ms) {
  Pending p;
  p.w.video = std::string(video);
  FORYOU_ASSIGN_OR_RETURN(std::optional<VideoRecord> rec, store_->Get(video));
  if (rec.has_value()) {
    p.known = true;
    p.w.record = std::move(*rec);
    return p;
  }
  // First sight of a video the catalog already serves: adopt its state (recorded, from none).
  FORYOU_ASSIGN_OR_RETURN(catalog::Video v, catalog_->GetVideo(video));
  const State s = StateOfServing(v.moderation);
  p.known = true;
  p.w.record.state = s;
  p.w.record.transitions = 1;
  p.w.transitions.push_back(
      {std::nullopt, s, "rule:catalog", now_ms,
       {{"catalog", absl::StrCat("the catalog served it as ", A(catalog::ModerationName(v.moderation)),
                                 " before moderation first saw it")}}});
  if (s == State::kPendingReview) p.Enqueue({{"catalog", "pending in the catalog"}}, now_ms);
  return p;
}

absl::Status ModerationService::Commit(Pending& p) {
  FORYOU_RETURN_IF_ERROR(store_->Apply(p.w));
  return SyncServing(p.w.video, p.rec().state);
}

absl::Status ModerationService::SyncServing(std::string_view video, State state) {
  const std::optional<catalog::Moderation> serving = ServingOf(state);
  if (!serving.has_value()) return absl::OkStatus();
  absl::StatusOr<catalog::Video> v = catalog_->GetVideo(video);
  if (absl::IsNotFound(v.status())) return absl::OkStatus();  // nothing served
  if (!v.ok()) return v.status();
  if (v->moderation == *serving) return absl::OkStatus();
  return catalog_->SetModeration(video, *serving);
}

absl::StatusOr<ModerationService::Pending> ModerationService::Enter(const catalog::Video& video,
                                                                   int64_t now_ms) {
  FORYOU_ASSIGN_OR_RETURN(std::optional<VideoRecord> rec, store_->Get(video.id));
  if (rec.has_value()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "video '", video.id, "' is already in moderation (", StateName(rec->state), ")"));
  }
  Pending p;
  p.w.video = video.id;
  FORYOU_RETURN_IF_ERROR(p.Step(State::kUploaded, video.creator, {}, now_ms));
  return p;
}

absl::Status ModerationService::OnUploaded(const catalog::Video& video, int64_t now_ms) {
  common::MutexLock lock(&mu_);
  FORYOU_ASSIGN_OR_RETURN(Pending p, Enter(video, now_ms));
  return Commit(p);
}

absl::Status ModerationService::OnProcessing(std::string_view video, int64_t now_ms) {
  common::MutexLock lock(&mu_);
  FORYOU_ASSIGN_OR_RETURN(Pending p, Load(video, now_ms));
  FORYOU_RETURN_IF_ERROR(p.Step(State::kProcessing, "rule:processing", {}, now_ms));
  return Commit(p);
}

absl::StatusOr<Decision> ModerationService::OnProcessed(
    const catalog::Video& video, const std::optional<MediaResult>& media,
    const std::vector<DuplicateMatch>& duplicates, int64_t now_ms) {
  Decision d = rules_.Evaluate(video, media, duplicates);
  common::MutexLock lock(&mu_);
  FORYOU_ASSIGN_OR_RETURN(Pending p, Load(video.id, now_ms));
  const std::string who = d.reasons.empty() ? "rule:passed" : "rule:" + d.reasons[0].code;
  FORYOU_RETURN_IF_ERROR(p.Step(d.state, who, d.reasons, now_ms));
  if (d.state == State::kPendingReview) p.Enqueue(d.reasons, now_ms);
  FORYOU_RETURN_IF_ERROR(Commit(p));
  return d;
}

absl::StatusOr<Decision> ModerationService::OnImported(const catalog::Video& video,
                                                       int64_t now_ms) {
  Decision d = rules_.Evaluate(video, std::nullopt, {});
  common::MutexLock lock(&mu_);
  FORYOU_ASSIGN_OR_RETURN(Pending p, Enter(video, now_ms));
  FORYOU_RETURN_IF_ERROR(p.Step(State::kProcessing, "rule:import", {}, now_ms));
  FORYOU_RETURN_IF_ERROR(p.Step(d.state, "rule:" + d.reasons[0].code, d.reasons, now_ms));
  p.Enqueue(d.reasons, now_ms);
  FORYOU_RETURN_IF_ERROR(Commit(p));
  return d;
}

absl::Status ModerationService::Decide(std::string_view video, State to, const std::string& who,
                                       Reason reason, int64_t now_ms) {
  if (!IsDecision(to)) {
    return Bad("state", absl::StrCat("\"", StateName(to),
                                     "\" is not a decision (approved, limited or removed)"));
  }
  common::MutexLock lock(&mu_);
  FORYOU_ASSIGN_OR_RETURN(Pending p, Load(video, now_ms));
  // Straight to the decision from pending_review, or when the machine allows the step and
  // nothing is open (queue, appeal); otherwise a re-review first.
  const State s = p.rec().state;
  const bool direct = s == State::kPendingReview || s == State::kUploaded ||
                      s == State::kProcessing ||
                      (CheckTransition(s, to).ok() && p.rec().queued_ms == 0);
  if (!direct) {
    FORYOU_RETURN_IF_ERROR(p.Step(State::kPendingReview, who,
                                  {{"re_review", absl::StrCat("reviewed again from ",
                                                              StateName(s))}},
                                  now_ms));
  }
  FORYOU_RETURN_IF_ERROR(p.Step(to, who, {std::move(reason)}, now_ms));
  p.Dequeue();
  return Commit(p);
}

absl::Status ModerationService::Requeue(std::string_view video, const std::string& who,
                                        Reason reason, int64_t now_ms) {
  common::MutexLock lock(&mu_);
  FORYOU_ASSIGN_OR_RETURN(Pending p, Load(video, now_ms));
  if (p.rec().state != State::kPendingReview) {
    FORYOU_RETURN_IF_ERROR(p.Step(State::kPendingReview, who, {reason}, now_ms));
  }
  p.Enqueue({std::move(reason)}, now_ms);
  return Commit(p);
}

absl::Status ModerationService::Appeal(std::string_view video, const std::string& who,
                                       std::string_view message, int64_t now_ms) {
  if (message.empty() || message.size() > 1000) return Bad("message", "required (1..1000 bytes)");
  if (size_t at = common::InvalidUtf8At(message); at != std::string_view::npos) {
    return Bad("message", absl::StrCat("invalid UTF-8 at byte ", at));
  }
  common::MutexLock lock(&mu_);
  FORYOU_ASSIGN_OR_RETURN(Pending p, Load(video, now_ms));
  const State s = p.rec().state;
  if (s == State::kAppealed || p.rec().appealed) {
    return absl::FailedPreconditionError(
        absl::StrCat("the decision on video '", A(video), "' was already appealed (once per decision)"));
  }
  if (s != State::kLimited && s != State::kRemoved) {
    return absl::FailedPreconditionError(absl::StrCat(
        "only a limited or removed video can be appealed; video '", A(video), "' is ",
        StateName(s)));
  }
  Reason r{"appeal", std::string(message)};
  FORYOU_RETURN_IF_ERROR(p.Step(State::kAppealed, who, {r}, now_ms));
  p.rec().appealed = true;
  p.Enqueue({r}, now_ms);
  return Commit(p);
}

absl::StatusOr<ReportOutcome> ModerationService::Report(std::string_view video,
                                                        std::string_view viewer,
                                                        std::string_view reason, int64_t views,
                                                        int64_t now_ms) {
  if (!IsReportReason(reason)) {
    return Bad("reason", absl::StrCat("unknown report reason; one of ", ReportReasonList()));
  }
  common::MutexLock lock(&mu_);
  ReportOutcome out;
  FORYOU_ASSIGN_OR_RETURN(bool seen, store_->HasReport(video, viewer));
  if (seen) {
    FORYOU_ASSIGN_OR_RETURN(std::optional<VideoRecord> rec, store_->Get(video));
    out.reports = rec ? rec->reports_total : 0;
    return out;
  }
  FORYOU_ASSIGN_OR_RETURN(Pending p, Load(video, now_ms));
  VideoRecord& rec = p.rec();
  ++rec.reports[std::string(reason)];
  ++rec.reports_total;
  p.w.report = {std::string(viewer), std::string(reason)};
  out.counted = true;
  out.reports = rec.reports_total;
  const bool servable = rec.state == State::kApproved || rec.state == State::kLimited;
  const bool flagged = std::any_of(rec.queue_reasons.begin(), rec.queue_reasons.end(),
                                   [](const Reason& r) { return r.code == "reports"; });
  if (!flagged && servable && ReportsTrip(reports_, rec.reports_total, views)) {
    Reason r{"reports", absl::StrCat(rec.reports_total, " viewers reported it at ", views,
                                     " views")};
    if (rec.state == State::kApproved) {
      FORYOU_RETURN_IF_ERROR(p.Step(State::kLimited, "rule:reports", {r}, now_ms));
    }
    p.Enqueue({r}, now_ms);
    out.tripped = true;
  }
  FORYOU_RETURN_IF_ERROR(Commit(p));
  return out;
}

absl::StatusOr<std::vector<Transition>> ModerationService::History(std::string_view video) const {
  return store_->History(video);
}

absl::StatusOr<std::optional<VideoRecord>> ModerationService::Get(std::string_view video) const {
  return store_->Get(video);
}

absl::StatusOr<QueuePage> ModerationService::Queue(std::string_view cursor, int limit) const {
  FORYOU_ASSIGN_OR_RETURN(ModerationStore::QueuePage page, store_->Queue(cursor, limit));
  QueuePage out;
  out.next_cursor = page.next_cursor;
  for (const auto& e : page.entries) {
    FORYOU_ASSIGN_OR_RETURN(std::optional<VideoRecord> rec, store_->Get(e.video));
    if (!rec.has_value()) {
      return absl::DataLossError(absl::StrCat("moderation store: queued video '", e.video,
                                              "' has no record"));
    }
    out.items.push_back({e.video, e.queued_ms, std::move(*rec)});
  }
  return out;
}

absl::StatusOr<int> ModerationService::Reconcile() {
  common::MutexLock lock(&mu_);
  std::vector<std::pair<std::string, State>> all;
  FORYOU_RETURN_IF_ERROR(store_->ForEach(
      [&](const std::string& video, const VideoRecord& r) { all.emplace_back(video, r.state); }));
  int changed = 0;
  for (const auto& [video, state] : all) {
    const std::optional<catalog::Moderation> serving = ServingOf(state);
    if (!serving) continue;
    absl::StatusOr<catalog::Video> v = catalog_->GetVideo(video);
    if (!v.ok() || v->moderation == *serving) continue;
    FORYOU_RETURN_IF_ERROR(catalog_->SetModeration(video, *serving));
    ++changed;
  }
  return changed;
}

}  // namespace foryou::moderation
