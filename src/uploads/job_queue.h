// JobQueue: the persistent queue of media jobs (docs/design/uploads.md, "Jobs"). A job is
// queued -> running -> done | failed(reason); every change is one synced RocksDB batch
// (docs/formats/uploads.md). Two lanes, each taken from by its own workers, so a probe or a small
// upload never waits behind a long transcode. Open() puts jobs found running (the process died
// under them) back in their queue; a job that has been started kMaxAttempts times fails instead
// ("worker died 3 times"), so nothing stays running forever and no input crashes the server in
// a loop.
//
// Thread-safety: every method may be called from any thread (one lock around each change).
//
// Example:
//   FORYOU_ASSIGN_OR_RETURN(auto q, JobQueue::Open(dir));
//   FORYOU_ASSIGN_OR_RETURN(Job job, q->Enqueue(spec, now));
//   std::optional<Job> next = q->Take(Lane::kShort, now).value();   // now running
//   FORYOU_RETURN_IF_ERROR(q->Finish(next->id, absl::OkStatus(), now));
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/mutex.h"

namespace rocksdb {
class DB;
}

namespace foryou::uploads {

enum class JobState : uint8_t { kQueued, kRunning, kDone, kFailed };
std::string_view JobStateName(JobState s);  // "queued", "running", "done", "failed"

enum class Lane : uint8_t { kShort = 0, kLong = 1 };
std::string_view LaneName(Lane l);  // "short", "long"

inline constexpr int kMaxAttempts = 3;

// What a job does, as the worker protocol's JOB.json names it (docs/design/uploads.md).
struct JobSpec {
  std::string kind = "transcode";  // "probe" | "transcode"
  std::string video;               // the catalog video it is for
  std::string owner;               // the user who posted it
  std::string input;               // absolute path of the upload's bytes
  std::string effect, sound_input, duet_input, stitch_input;
  Lane lane = Lane::kShort;
};

struct Job {
  std::string id;
  JobSpec spec;
  JobState state = JobState::kQueued;
  int attempts = 0;    // times it was started
  std::string error;   // failed: why
  uint64_t seq = 0;    // queue order
  int64_t created_ms = 0, started_ms = 0, finished_ms = 0;
};

class JobQueue {
 public:
  // Opens (creating) the queue in `dir` and recovers jobs left running (see above).
  // Errors: Unavailable (RocksDB: already open, I/O), DataLoss (a record that does not decode).
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<JobQueue>> Open(const std::string& dir,
                                                                      int64_t now_ms);
  ~JobQueue();

  [[nodiscard]] absl::StatusOr<Job> Enqueue(const JobSpec& spec, int64_t now_ms);
  // The oldest queued job of `lane`, now running (attempts + 1); nullopt when none is queued.
  [[nodiscard]] absl::StatusOr<std::optional<Job>> Take(Lane lane, int64_t now_ms);
  // A running job ends: done when `outcome` is OK, else failed with its message.
  [[nodiscard]] absl::Status Finish(std::string_view id, const absl::Status& outcome,
                                    int64_t now_ms);
  // A running job goes back to its queue uncounted (the server stopped it, not the input).
  [[nodiscard]] absl::Status Release(std::string_view id);
  [[nodiscard]] absl::StatusOr<Job> Get(std::string_view id) const;
  // The newest job of a video (NotFound if it has none).
  [[nodiscard]] absl::StatusOr<Job> JobOfVideo(std::string_view video) const;
  // Jobs in `state` (tests, the admin view), oldest first.
  [[nodiscard]] absl::StatusOr<std::vector<Job>> List(JobState state) const;
  // Jobs recovered by Open: put back in their queue, and failed for dying too often.
  int requeued_at_open() const { return requeued_; }
  int failed_at_open() const { return failed_at_open_; }

 private:
  explicit JobQueue(std::unique_ptr<rocksdb::DB> db);
  absl::Status Recover(int64_t now_ms);
  absl::StatusOr<Job> Read(std::string_view id) const;
  // Writes `job` with its queue key moved from `old_state` (synced, one batch).
  absl::Status Store(const Job& job, std::optional<JobState> old_state);

  std::unique_ptr<rocksdb::DB> db_;
  common::Mutex mu_;
  uint64_t next_seq_ ABSL_GUARDED_BY(mu_) = 1;
  int requeued_ = 0, failed_at_open_ = 0;
};

}  // namespace foryou::uploads
