// The real-time loop's snapshots: restoring the newest usable one at Open and writing them
// (docs/design/realtime.md, "Snapshots"; docs/formats/snapshot.md).
#include <algorithm>
#include <cstring>
#include <filesystem>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "common/binary_io.h"
#include "common/clock.h"
#include "common/file_util.h"
#include "common/status_macros.h"
#include "realtime/realtime_loop.h"
#include "xxhash.h"

namespace foryou::realtime {
namespace {

// Longest wait before a failed snapshot is tried again.
constexpr int64_t kSnapshotRetryMs = 5'000;

}  // namespace

// HOW RESTART PICKS A SNAPSHOT
// Newest first. A snapshot past the log's end (the log's tail was lost) or past the first
// record the log's recovery dropped (the records behind it moved down) covers offsets that the
// log now gives to other events: resuming there would skip acknowledged events, so it is moved
// aside (snapshot_dir/set_aside/) and an older one is tried. A snapshot that does not load
// completely (any file, the late store included) is skipped. Without a usable one the loop
// starts from the log's first offset with fresh state.
absl::Status RealtimeLoop::RestoreNewest(const model::ModelConfig& config) {
  std::string joiner_state;
  if (!options_.snapshot_dir.empty()) {
    FORYOU_RETURN_IF_ERROR(common::MakeDirs(options_.snapshot_dir));
    std::vector<std::string> names;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(options_.snapshot_dir, ec)) {
      const std::string name = entry.path().filename().string();
      if (name.size() == 20 && std::all_of(name.begin(), name.end(), ::isdigit))
        names.push_back(name);
    }
    if (ec) return absl::UnavailableError(absl::StrCat("snapshots: ", ec.message()));
    std::sort(names.rbegin(), names.rend());
    const uint64_t log_end = log_->EndOffset();
    const uint64_t damaged = log_->recovery().first_damaged_offset;
    const model::FeatureExtractor fresh_features = *features_;
    for (const std::string& name : names) {
      const uint64_t offset = std::stoull(name);
      if (!options_.source && (offset > log_end || offset > damaged)) {
        const std::string aside = options_.snapshot_dir + "/set_aside";
        FORYOU_RETURN_IF_ERROR(common::MakeDirs(aside));
        std::filesystem::remove_all(aside + "/" + name, ec);  // set aside by an earlier start
        std::filesystem::rename(options_.snapshot_dir + "/" + name, aside + "/" + name, ec);
        if (ec) return absl::UnavailableError(absl::StrCat("snapshot ", name, ": ", ec.message()));
        std::cerr << "foryou: snapshot " << name << " is ahead of the event log (which "
                  << (offset > log_end
                          ? absl::StrCat("ends at offset ", log_end)
                          : absl::StrCat("dropped damaged records at offset ", damaged))
                  << "); moved to " << aside << ", trying an older one\n";
        common::MutexLock l(&mu_);
        ++health_.snapshots_set_aside;
        continue;
      }
      absl::Status s = Restore(options_.snapshot_dir + "/" + name, config, &joiner_state);
      if (s.ok()) {
        auto joiner = Joiner::Create(options_.joiner, features_.get(), catalog_);
        s = joiner.status();
        if (s.ok()) s = (*joiner)->LoadState(joiner_state);
        if (s.ok()) {
          joiner_ = std::move(*joiner);
          snapshot_offset_ = offset;
          return absl::OkStatus();
        }
        // Loaded but its late store or join state did not: back to the fresh state.
        FORYOU_ASSIGN_OR_RETURN(model_, model::RankingModel::Create(config));
        FORYOU_ASSIGN_OR_RETURN(serving_, model::RankingModel::Create(config, /*serving=*/true));
        *features_ = fresh_features;
        ledger_ = Ledger{};
        next_offset_ = log_->StartOffset();
        restored_offset_ = 0;
        restored_position_.clear();
        params_next_ = UINT64_MAX;
      }
      std::cerr << "foryou: snapshot " << name << " not usable (" << s
                << "), trying an older one\n";
      joiner_state.clear();
    }
  }
  // No snapshot: everything is rebuilt from the log's start, so a late store left by an
  // earlier run (ahead of that start) must go too.
  if (!options_.joiner.late_store_dir.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(options_.joiner.late_store_dir, ec);
  }
  FORYOU_ASSIGN_OR_RETURN(joiner_, Joiner::Create(options_.joiner, features_.get(), catalog_));
  return absl::OkStatus();
}

