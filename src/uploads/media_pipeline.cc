// The media pipeline (media_pipeline.h). HOW IT WORKS: each lane's threads loop Take -> Process;
// Process writes the job's JOB.json (the worker protocol) into <work_dir>/<job>/, runs the
// worker, and on success renames the outputs into <media_dir>/<video>/ (one file system: a rename
// is atomic) before the one catalog write; the job is marked done after that write, so a crash in
// between runs the job again, which repeats the same renames and the same write.
#include "uploads/media_pipeline.h"

#include <cstdio>
#include <chrono>
#include <optional>
#include <filesystem>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/file_util.h"
#include "common/status_macros.h"

namespace foryou::uploads {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

// A plain file name the worker reported (no directory part): anything else is refused.
bool PlainName(const json& v) {
  if (!v.is_string()) return false;
  const std::string s = v.get<std::string>();
  return !s.empty() && s.size() <= 64 && s.find('/') == std::string::npos && s != "." && s != "..";
}

}  // namespace

std::string SoundIdOf(std::string_view video) {
  constexpr std::string_view kVideoPrefix = "vu-";
  if (video.substr(0, kVideoPrefix.size()) == kVideoPrefix) {
    video.remove_prefix(kVideoPrefix.size());
  }
  return absl::StrCat("so-", absl::string_view(video.data(), video.size()));
}

MediaPipeline::MediaPipeline(PipelineOptions options, JobQueue* queue, VideoSink* sink,
                             std::function<int64_t()> clock)
    : options_(std::move(options)), queue_(queue), sink_(sink), clock_(std::move(clock)) {
  on_processed_ = [](catalog::Video* video, const json&) {
    video->moderation = catalog::Moderation::kLimited;
  };
}

MediaPipeline::~MediaPipeline() { Stop(); }

void MediaPipeline::Start() {
  stop_ = false;
  for (int i = 0; i < options_.short_workers; ++i) threads_.emplace_back([this] { Loop(Lane::kShort); });
  for (int i = 0; i < options_.long_workers; ++i) threads_.emplace_back([this] { Loop(Lane::kLong); });
}

void MediaPipeline::Stop() {
  stop_ = true;
  {
    common::MutexLock lock(&mu_);
    ++wakes_;
  }
  wake_.SignalAll();
  for (std::thread& t : threads_) t.join();
  threads_.clear();
}

void MediaPipeline::Wake() {
  {
    common::MutexLock lock(&mu_);
    ++wakes_;
  }
  wake_.SignalAll();
}

void MediaPipeline::Loop(Lane lane) {
  while (!stop_) {
    uint64_t seen;
    {
      common::MutexLock lock(&mu_);
      seen = wakes_;
    }
    absl::StatusOr<bool> ran = RunOne(lane);
    if (!ran.ok()) std::fprintf(stderr, "foryou: media job: %s\n", ran.status().ToString().c_str());
    if (ran.ok() && *ran) continue;
    common::MutexLock lock(&mu_);
    if (wakes_ == seen && !stop_) {
      wake_.WaitFor(&mu_, std::chrono::milliseconds(options_.poll_ms));
    }
  }
}

absl::StatusOr<bool> MediaPipeline::RunOne(Lane lane) {
  FORYOU_ASSIGN_OR_RETURN(std::optional<Job> job, queue_->Take(lane, clock_()));
  if (!job.has_value()) return false;
  FORYOU_RETURN_IF_ERROR(Process(*job));
  return true;
}

absl::Status MediaPipeline::Process(const Job& job) {
  const std::string work = absl::StrCat(options_.work_dir, "/", job.id);
  const std::string out = work + "/out";
  std::error_code ec;
  fs::remove_all(work, ec);
  absl::Status outcome = common::MakeDirs(out);
  absl::StatusOr<json> result = absl::UnknownError("not run");
  if (outcome.ok()) {
    const MediaLimits& l = options_.limits;
    const json spec = {{"kind", job.spec.kind},
                       {"input", job.spec.input},
                       {"out_dir", out},
                       {"effect", job.spec.effect},
                       {"sound_input", job.spec.sound_input},
                       {"duet_input", job.spec.duet_input},
                       {"stitch_input", job.spec.stitch_input},
                       {"limits",
                        {{"max_bytes", l.max_bytes},
                         {"min_duration_ms", l.min_duration_ms},
                         {"max_duration_ms", l.max_duration_ms},
                         {"max_width", l.max_width},
                         {"max_height", l.max_height}}}};
    outcome = common::WriteFileAtomically(work + "/job.json", spec.dump());
  }
  if (outcome.ok()) {
    WorkerSupervisor supervisor(options_.worker);
    result = supervisor.Run(work + "/job.json", work + "/result.json", &stop_);
    if (result.status().code() == absl::StatusCode::kCancelled) {
      fs::remove_all(work, ec);
      return queue_->Release(job.id);
    }
    outcome = result.status();
  }
  if (outcome.ok()) outcome = Attach(job, *result);
  fs::remove_all(work, ec);
  FORYOU_RETURN_IF_ERROR(queue_->Finish(job.id, outcome, clock_()));
  // The upload's bytes are no longer needed: the renditions replace them, or the post failed.
  fs::remove(job.spec.input, ec);
  return absl::OkStatus();
}

