// UploadService: the creators' side of uploads on one data directory (docs/design/uploads.md):
//
//   <data_dir>/uploads/   UploadStore: db/ (RocksDB records) and files/ (the bytes)
//   <data_dir>/jobs/      JobQueue (RocksDB)
//   <data_dir>/work/      a directory per running job (JOB.json, RESULT.json, outputs)
//   <data_dir>/media/     processed media, <video>/720.mp4, 360.mp4, cover.jpg, ...
//
// Complete() turns a fully received upload into a pending catalog video and a transcode job;
// the MediaPipeline's workers run the job; a sweeper removes abandoned uploads.
//
// Thread-safety: every method may be called from any thread.
//
// Example:
//   FORYOU_ASSIGN_OR_RETURN(auto uploads, UploadService::Open(options, &store, &sink, clock));
//   uploads->Start();
//   FORYOU_ASSIGN_OR_RETURN(Submitted s, uploads->Complete(upload_id, user, body));
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "catalog/catalog_store.h"
#include "common/mutex.h"
#include "nlohmann/json.hpp"
#include "uploads/job_queue.h"
#include "uploads/media_pipeline.h"
#include "uploads/upload_store.h"

namespace foryou::uploads {

struct UploadServiceOptions {
  UploadLimits limits;
  // Pipeline knobs; work_dir and media_dir default to <data_dir>/work and <data_dir>/media.
  PipelineOptions pipeline;
  // A transcode of an input larger than this, or one composing a duet or a stitch, takes the
  // long lane; everything else the short one.
  uint64_t long_lane_bytes = 32ull << 20;
  // The effect names a post may ask for; empty = any well-formed name (the worker refuses an
  // unknown one, and the job fails with its message). The server's Engine passes the worker's
  // (media::Effects()).
  std::vector<std::string> effects;
  int64_t sweep_interval_ms = 60'000;  // how often abandoned uploads are looked for
};

// What Complete created.
struct Submitted {
  std::string video;
  std::string job;
};

class UploadService {
 public:
  // Opens the stores under `data_dir`; recovers the queue. `catalog` is read (sounds, originals
  // of duets and stitches); `sink` writes videos. Both must outlive the service.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<UploadService>> Open(
      const std::string& data_dir, UploadServiceOptions options, catalog::CatalogStore* catalog,
      VideoSink* sink, std::function<int64_t()> clock);
  ~UploadService();  // stops

  void Start();  // the pipeline's workers and the sweeper
  void Stop();

  // POST /v1/uploads/ID/complete: checks the body (caption, hashtags, sound, effect, duet_of /
  // stitch_of with the original's permission, allow_duet, allow_stitch, challenge; see
  // docs/api.md), that every byte arrived (Conflict otherwise), creates the video `vu-<upload>`
  // (pending, creator = `owner`) and queues its transcode. A retry after a failure part way
  // finishes what is missing; a retry after success is a Conflict naming the video.
  // Errors: InvalidArgument naming the field, PermissionDenied (the original forbids it),
  // NotFound (no such upload of `owner`), Conflict.
  //
  // A `sound` must have an audio_url naming a file under the media directories (its audio
  // replaces the clip's: the job's sound_input), else InvalidArgument "sound: sound 'X' has no
  // audio to use". The original of a duet or stitch must have a media_url naming such a file
  // (the job's duet_input / stitch_input), else a Conflict "duet_of: video 'X' has no media to
  // duet" ("stitch_of: ... to stitch"). Either refusal creates nothing.
  [[nodiscard]] absl::StatusOr<Submitted> Complete(std::string_view upload_id,
                                                   std::string_view owner,
                                                   const nlohmann::json& body);

  // The directories behind the media URL prefix (pipeline.media_url_prefix), in the order the
  // HTTP server looks in them; by default only pipeline.media_dir. The server sets its
  // --media-dir and this one before it takes requests.
  void SetMediaDirs(std::vector<std::string> dirs) ABSL_LOCKS_EXCLUDED(complete_mu_);
  // The local file a media URL names: the first of the media directories holding it as a
  // regular file; "" for a URL outside the prefix, a path with an empty, "." or ".." part or a
  // '%', or no such file.
  std::string LocalMediaFile(std::string_view url) ABSL_LOCKS_EXCLUDED(complete_mu_);

  UploadStore& store() { return *store_; }
  JobQueue& queue() { return *queue_; }
  MediaPipeline& pipeline() { return *pipeline_; }
  int64_t Now() const { return clock_(); }

 private:
  UploadService() = default;
  void Sweep();

  UploadServiceOptions options_;
  catalog::CatalogStore* catalog_ = nullptr;
  VideoSink* sink_ = nullptr;
  std::function<int64_t()> clock_;
  std::unique_ptr<UploadStore> store_;
  std::unique_ptr<JobQueue> queue_;
  std::unique_ptr<MediaPipeline> pipeline_;
  common::Mutex complete_mu_;  // one Complete at a time: its steps check, then write
  std::vector<std::string> media_dirs_ ABSL_GUARDED_BY(complete_mu_);
  std::string LocalMediaFileLocked(std::string_view url) ABSL_EXCLUSIVE_LOCKS_REQUIRED(complete_mu_);
  common::Mutex sweep_mu_;
  common::CondVar sweep_cv_;
  bool stop_ ABSL_GUARDED_BY(sweep_mu_) = false;
  std::thread sweeper_;
};

}  // namespace foryou::uploads
