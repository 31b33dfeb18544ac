// JOB.json / RESULT.json over nlohmann::json, and the worker's job runner.
#include "media/media_job.h"

#include "absl/strings/str_cat.h"
#include "common/file_util.h"
#include "nlohmann/json.hpp"

namespace foryou::media {
namespace {

using nlohmann::json;

absl::Status GetString(const json& j, const char* key, bool required, std::string* out) {
  auto it = j.find(key);
  if (it == j.end()) {
    if (required) return absl::InvalidArgumentError(absl::StrCat("job: missing \"", key, "\""));
    return absl::OkStatus();
  }
  if (!it->is_string()) {
    return absl::InvalidArgumentError(absl::StrCat("job: \"", key, "\" is not a string"));
  }
  *out = it->get<std::string>();
  return absl::OkStatus();
}

absl::Status GetInt(const json& j, const char* key, int64_t* out) {
  auto it = j.find(key);
  if (it == j.end()) return absl::OkStatus();
  if (!it->is_number_integer() || it->get<int64_t>() < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("job: limits.", key, " is not a non-negative integer"));
  }
  *out = it->get<int64_t>();
  return absl::OkStatus();
}

std::string Dump(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

}  // namespace

absl::StatusOr<MediaJob> ParseMediaJob(const std::string& text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return absl::InvalidArgumentError("job: not a JSON object");
  }
  MediaJob job;
  std::string kind;
  TranscodeJob& t = job.transcode;
  absl::Status s = GetString(j, "kind", true, &kind);
  if (s.ok()) s = GetString(j, "input", true, &t.input);
  if (s.ok()) s = GetString(j, "out_dir", false, &t.out_dir);
  if (s.ok()) s = GetString(j, "effect", false, &t.effect);
  if (s.ok()) s = GetString(j, "sound_input", false, &t.sound_input);
  if (s.ok()) s = GetString(j, "duet_input", false, &t.duet_input);
  if (s.ok()) s = GetString(j, "stitch_input", false, &t.stitch_input);
  if (!s.ok()) return s;
  if (kind == "probe") {
    job.kind = JobKind::kProbe;
  } else if (kind == "transcode") {
    job.kind = JobKind::kTranscode;
    if (t.out_dir.empty()) return absl::InvalidArgumentError("job: missing \"out_dir\"");
  } else {
    return absl::InvalidArgumentError(absl::StrCat("job: unknown kind \"", kind, "\""));
  }
  if (auto it = j.find("limits"); it != j.end()) {
    if (!it->is_object()) return absl::InvalidArgumentError("job: \"limits\" is not an object");
    Limits& l = t.limits;
    int64_t w = l.max_width, h = l.max_height;
    for (auto [key, out] :
         {std::pair{"max_bytes", &l.max_bytes}, std::pair{"min_duration_ms", &l.min_duration_ms},
          std::pair{"max_duration_ms", &l.max_duration_ms}, std::pair{"max_width", &w},
          std::pair{"max_height", &h}}) {
      if (absl::Status st = GetInt(*it, key, out); !st.ok()) return st;
    }
    if (w > (1 << 20) || h > (1 << 20)) return absl::InvalidArgumentError("job: limits too large");
    l.max_width = static_cast<int>(w);
    l.max_height = static_cast<int>(h);
  }
  return job;
}

std::string ProbeResultJson(const MediaInfo& info) {
  return Dump({{"duration_ms", info.duration_ms},
               {"width", info.width},
               {"height", info.height},
               {"size_bytes", info.size_bytes},
               {"container", info.container},
               {"video_codec", info.video_codec},
               {"audio_codec", info.audio_codec},
               {"has_audio", info.has_audio}});
}

std::string TranscodeResultJson(const TranscodeResult& r) {
  json renditions = json::array();
  for (const Rendition& x : r.renditions) {
    renditions.push_back({{"height", x.height}, {"width", x.width}, {"file", x.file}});
  }
  json j = {{"duration_ms", r.duration_ms},
            {"width", r.width},
            {"height", r.height},
            {"video_codec", "h264"},
            {"audio_codec", r.has_audio ? "aac" : ""},
            {"has_audio", r.has_audio},
            {"renditions", renditions},
            {"cover", r.cover},
            {"posters", r.posters},
            {"mean_luma", r.mean_luma},
            {"audio_peak_dbfs", r.audio_peak_dbfs},
            {"frame_hashes", json::array()},
            {"input", json::parse(ProbeResultJson(r.input))}};
  if (!r.sound.empty()) j["sound"] = r.sound;
  return Dump(j);
}

std::string ErrorResultJson(const std::string& message) { return Dump({{"error", message}}); }

int RunMediaJob(const std::string& job_path, const std::string& result_path) {
  auto answer = [&](int code, const std::string& text) {
    absl::Status s = common::WriteFileAtomically(result_path, text);
    return s.ok() ? code : kWorkerFailed;
  };
  absl::StatusOr<std::string> text = common::ReadFile(job_path);
  if (!text.ok())
    return answer(kWorkerFailed, ErrorResultJson(std::string(text.status().message())));
  absl::StatusOr<MediaJob> job = ParseMediaJob(*text);
  if (!job.ok()) return answer(kWorkerFailed, ErrorResultJson(std::string(job.status().message())));
  // A refused or broken input is InvalidArgument (or NotFound: the upload is gone); anything
  // else is the worker's own failure.
  auto refused = [](const absl::Status& s) {
    return absl::IsInvalidArgument(s) || absl::IsNotFound(s) || absl::IsOutOfRange(s);
  };
  if (job->kind == JobKind::kProbe) {
    absl::StatusOr<MediaInfo> info = Probe(job->transcode.input, job->transcode.limits);
    if (!info.ok()) {
      return answer(refused(info.status()) ? kWorkerRefused : kWorkerFailed,
                    ErrorResultJson(std::string(info.status().message())));
    }
    return answer(kWorkerOk, ProbeResultJson(*info));
  }
  absl::StatusOr<TranscodeResult> r = Transcode(job->transcode);
  if (!r.ok()) {
    return answer(refused(r.status()) ? kWorkerRefused : kWorkerFailed,
                  ErrorResultJson(std::string(r.status().message())));
  }
  return answer(kWorkerOk, TranscodeResultJson(*r));
}

}  // namespace foryou::media