absl::Status MediaPipeline::Attach(const Job& job, const json& result) {
  const std::string out = absl::StrCat(options_.work_dir, "/", job.id, "/out");
  const std::string dest = absl::StrCat(options_.media_dir, "/", job.spec.video);
  const std::string url = absl::StrCat(options_.media_url_prefix, job.spec.video, "/");
  // The files to keep: the renditions by height, the cover, the posters and the clip's sound.
  std::string file_720, file_360, cover, sound;
  std::vector<std::string> files;
  const auto renditions = result.find("renditions");
  if (renditions == result.end() || !renditions->is_array()) {
    return absl::InternalError("worker result has no renditions");
  }
  for (const json& r : *renditions) {
    if (!r.is_object() || !r.contains("height") || !r["height"].is_number_integer() ||
        !r.contains("file") || !PlainName(r["file"])) {
      return absl::InternalError("worker result: a rendition without a height and a file name");
    }
    const std::string f = r["file"].get<std::string>();
    if (r["height"].get<int64_t>() == 720) file_720 = f;
    if (r["height"].get<int64_t>() == 360) file_360 = f;
    files.push_back(f);
  }
  if (file_720.empty() || file_360.empty()) {
    return absl::InternalError("worker result lacks the 720 or the 360 rendition");
  }
  if (result.contains("cover")) {
    if (!PlainName(result["cover"])) return absl::InternalError("worker result: bad cover name");
    cover = result["cover"].get<std::string>();
    files.push_back(cover);
  }
  if (result.contains("posters") && result["posters"].is_array()) {
    for (const json& p : result["posters"]) {
      if (PlainName(p)) files.push_back(p.get<std::string>());
    }
  }
  if (result.contains("sound") && PlainName(result["sound"])) {
    sound = result["sound"].get<std::string>();
    files.push_back(sound);
  }
  int64_t duration = 0;
  if (result.contains("duration_ms") && result["duration_ms"].is_number_integer()) {
    duration = result["duration_ms"].get<int64_t>();
  }
  if (duration <= 0 || duration > 3600 * 1000) {
    return absl::InternalError("worker result: duration_ms missing or out of range");
  }
  std::vector<std::string> hashes;
  if (result.contains("frame_hashes") && result["frame_hashes"].is_array()) {
    for (const json& h : result["frame_hashes"]) {
      if (h.is_string() && h.get<std::string>().size() == 16) hashes.push_back(h.get<std::string>());
    }
  }

  FORYOU_RETURN_IF_ERROR(common::MakeDirs(dest));
  for (const std::string& f : files) {
    std::error_code ec;
    fs::rename(out + "/" + f, dest + "/" + f, ec);
    if (ec) {
      return absl::InternalError(absl::StrCat("worker output '", f, "': ", ec.message()));
    }
  }
  FORYOU_RETURN_IF_ERROR(common::SyncDir(dest));

  FORYOU_ASSIGN_OR_RETURN(catalog::Video video, sink_->GetVideo(job.spec.video));
  video.media_url = url + file_720;
  video.media_url_360 = url + file_360;
  video.cover_url = cover.empty() ? "" : url + cover;
  video.duration_ms = static_cast<uint32_t>(duration);
  video.frame_hash = absl::StrJoin(hashes, ",");
  // The clip's own audio (the worker writes it only when the clip has an audio stream and did
  // not borrow a sound) becomes a sound later posts may use. Its id follows from the video's and
  // the record is written before the video names it, so a run repeated after a crash writes the
  // same record again instead of a second sound.
  if (video.sound.empty() && !sound.empty()) {
    const catalog::Sound own{.id = SoundIdOf(video.id),
                             .title = absl::StrCat("original sound - ", video.creator),
                             .creator = video.creator,
                             .audio_url = url + sound,
                             .original_video = video.id};
    FORYOU_RETURN_IF_ERROR(sink_->PutSound(own));
    video.sound = own.id;
  }
  on_processed_(&video, result);
  return sink_->UpdateVideo(video);
}

}  // namespace foryou::uploads
