// The upload service (upload_service.h): the post checks of Complete, its crash-safe order of
// writes, and the sweeper of abandoned uploads.
#include "uploads/upload_service.h"

#include <cstdio>
#include <tuple>
#include <chrono>
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "catalog/catalog_json.h"
#include "common/absl_view.h"
#include "common/status_macros.h"
#include "common/utf8.h"
#include "uploads/errors.h"

namespace foryou::uploads {
namespace {

using json = nlohmann::json;

constexpr size_t kMaxEffectBytes = 32;

using common::A;

absl::Status Bad(std::string_view field, std::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(A(field), ": ", A(what)));
}

absl::Status GetString(const json& body, const char* field, std::string* out) {
  const auto it = body.find(field);
  if (it == body.end()) return absl::OkStatus();
  if (!it->is_string()) return Bad(field, "must be a string");
  *out = it->get<std::string>();
  return absl::OkStatus();
}

absl::Status GetBool(const json& body, const char* field, bool* out) {
  const auto it = body.find(field);
  if (it == body.end()) return absl::OkStatus();
  if (!it->is_boolean()) return Bad(field, "must be true or false");
  *out = it->get<bool>();
  return absl::OkStatus();
}

// The post fields of a complete request, checked as far as the body alone allows.
struct Post {
  std::string caption, sound, effect, duet_of, stitch_of, challenge;
  std::vector<std::string> hashtags;
  bool allow_duet = true, allow_stitch = true;
};

absl::StatusOr<Post> ParsePost(const json& body, const std::vector<std::string>& effects) {
  if (!body.is_object()) return Bad("body", "must be a JSON object");
  static const char* kKnown[] = {"caption", "hashtags", "sound", "effect", "duet_of", "stitch_of",
                                 "allow_duet", "allow_stitch", "challenge"};
  for (auto it = body.begin(); it != body.end(); ++it) {
    if (std::find_if(std::begin(kKnown), std::end(kKnown),
                     [&](const char* k) { return it.key() == k; }) == std::end(kKnown)) {
      return Bad(it.key().substr(0, 64), "unknown field");
    }
  }
  Post p;
  FORYOU_RETURN_IF_ERROR(GetString(body, "caption", &p.caption));
  if (p.caption.size() > catalog::kMaxCaptionBytes) {
    return Bad("caption", absl::StrCat("longer than ", catalog::kMaxCaptionBytes, " bytes"));
  }
  if (common::InvalidUtf8At(p.caption) != std::string::npos) return Bad("caption", "not valid UTF-8");
  if (const auto it = body.find("hashtags"); it != body.end()) {
    if (!it->is_array()) return Bad("hashtags", "must be an array of strings");
    if (it->size() > catalog::kMaxVideoHashtags) {
      return Bad("hashtags", absl::StrCat("more than ", catalog::kMaxVideoHashtags));
    }
    for (size_t i = 0; i < it->size(); ++i) {
      const std::string field = absl::StrCat("hashtags[", i, "]");
      if (!(*it)[i].is_string()) return Bad(field, "must be a string");
      FORYOU_ASSIGN_OR_RETURN(std::string tag,
                              catalog::NormalizeHashtag(field, (*it)[i].get<std::string>()));
      if (std::find(p.hashtags.begin(), p.hashtags.end(), tag) == p.hashtags.end()) {
        p.hashtags.push_back(std::move(tag));
      }
    }
  }
  for (auto [field, out] : {std::pair{"sound", &p.sound}, std::pair{"duet_of", &p.duet_of},
                            std::pair{"stitch_of", &p.stitch_of}}) {
    FORYOU_RETURN_IF_ERROR(GetString(body, field, out));
    if (!out->empty()) FORYOU_RETURN_IF_ERROR(catalog::ValidateId(field, *out));
  }
  if (!p.duet_of.empty() && !p.stitch_of.empty()) {
    return Bad("stitch_of", "a video is a duet or a stitch, not both");
  }
  if (!p.sound.empty() && (!p.duet_of.empty() || !p.stitch_of.empty())) {
    return Bad("sound", "a duet or a stitch keeps its own audio and cannot use a sound");
  }
  FORYOU_RETURN_IF_ERROR(GetString(body, "effect", &p.effect));
  if (!p.effect.empty()) {
    const bool well_formed =
        p.effect.size() <= kMaxEffectBytes &&
        std::all_of(p.effect.begin(), p.effect.end(), [](char c) {
          return std::islower(static_cast<unsigned char>(c)) ||
                 std::isdigit(static_cast<unsigned char>(c)) || c == '_' || c == '-';
        });
    if (!well_formed) {
      return Bad("effect", "an effect name is 1..32 bytes of a-z, 0-9, '_' and '-'");
    }
    if (!effects.empty() && std::find(effects.begin(), effects.end(), p.effect) == effects.end()) {
      return Bad("effect", absl::StrCat("no effect named '", p.effect, "'"));
    }
  }
  FORYOU_RETURN_IF_ERROR(GetString(body, "challenge", &p.challenge));
  if (!p.challenge.empty()) {
    FORYOU_ASSIGN_OR_RETURN(p.challenge, catalog::NormalizeHashtag("challenge", p.challenge));
    if (std::find(p.hashtags.begin(), p.hashtags.end(), p.challenge) == p.hashtags.end()) {
      if (p.hashtags.size() >= catalog::kMaxVideoHashtags) {
        return Bad("hashtags", absl::StrCat("more than ", catalog::kMaxVideoHashtags,
                                            " with the challenge's"));
      }
      p.hashtags.push_back(p.challenge);
    }
  }
  FORYOU_RETURN_IF_ERROR(GetBool(body, "allow_duet", &p.allow_duet));
  FORYOU_RETURN_IF_ERROR(GetBool(body, "allow_stitch", &p.allow_stitch));
  return p;
}

}  // namespace

