// The real-time loop across processes: a trainer publishing its syncs to the parameter stream,
// a replica applying them to its serving model (docs/design/kafka.md, "Roles"; the records:
// docs/formats/params.md).
#include <iostream>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "realtime/param_message.h"
#include "realtime/realtime_loop.h"

namespace foryou::realtime {

// HOW A SYNC REACHES THE REPLICAS
// Each sync is cut into records (param_message.h) appended to the parameter stream in order,
// after the records of earlier syncs that the stream did not acknowledge: a refused publish is
// kept and sent again before anything newer, so a replica applies every sync, in order, and
// the trainer keeps training meanwhile. A sync that changed nothing and moved no event is not
// published. The first acknowledged publish gives the trainer its next offset in the stream,
// which its snapshots keep: a replica that loads a snapshot reads the stream from there (rows
// the trainer changed after its last sync and before the snapshot are in both the snapshot and
// the next sync: applied twice, the same values).
void RealtimeLoop::PublishParams(const embedding::TableDelta& delta, std::string_view dense) {
  const bool news = !delta.empty() || !dense.empty() || next_offset_ != params_published_events_;
  if (!news && params_unsent_.empty()) return;
  if (news) {
    const ParamSyncHeader header{next_offset_, ledger_.events, ledger_.checksum};
    for (std::string& part : EncodeParamSync(delta, dense, header, options_.params_part_bytes)) {
      params_unsent_.push_back(std::move(part));
    }
    params_published_events_ = next_offset_;
  }
  const std::vector<std::string_view> records(params_unsent_.begin(), params_unsent_.end());
  const absl::StatusOr<uint64_t> before = options_.params_sink->Append(records);
  common::MutexLock l(&mu_);
  if (!before.ok()) {
    if (params_fault_.empty()) {
      std::cerr << "foryou: publishing parameters failed (" << before.status()
                << "); kept and sent again with the next sync\n";
    }
    params_fault_ = absl::StrCat("parameter stream: ", before.status().message());
    ++health_.params_failures;
    return;
  }
  if (!params_fault_.empty()) std::cerr << "foryou: parameters are published again\n";
  params_fault_.clear();
  // One partition: the sink's count before the batch is the offset of its first record.
  params_next_ = *before + records.size();
  stats_.params_published += records.size();
  params_unsent_.clear();
}

absl::Status RealtimeLoop::FollowParams(bool to_end, bool* applied) {
  *applied = false;
  uint64_t end = 0;
  if (to_end) {
    FORYOU_ASSIGN_OR_RETURN(end, params_->End(10'000));
  }
  std::vector<LogRecord> records;
  do {
    const absl::Status read = params_->Poll(256, to_end ? 100 : 0, &records);
    for (const LogRecord& r : records) {
      absl::StatusOr<ParamMessage> m = DecodeParamMessage(r.payload);
      absl::Status s = m.status();
      if (s.ok()) s = serving_->table().ApplyDelta(m->delta);
      if (s.ok() && !m->dense.empty()) s = serving_model_->PublishDense(std::move(m->dense));
      if (!s.ok()) {
        // A record that does not fit this replica (another model config, damage) is skipped
        // and listed: stopping would leave the replica behind for good.
        common::MutexLock l(&mu_);
        if (params_fault_.empty()) {
          std::cerr << "foryou: parameter record " << r.offset << " refused (" << s << ")\n";
        }
        params_fault_ = absl::StrCat("parameter stream: record ", r.offset, ": ", s.message());
        ++stats_.params_refused;
        continue;
      }
      *applied = true;
      {
        common::MutexLock l(&mu_);
        ++stats_.params_applied;
        if (m->last) {
          ++stats_.syncs;
          served_ledger_ = Ledger{m->header.ledger_events, m->header.ledger_checksum};
        }
      }
      if (!m->last) continue;
      {
        // Not under mu_: WaitForServing takes mu_ (status()) under serving_mu_.
        common::MutexLock l(&serving_mu_);
        serving_offset_.store(m->header.events, std::memory_order_release);
      }
      serving_cv_.SignalAll();
    }
    if (*applied && observer_) observer_(serving_offset());
    FORYOU_RETURN_IF_ERROR(read);
  } while (to_end && params_->count() < end);
  return absl::OkStatus();
}

}  // namespace foryou::realtime