absl::Status RealtimeLoop::Restore(const std::string& dir, const model::ModelConfig& config,
                                   std::string* joiner_state) {
  FORYOU_ASSIGN_OR_RETURN(std::string state, common::ReadFile(dir + "/state.bin"));
  if (state.size() < 8) return absl::DataLossError("state.bin: truncated");
  uint64_t sum = 0;
  std::memcpy(&sum, state.data() + state.size() - 8, 8);
  if (sum != XXH3_64bits(state.data(), state.size() - 8)) return absl::DataLossError("state.bin: checksum mismatch");
  common::BinaryReader r(std::string_view(state).substr(0, state.size() - 8));
  uint32_t version = 0;
  uint64_t offset = 0;
  Ledger ledger;
  uint64_t params_next = UINT64_MAX;
  std::string position, features_state, joiner;
  if (!r.Get(&version) || version < 1 || version > 3 || !r.Get(&offset) ||
      !r.Get(&ledger.events) || !r.Get(&ledger.checksum) ||
      (version >= 2 && !r.GetString(&position)) || (version == 3 && !r.Get(&params_next)) ||
      !r.GetString(&features_state) || !r.GetString(&joiner) || !r.done()) {
    return absl::DataLossError("state.bin: malformed");
  }
  // A snapshot of the file log's loop has no stream position, and the reverse: resuming either
  // from the other's would skip or repeat every event.
  if ((version >= 2) != static_cast<bool>(options_.source)) {
    return absl::FailedPreconditionError(
        version >= 2 ? "state.bin: written by a loop on an event stream (--kafka)"
                     : "state.bin: written by a loop on the file log");
  }
  // A replica continues the parameter stream where the snapshot's model stands.
  if (follower() && version != 3) {
    return absl::FailedPreconditionError("state.bin: keeps no parameter stream offset");
  }
  // Stage the models; commit only when everything loaded.
  FORYOU_ASSIGN_OR_RETURN(auto model, model::RankingModel::Create(config));
  FORYOU_ASSIGN_OR_RETURN(uint64_t model_version, model->Load(dir + "/model"));
  if (model_version != offset) return absl::DataLossError("model version differs from state.bin's offset");
  // The replica starts as a full copy of the same snapshot (rows loaded from a snapshot are not
  // "touched", so deltas alone would never carry them).
  FORYOU_ASSIGN_OR_RETURN(auto serving, model::RankingModel::Create(config, /*serving=*/true));
  FORYOU_RETURN_IF_ERROR(serving->Load(dir + "/model").status());
  model::FeatureExtractor staged_features = *features_;
  FORYOU_RETURN_IF_ERROR(staged_features.LoadState(features_state));
  if (!options_.joiner.late_store_dir.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(options_.joiner.late_store_dir, ec);
    if (std::filesystem::exists(dir + "/late")) {
      std::filesystem::copy(dir + "/late", options_.joiner.late_store_dir,
                            std::filesystem::copy_options::recursive, ec);
      if (ec) return absl::UnavailableError(absl::StrCat("late store restore: ", ec.message()));
    }
  }
  model_ = std::move(model);
  serving_ = std::move(serving);
  *features_ = std::move(staged_features);
  *joiner_state = std::move(joiner);
  ledger_ = ledger;
  next_offset_ = offset;
  restored_offset_ = offset;
  restored_position_ = std::move(position);
  params_next_ = params_next;
  return absl::OkStatus();
}

absl::Status RealtimeLoop::Snapshot() {
  // A replica reads the trainer's snapshots and writes none.
  if (options_.snapshot_dir.empty() || follower()) return absl::OkStatus();
  FORYOU_RETURN_IF_ERROR(TrainPending());
  char name[32];
  std::snprintf(name, sizeof(name), "%020llu", static_cast<unsigned long long>(next_offset_));
  const std::string final_dir = options_.snapshot_dir + "/" + name;
  std::error_code ec;
  if (snapshot_offset_ != next_offset_ || !std::filesystem::exists(final_dir)) {
    // A directory of this name that this process did not write is replaced.
    std::filesystem::remove_all(final_dir, ec);
    const std::string tmp = final_dir + ".tmp";
    absl::Status s = WriteSnapshot(tmp);
    if (s.ok()) {
      std::filesystem::rename(tmp, final_dir, ec);
      if (ec) s = absl::UnavailableError(absl::StrCat("snapshot rename: ", ec.message()));
    }
    if (s.ok()) s = common::SyncDir(options_.snapshot_dir);
    if (!s.ok()) {
      std::filesystem::remove_all(tmp, ec);  // frees the space a full disk needs back
      return s;
    }
    snapshot_offset_ = next_offset_;
    snapshots_written_.fetch_add(1);
  }
  // Events before the snapshot may now go (retention); keep the newest keep_snapshots. Retried
  // with the next snapshot if it fails, as the snapshot itself is in place.
  if (!source_) FORYOU_RETURN_IF_ERROR(log_->CommitOffset("trainer", next_offset_));
  if (!source_ && (options_.log.retention_bytes > 0 || options_.log.retention_age_s > 0)) {
    FORYOU_RETURN_IF_ERROR(log_->EnforceRetention(common::WallMs()).status());
  }
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(options_.snapshot_dir, ec)) {
    const std::string n = entry.path().filename().string();
    if (n.size() == 20 && std::all_of(n.begin(), n.end(), ::isdigit)) names.push_back(n);
  }
  std::sort(names.rbegin(), names.rend());
  for (size_t i = std::max(1, options_.keep_snapshots); i < names.size(); ++i) {
    std::filesystem::remove_all(options_.snapshot_dir + "/" + names[i], ec);
  }
  return absl::OkStatus();
}