absl::StatusOr<std::unique_ptr<UploadService>> UploadService::Open(
    const std::string& data_dir, UploadServiceOptions options, catalog::CatalogStore* catalog,
    VideoSink* sink, std::function<int64_t()> clock) {
  std::unique_ptr<UploadService> s(new UploadService());
  if (options.pipeline.work_dir.empty()) options.pipeline.work_dir = data_dir + "/work";
  if (options.pipeline.media_dir.empty()) options.pipeline.media_dir = data_dir + "/media";
  options.pipeline.limits.max_bytes = options.limits.max_bytes;
  s->options_ = std::move(options);
  s->catalog_ = catalog;
  s->sink_ = sink;
  s->clock_ = std::move(clock);
  FORYOU_ASSIGN_OR_RETURN(s->store_, UploadStore::Open(data_dir + "/uploads", s->options_.limits));
  FORYOU_ASSIGN_OR_RETURN(s->queue_, JobQueue::Open(data_dir + "/jobs", s->clock_()));
  s->pipeline_ =
      std::make_unique<MediaPipeline>(s->options_.pipeline, s->queue_.get(), sink, s->clock_);
  s->SetMediaDirs({s->options_.pipeline.media_dir});
  return s;
}

void UploadService::SetMediaDirs(std::vector<std::string> dirs) {
  common::MutexLock lock(&complete_mu_);
  media_dirs_ = std::move(dirs);
}

std::string UploadService::LocalMediaFile(std::string_view url) {
  common::MutexLock lock(&complete_mu_);
  return LocalMediaFileLocked(url);
}

std::string UploadService::LocalMediaFileLocked(std::string_view url) {
  const std::string& prefix = options_.pipeline.media_url_prefix;
  if (prefix.empty() || url.substr(0, prefix.size()) != prefix) return "";
  const std::string_view rest = url.substr(prefix.size());
  if (rest.empty() || rest.find('%') != std::string_view::npos ||
      rest.find('\0') != std::string_view::npos) {
    return "";
  }
  for (absl::string_view part : absl::StrSplit(A(rest), '/')) {
    if (part.empty() || part == "." || part == "..") return "";
  }
  for (const std::string& dir : media_dirs_) {
    if (dir.empty()) continue;
    const std::string path = absl::StrCat(dir, "/", A(rest));
    std::error_code ec;
    if (std::filesystem::is_regular_file(path, ec)) return path;
  }
  return "";
}

UploadService::~UploadService() { Stop(); }

void UploadService::Start() {
  pipeline_->Start();
  {
    common::MutexLock lock(&sweep_mu_);
    stop_ = false;
  }
  sweeper_ = std::thread([this] { Sweep(); });
}

void UploadService::Stop() {
  {
    common::MutexLock lock(&sweep_mu_);
    stop_ = true;
  }
  sweep_cv_.SignalAll();
  if (sweeper_.joinable()) sweeper_.join();
  pipeline_->Stop();
}

void UploadService::Sweep() {
  common::MutexLock lock(&sweep_mu_);
  while (!stop_) {
    lock.Unlock();
    absl::StatusOr<int> removed = store_->ExpireAbandoned(clock_());
    if (!removed.ok()) {
      std::fprintf(stderr, "foryou: upload sweep: %s\n", removed.status().ToString().c_str());
    }
    lock.Lock();
    if (!stop_) sweep_cv_.WaitFor(&sweep_mu_, std::chrono::milliseconds(options_.sweep_interval_ms));
  }
}

