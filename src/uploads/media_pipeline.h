// MediaPipeline: the workers that take media jobs off the JobQueue and run each in a child
// process (WorkerSupervisor), then attach the outputs to the catalog video
// (docs/design/uploads.md, "Processing"). Each lane has its own worker threads, so short jobs
// never wait behind a long transcode. On success the outputs move to <media_dir>/<video>/, the
// video gets its media URLs, duration, cover and frame hashes, and the processed hook decides its
// moderation state (default: limited, the fresh-upload pool) before the one catalog write. A
// clip with its own audio that did not borrow a sound gets its own (SoundIdOf, written just
// before the video). On failure the job records the reason and the video stays pending.
//
// Thread-safety: Start/Stop from one thread; RunOne and Wake from any.
//
// Example:
//   MediaPipeline pipeline(options, queue.get(), &sink, clock);
//   pipeline.set_on_processed([](catalog::Video* v, const nlohmann::json&) { ... });
//   pipeline.Start();  ...  pipeline.Wake(Lane::kShort);  ...  pipeline.Stop();
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "catalog/types.h"
#include "common/mutex.h"
#include "nlohmann/json.hpp"
#include "uploads/job_queue.h"
#include "uploads/worker_supervisor.h"

namespace foryou::uploads {

// The catalog as the pipeline writes it. The server's implementation goes through the feed
// service, so its in-memory index sees every change.
class VideoSink {
 public:
  virtual ~VideoSink() = default;
  [[nodiscard]] virtual absl::StatusOr<catalog::Video> GetVideo(std::string_view id) = 0;
  [[nodiscard]] virtual absl::Status CreateVideo(const catalog::Video& video) = 0;
  [[nodiscard]] virtual absl::Status UpdateVideo(const catalog::Video& video) = 0;
  // Insert or replace (a processed clip's own sound).
  [[nodiscard]] virtual absl::Status PutSound(const catalog::Sound& sound) = 0;
};

// The sound a processed upload's own audio becomes: "so-<hex>" for the video "vu-<hex>"
// ("so-<video>" for any other id).
std::string SoundIdOf(std::string_view video);

// The limits every job's worker applies to its input (the protocol's "limits").
struct MediaLimits {
  uint64_t max_bytes = 512ull << 20;
  int64_t min_duration_ms = 1000;
  int64_t max_duration_ms = 600'000;
  int max_width = 4096;
  int max_height = 4096;
};

struct PipelineOptions {
  std::string work_dir;   // a directory per running job: job.json, result.json, out/
  std::string media_dir;  // processed media: <media_dir>/<video>/720.mp4, ...
  std::string media_url_prefix = "/media/";  // the URL of media_dir
  int short_workers = 1;
  int long_workers = 1;
  WorkerOptions worker;
  MediaLimits limits;
  // How long an idle worker thread sleeps before looking at the queue again (a Wake is sooner).
  int64_t poll_ms = 1000;
};

// Called with the video about to be written after a successful transcode and the worker's
// result; it sets the moderation state (and may refuse by setting kRemoved).
using ProcessedHook = std::function<void(catalog::Video* video, const nlohmann::json& result)>;

class MediaPipeline {
 public:
  MediaPipeline(PipelineOptions options, JobQueue* queue, VideoSink* sink,
                std::function<int64_t()> clock);
  ~MediaPipeline();  // stops

  void set_on_processed(ProcessedHook hook) { on_processed_ = std::move(hook); }
  void Start();  // the lanes' worker threads
  void Stop();   // kills running workers; their jobs go back to the queue
  void Wake();   // a job was queued
  // Takes and runs one job of `lane` on the calling thread (tests); false if none was queued.
  [[nodiscard]] absl::StatusOr<bool> RunOne(Lane lane);
  const PipelineOptions& options() const { return options_; }

 private:
  void Loop(Lane lane);
  // Runs a job taken off the queue and finishes it (done or failed).
  absl::Status Process(const Job& job);
  // The worker's outputs attached to the video; errors fail the job.
  absl::Status Attach(const Job& job, const nlohmann::json& result);

  const PipelineOptions options_;
  JobQueue* queue_;
  VideoSink* sink_;
  std::function<int64_t()> clock_;
  ProcessedHook on_processed_;
  std::atomic<bool> stop_{false};
  common::Mutex mu_;
  common::CondVar wake_;
  uint64_t wakes_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<std::thread> threads_;
};

}  // namespace foryou::uploads
