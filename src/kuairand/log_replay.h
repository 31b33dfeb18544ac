// The KuaiRand replay through the real-time path (`foryou replay --through-log`): every log row
// becomes the events a client would have sent for that view, the events go through Ingest into
// the durable event log, and RealtimeLoop learns from them (log -> decode -> joiner -> online
// trainer), with the progressive-validation protocol of kuairand::RunReplay. Its AUCs are those
// of the direct replay to within the few label / feature differences listed below; the gap shows
// what the streaming path costs in model quality (docs/design/kuairand.md, docs/experiments/early_emission.md).
//
// Example:
//   kuairand::ReplayOptions o = ...;  // the same options as RunReplay's (no hash_buckets)
//   FORYOU_ASSIGN_OR_RETURN(kuairand::ReplayResult r, RunReplayThroughLog(o, "/tmp", std::cerr));
//   std::cout << r.Line() << "\n";
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "kuairand/readers.h"
#include "model/features.h"
#include "stream/event.h"
#include "kuairand/replay.h"

namespace foryou::kuairand {

// At most this many events per row (impression, five explicit actions, the view end).
inline constexpr int kMaxEventsPerKuaiRandRow = 7;

// Appends the events of one view to *out, all at the row's time_ms, with user / video the
// decimal ids, request_id "k<row_number>" (unique per row: the joiner keys on it):
//   impression (position 0, surface = the decimal tab);
//   like (is_like), share (is_forward), comment (is_comment, text "c"), follow (is_follow,
//   creator = the video's author in `catalog`, "0" if unknown; it carries the video and
//   request_id so the joiner links it), not_interested (is_hate);
//   the view end, last: play (is_click) or skip, so the joiner emits the example with every
//   label already applied.
// The view end is chosen so that the joiner's labels (Joiner::ApplyAction) equal the log's:
//   click:      play, watch_ms = play_time_ms clamped to [0, kMaxWatchMs] (and to 17,999 when
//               long_view is 0, since >= 18 s counts as a long view); completed when long_view
//               is set and the play reached the duration (a true completion) or is under 18 s
//               (the only way to carry a long view the platform recorded for a short play).
//   no click:   skip with watch_ms = min(play_time_ms, 2,999) (>= 3 s would count as a play),
//               completed = long_view.
// What cannot be equal: the watch-ratio label (the joiner uses watch_ms / the catalog duration,
// 1 when completed): it differs for non-clicks played >= 3 s (clamped), long views under 18 s,
// and rows whose duration is unknown (direct replay: 0).
void KuaiRandRowToEvents(const kuairand::KuaiRandImpression& row, uint64_t row_number,
                         const model::Catalog& catalog, std::vector<stream::Event>* out);

// Runs the replay of `options` through a RealtimeLoop whose log lives in a fresh directory made
// under `work_dir` (which must exist) and removed at the end, whatever happens:
//   * tables and history are loaded as in RunReplay (the history into the loop's extractor);
//   * every `options.batch` rows: one Ingest of their events (fsync per batch, the durable path),
//     then ProcessAvailable (join, train, sync); a file's last partial batch is processed at its
//     end, so mini-batches never mix warm-up and eval rows and equal the direct replay's;
//   * the eval file's examples (offset >= the log's end when it starts) are the metrics' rows;
//   * the joiner's hour / weekday / day come from time_ms in UTC+8 (KuaiRand is China time);
//     the direct replay reads the log's date / hourmin, which lag time_ms by a few minutes.
// The result is filled as RunReplay's: bad_rows also counts rows whose events fail
// ValidateEvent (skipped whole, not ingested). options.threads is ignored (one thread).
// Errors: those of RunReplay; InvalidArgument for hash_buckets > 0 (the loop has no hashed
// table); the log's I/O errors; a work directory that cannot be created.
// window_close_only_ms > 0: the joiner emits no example at the view end, only when a window of
// that many ms of event time closes (to measure what early emission is worth).
[[nodiscard]] absl::StatusOr<kuairand::ReplayResult> RunReplayThroughLog(
    const kuairand::ReplayOptions& options, const std::string& work_dir, std::ostream& progress,
    int64_t window_close_only_ms = 0);

}  // namespace foryou::kuairand
