// ModerationService: the moderation state machine of videos (docs/design/moderation.md). It
// checks every transition, records it in the ModerationStore (who, when, why), and sets the
// catalog's serving state (catalog::Moderation) to match, which the feed follows. The upload
// pipeline calls OnUploaded / OnProcessing / OnProcessed; the API calls Decide, Appeal, Report
// and reads History and the review queue.
//
// Example:
//   ModerationService mod(store.get(), catalog.get(), options);
//   FORYOU_RETURN_IF_ERROR(mod.OnUploaded(video, now));
//   FORYOU_RETURN_IF_ERROR(mod.OnProcessing(video.id, now));
//   FORYOU_ASSIGN_OR_RETURN(Decision d, mod.OnProcessed(video, media, dup_matches, now));
//   FORYOU_RETURN_IF_ERROR(mod.Decide(video.id, State::kApproved, "mod1", {"ok", "fine"}, now));
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "catalog/catalog_store.h"
#include "common/mutex.h"
#include "moderation/moderation_store.h"
#include "moderation/reports.h"
#include "moderation/rules.h"
#include "moderation/state.h"
#include "nlohmann/json_fwd.hpp"

namespace foryou::moderation {

struct ModerationOptions {
  RulesConfig rules;
  ReportPolicy reports;
};

// Reads {"banned_terms":[..], "leet":bool, "min_duration_ms":N, ..., "reports":{"min_reports":N,
// "per_thousand_views":X}} (every field optional; docs/design/moderation.md, "Knobs").
// InvalidArgument naming an unknown or mistyped field.
[[nodiscard]] absl::StatusOr<ModerationOptions> ModerationOptionsFromJson(const nlohmann::json& j);

// A queued video with what the review page shows of it.
struct QueueItem {
  std::string video;
  int64_t queued_ms = 0;
  VideoRecord record;
};

struct QueuePage {
  std::vector<QueueItem> items;
  std::string next_cursor;  // "" on the last page
};

// Thread-safe: one lock serializes every read-modify-write (they are rare next to feed reads).
// The store and catalog outlive the service.
class ModerationService {
 public:
  ModerationService(ModerationStore* store, catalog::CatalogStore* catalog,
                    ModerationOptions options);

  // ---- The upload pipeline ----
  // The video (already in the catalog, pending) enters the machine: -> uploaded, by its creator.
  // FailedPrecondition if the machine already knows it.
  [[nodiscard]] absl::Status OnUploaded(const catalog::Video& video, int64_t now_ms);
  // uploaded -> processing.
  [[nodiscard]] absl::Status OnProcessing(std::string_view video, int64_t now_ms);
  // processing -> limited (every rule passed: the fresh-upload pool) or pending_review (queued
  // with the reasons). `media` = nullopt: no worker looked at it (trips "no_media").
  [[nodiscard]] absl::StatusOr<Decision> OnProcessed(
      const catalog::Video& video, const std::optional<MediaResult>& media,
      const std::vector<DuplicateMatch>& duplicates, int64_t now_ms);
  // The three above in one write, without a media result: a video created pending by the
  // catalog route (an import) goes to pending_review with "no_media" (and any other reason).
  [[nodiscard]] absl::StatusOr<Decision> OnImported(const catalog::Video& video, int64_t now_ms);

  // ---- Review ----
  // A moderator's decision (`to` approved, limited or removed; else InvalidArgument). From
  // pending_review, or a step the machine allows with nothing queued, directly; from an
  // appealed, queued or removed video or the same state through pending_review (a re-review,
  // recorded). FailedPrecondition for a video still uploading or processing. Dequeues it.
  [[nodiscard]] absl::Status Decide(std::string_view video, State to, const std::string& who,
                                    Reason reason, int64_t now_ms);
  // Back to pending_review and queued (a moderator's "review again"): from approved or limited;
  // a video already pending_review is only queued. FailedPrecondition otherwise.
  [[nodiscard]] absl::Status Requeue(std::string_view video, const std::string& who,
                                     Reason reason, int64_t now_ms);
  // The creator appeals the current decision (limited or removed), once per decision, with a
  // message (1..1000 bytes): -> appealed, queued. FailedPrecondition otherwise.
  [[nodiscard]] absl::Status Appeal(std::string_view video, const std::string& who,
                                    std::string_view message, int64_t now_ms);
  // A viewer's report (`reason` one of kReportReasons, else InvalidArgument). A second report
  // of the same video by the same viewer is not counted. Past the policy's threshold at
  // `views`, an approved video is limited at once and the video is queued with "reports".
  [[nodiscard]] absl::StatusOr<ReportOutcome> Report(std::string_view video,
                                                     std::string_view viewer,
                                                     std::string_view reason, int64_t views,
                                                     int64_t now_ms);

  // ---- Reads ----
  // The video's transitions, oldest first (empty: the machine has not seen it).
  [[nodiscard]] absl::StatusOr<std::vector<Transition>> History(std::string_view video) const;
  [[nodiscard]] absl::StatusOr<std::optional<VideoRecord>> Get(std::string_view video) const;
  // The review queue, oldest first.
  [[nodiscard]] absl::StatusOr<QueuePage> Queue(std::string_view cursor, int limit) const;

  // Sets the catalog's serving state of every video the machine knows to what its state says
  // (a crash between the machine's write and the catalog's leaves them apart). Returns how
  // many videos it changed.
  [[nodiscard]] absl::StatusOr<int> Reconcile();

  const Rules& rules() const { return rules_; }

 private:
  struct Pending;  // one write being built (moderation_service.cc)
  // The video's record, or (first sight) one adopted from the catalog's serving state.
  absl::StatusOr<Pending> Load(std::string_view video, int64_t now_ms)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Writes `p` and brings the catalog's serving state in line.
  // A video new to the machine, stepped to uploaded by its creator; FailedPrecondition if the
  // machine already knows it.
  absl::StatusOr<Pending> Enter(const catalog::Video& video, int64_t now_ms)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status Commit(Pending& p) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status SyncServing(std::string_view video, State state);

  ModerationStore* const store_;
  catalog::CatalogStore* const catalog_;
  const Rules rules_;
  const ReportPolicy reports_;
  // Serializes the read-modify-writes of the machine (the store's records are the state).
  mutable common::Mutex mu_;
};

}  // namespace foryou::moderation
