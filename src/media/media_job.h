// The worker protocol (docs/formats/media_job.md): the JOB.json the server writes, the
// RESULT.json the worker answers with, and RunMediaJob, the body of `foryou media-worker`.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "media/probe.h"
#include "media/transcoder.h"

namespace foryou::media {

enum class JobKind { kProbe, kTranscode };

struct MediaJob {
  JobKind kind = JobKind::kProbe;
  TranscodeJob transcode;  // input, out_dir, effect, second inputs, limits
};

// Parses JOB.json text; InvalidArgument naming the bad field.
[[nodiscard]] absl::StatusOr<MediaJob> ParseMediaJob(const std::string& json);

// RESULT.json for a probe, a transcode, and a refusal ({"error": message}).
std::string ProbeResultJson(const MediaInfo& info);
std::string TranscodeResultJson(const TranscodeResult& result);
std::string ErrorResultJson(const std::string& message);

// The worker's exit codes: 0 done, 2 the input is refused or broken (RESULT.json says why),
// 1 anything else (an unreadable job, an unwritable out_dir; RESULT.json says why if it can).
inline constexpr int kWorkerOk = 0;
inline constexpr int kWorkerFailed = 1;
inline constexpr int kWorkerRefused = 2;

// Reads `job_path`, runs the job and writes `result_path` (atomically); returns the exit code.
int RunMediaJob(const std::string& job_path, const std::string& result_path);

}  // namespace foryou::media