absl::Status RealtimeLoop::WriteSnapshot(const std::string& tmp) {
  std::error_code ec;
  std::filesystem::remove_all(tmp, ec);
  FORYOU_RETURN_IF_ERROR(common::MakeDirs(tmp));
  FORYOU_RETURN_IF_ERROR(model_->Save(tmp + "/model", next_offset_));
  // state.bin is streamed: the behaviour state and the join state go to the file in ~1 MB
  // pieces, each one's length taken by a first pass that only counts, so no copy of either is
  // held whole.
  common::AtomicFileWriter file;
  FORYOU_RETURN_IF_ERROR(file.Open(tmp + "/state.bin"));
  std::unique_ptr<XXH3_state_t, decltype(&XXH3_freeState)> hash(XXH3_createState(),
                                                                 &XXH3_freeState);
  XXH3_64bits_reset(hash.get());
  absl::Status io;
  auto put = [&](std::string_view bytes) {
    if (!io.ok()) return;
    XXH3_64bits_update(hash.get(), bytes.data(), bytes.size());
    io = file.Append(bytes);
  };
  uint64_t features_bytes = 0;
  features_->SaveState([&](std::string_view piece) { features_bytes += piece.size(); });
  std::string head;
  common::BinaryWriter w(&head);
  // Version 3 adds the parameter stream's next offset, known after a trainer's first publish.
  const uint32_t version = !source_ ? 1 : params_next_ == UINT64_MAX ? 2 : 3;
  w.Put<uint32_t>(version);
  w.Put(next_offset_);
  w.Put(ledger_.events);
  w.Put(ledger_.checksum);
  if (source_) w.PutString(source_->Position());
  if (version == 3) w.Put(params_next_);
  w.Put(features_bytes);
  put(head);
  features_->SaveState(put);
  uint64_t joiner_bytes = 0;
  joiner_->SaveState([&](std::string_view piece) { joiner_bytes += piece.size(); });
  head.clear();
  w.Put<uint64_t>(joiner_bytes);
  put(head);
  joiner_->SaveState(put);
  FORYOU_RETURN_IF_ERROR(io);
  const uint64_t digest = XXH3_64bits_digest(hash.get());
  FORYOU_RETURN_IF_ERROR(
      file.Append(std::string_view(reinterpret_cast<const char*>(&digest), sizeof(digest))));
  FORYOU_RETURN_IF_ERROR(file.Commit());
  return joiner_->CheckpointLateStore(tmp + "/late");
}

void RealtimeLoop::RecordSnapshotResult(const absl::Status& s) {
  const int64_t retry_ms = std::min<int64_t>(options_.snapshot_interval_ms, kSnapshotRetryMs);
  snapshot_wait_ms_ = s.ok() ? options_.snapshot_interval_ms : retry_ms;
  common::MutexLock l(&mu_);
  if (s.ok()) {
    if (!snapshot_fault_.empty()) std::cerr << "foryou: snapshots work again\n";
    snapshot_fault_.clear();
    return;
  }
  if (snapshot_fault_.empty()) {
    std::cerr << "foryou: snapshot failed (" << s << "); retrying every " << retry_ms
              << " ms, serving and ingest go on\n";
  }
  snapshot_fault_ = absl::StrCat("snapshots: ", s.message());
  ++health_.snapshot_failures;
}

absl::StatusOr<uint64_t> RealtimeLoop::ReadBeforeRestored(
    const std::function<void(absl::Span<const std::string_view>)>& observe, int64_t idle_ms) {
  if (!options_.source || restored_position_.empty()) return 0;
  // A second reader of the stream from its beginning, bounded at the snapshot's position: the
  // loop's own reader starts there, so each record reaches `observe` or the loop, never both.
  FORYOU_ASSIGN_OR_RETURN(std::unique_ptr<stream::EventSource> earlier, options_.source(""));
  FORYOU_RETURN_IF_ERROR(earlier->SetEnd(restored_position_));
  uint64_t passed = 0;
  std::vector<LogRecord> records;
  std::vector<std::string_view> payloads;
  int64_t last_progress = common::SteadyMs();
  while (!earlier->ReachedEnd()) {
    const absl::Status polled = earlier->Poll(options_.read_batch, 100, &records);
    if (!records.empty()) {
      payloads.clear();
      for (const LogRecord& r : records) payloads.push_back(r.payload);
      observe(payloads);
      passed += records.size();
      last_progress = common::SteadyMs();
    }
    FORYOU_RETURN_IF_ERROR(polled);
    if (common::SteadyMs() - last_progress > idle_ms) {
      return absl::UnavailableError(absl::StrCat(
          "event stream: no record before the snapshot's position arrived for ", idle_ms,
          " ms (", passed, " read)"));
    }
  }
  return passed;
}

}  // namespace foryou::realtime