absl::StatusOr<Submitted> UploadService::Complete(std::string_view upload_id,
                                                  std::string_view owner, const json& body) {
  FORYOU_ASSIGN_OR_RETURN(Post post, ParsePost(body, options_.effects));
  common::MutexLock lock(&complete_mu_);
  FORYOU_ASSIGN_OR_RETURN(Upload up, store_->Get(upload_id, owner));
  const std::string video_id = absl::StrCat("vu-", up.id.substr(3));  // "up-<hex>" -> "vu-<hex>"
  if (up.state == UploadState::kSubmitted) {
    return ConflictError(absl::StrCat("the upload was already submitted as video '", up.video, "'"),
                         up.received);
  }
  if (!up.complete()) {
    return ConflictError(absl::StrCat("the upload has ", up.received, " of ", up.size,
                                      " bytes: send the rest first"),
                         up.received);
  }
  // A sound's audio replaces the clip's: it must have a file here.
  std::string sound_file;
  if (!post.sound.empty()) {
    absl::StatusOr<catalog::Sound> sound = catalog_->GetSound(post.sound);
    if (absl::IsNotFound(sound.status())) {
      return Bad("sound", absl::StrCat("no sound '", post.sound, "'"));
    }
    FORYOU_RETURN_IF_ERROR(sound.status());
    // A sound taken from a video that is not live (pending review, removed) is not offered.
    if (!sound->original_video.empty()) {
      absl::StatusOr<catalog::Video> from = catalog_->GetVideo(sound->original_video);
      if (!from.ok() || from->moderation == catalog::Moderation::kRemoved ||
          from->moderation == catalog::Moderation::kPending) {
        return Bad("sound", absl::StrCat("no sound '", post.sound, "'"));
      }
    }
    sound_file = LocalMediaFileLocked(sound->audio_url);
    if (sound_file.empty()) {
      return Bad("sound", absl::StrCat("sound '", post.sound, "' has no audio to use"));
    }
  }
  // The original of a duet or a stitch: it must be live, allow it, and have a media file here.
  std::string original_file;
  for (const auto& [field, id, what] :
       {std::tuple{"duet_of", post.duet_of, "duets"}, std::tuple{"stitch_of", post.stitch_of, "stitches"}}) {
    if (id.empty()) continue;
    absl::StatusOr<catalog::Video> orig = catalog_->GetVideo(id);
    if (absl::IsNotFound(orig.status()) ||
        (orig.ok() && (orig->moderation == catalog::Moderation::kRemoved ||
                       orig->moderation == catalog::Moderation::kPending))) {
      return Bad(field, absl::StrCat("no video '", id, "'"));
    }
    FORYOU_RETURN_IF_ERROR(orig.status());
    const bool allowed = std::string_view(field) == "duet_of" ? orig->allow_duet : orig->allow_stitch;
    if (!allowed) {
      return absl::PermissionDeniedError(
          absl::StrCat("video '", id, "' does not allow ", what, " (its creator turned them off)"));
    }
    original_file = LocalMediaFileLocked(orig->media_url);
    if (original_file.empty()) {
      const bool duet = std::string_view(field) == "duet_of";
      return ConflictError(absl::StrCat(field, ": video '", id, "' has no media to ",
                                        duet ? "duet" : "stitch"));
    }
  }

  // Video, then job, then the upload marked: each step is skipped when a retry finds it done, so a
  // failure part way (a full disk, a crash) is finished by the client's retry.
  const int64_t now = clock_();
  catalog::Video video{.id = video_id,
                       .creator = std::string(owner),
                       .caption = post.caption,
                       .hashtags = post.hashtags,
                       .sound = post.sound,
                       .duration_ms = 0,
                       .upload_ms = now,
                       .duet_of = post.duet_of,
                       .stitch_of = post.stitch_of,
                       .moderation = catalog::Moderation::kPending};
  video.allow_duet = post.allow_duet;
  video.allow_stitch = post.allow_stitch;
  if (absl::Status st = sink_->CreateVideo(video); !st.ok()) {
    absl::StatusOr<catalog::Video> existing = catalog_->GetVideo(video_id);
    if (!absl::IsAlreadyExists(st) || !existing.ok() || existing->creator != owner) return st;
  }
  std::string job_id;
  if (absl::StatusOr<Job> job = queue_->JobOfVideo(video_id); job.ok()) {
    job_id = job->id;
  } else if (absl::IsNotFound(job.status())) {
    JobSpec spec{.kind = "transcode",
                 .video = video_id,
                 .owner = std::string(owner),
                 .input = store_->FilePath(up.id),
                 .effect = post.effect,
                 .sound_input = sound_file};
    (post.duet_of.empty() ? spec.stitch_input : spec.duet_input) = original_file;
    spec.lane = up.size > options_.long_lane_bytes || !original_file.empty() ? Lane::kLong
                                                                             : Lane::kShort;
    FORYOU_ASSIGN_OR_RETURN(Job created, queue_->Enqueue(spec, now));
    job_id = created.id;
  } else {
    return job.status();
  }
  FORYOU_RETURN_IF_ERROR(store_->MarkSubmitted(up.id, owner, video_id, now));
  pipeline_->Wake();
  return Submitted{.video = video_id, .job = job_id};
}

}  // namespace foryou::uploads
