// The media commands: thin wrappers over media::Probe, media::Transcode and media::RunMediaJob
// that print the same JSON the worker writes to RESULT.json.
#include "apps/foryou/media_command.h"

#include <iostream>
#include <string>

extern "C" {
#include <libavutil/log.h>
}

#include "media/media_job.h"
#include "media/probe.h"
#include "media/transcoder.h"
#include "moderation/frame_hash.h"
#include "nlohmann/json.hpp"
#include "absl/strings/str_format.h"
#include "common/file_util.h"

namespace foryou::app {
namespace {

int ExitCodeFor(const absl::Status& s) {
  return absl::IsInvalidArgument(s) || absl::IsNotFound(s) ? media::kWorkerRefused
                                                           : media::kWorkerFailed;
}

// After a transcode: the frame hashes of the 360p rendition (docs/formats/media_job.md), for
// the server's duplicate index. The rendition is the worker's own output, so a failure to read
// it is the worker's failure (exit 1), not the input's.
int AddFrameHashes(const std::string& job_path, const std::string& result_path) {
  absl::StatusOr<std::string> job_text = common::ReadFile(job_path);
  if (!job_text.ok()) return media::kWorkerFailed;
  absl::StatusOr<media::MediaJob> job = media::ParseMediaJob(*job_text);
  if (!job.ok() || job->kind != media::JobKind::kTranscode) return media::kWorkerOk;
  absl::StatusOr<std::string> result_text = common::ReadFile(result_path);
  if (!result_text.ok()) return media::kWorkerFailed;
  nlohmann::json result = nlohmann::json::parse(*result_text, nullptr, /*allow_exceptions=*/false);
  if (!result.is_object() || !result.contains("renditions")) return media::kWorkerFailed;
  std::string file;
  for (const auto& r : result["renditions"]) {
    if (r.value("height", 0) == 360) file = r.value("file", "");
  }
  if (file.empty()) return media::kWorkerFailed;
  absl::StatusOr<std::vector<uint64_t>> hashes =
      moderation::HashVideoFrames(job->transcode.out_dir + "/" + file, {});
  if (!hashes.ok()) {
    std::cerr << "foryou media-worker: frame hashes: " << hashes.status() << "\n";
    return media::kWorkerFailed;
  }
  nlohmann::json list = nlohmann::json::array();
  for (uint64_t h : *hashes) list.push_back(absl::StrFormat("%016x", h));
  result["frame_hashes"] = std::move(list);
  return common::WriteFileAtomically(result_path, result.dump()).ok() ? media::kWorkerOk
                                                                       : media::kWorkerFailed;
}

}  // namespace

CLI::App* AddMediaCommands(CLI::App& app, int* exit_code) {
  CLI::App* media = app.add_subcommand("media", "Probe or transcode a video file");
  media->require_subcommand(1);

  CLI::App* probe =
      media->add_subcommand("probe", "Print a file's headers, checked against the upload limits");
  static std::string probe_file;
  probe->add_option("FILE", probe_file, "Video file")->required();
  probe->callback([exit_code] {
    av_log_set_level(AV_LOG_ERROR);
    absl::StatusOr<media::MediaInfo> info = media::Probe(probe_file, media::Limits{});
    if (!info.ok()) {
      std::cerr << "foryou media probe: " << info.status().message() << "\n";
      *exit_code = ExitCodeFor(info.status());
      return;
    }
    std::cout << media::ProbeResultJson(*info);
  });

  CLI::App* transcode = media->add_subcommand(
      "transcode", "Write the 720 and 360 renditions, cover, posters and sound into OUTDIR");
  static media::TranscodeJob job;
  transcode->add_option("FILE", job.input, "Video file")->required();
  transcode->add_option("OUTDIR", job.out_dir, "Existing output directory")->required();
  transcode->add_option("--effect", job.effect, "An effect name (GET /v1/effects)");
  transcode->add_option("--sound", job.sound_input, "A file whose audio replaces the clip's");
  transcode->add_option("--duet", job.duet_input, "The original of a duet (shown on the right)");
  transcode->add_option("--stitch", job.stitch_input,
                        "The original of a stitch (its first 5 s first)");
  transcode->callback([exit_code] {
    av_log_set_level(AV_LOG_ERROR);
    absl::StatusOr<media::TranscodeResult> r = media::Transcode(job);
    if (!r.ok()) {
      std::cerr << "foryou media transcode: " << r.status().message() << "\n";
      *exit_code = ExitCodeFor(r.status());
      return;
    }
    std::cout << media::TranscodeResultJson(*r);
  });

  CLI::App* worker = app.add_subcommand(
      "media-worker",
      "Run one media job (JOB.json) and write RESULT.json; exit 0, 2 (refused) or 1");
  static std::string job_path, result_path;
  worker->add_option("--job", job_path, "The job file")->required();
  worker->add_option("--result", result_path, "Where to write the result")->required();
  worker->callback([exit_code] {
    av_log_set_level(AV_LOG_ERROR);
    *exit_code = media::RunMediaJob(job_path, result_path);
    if (*exit_code == media::kWorkerOk) *exit_code = AddFrameHashes(job_path, result_path);
  });
  return media;
}

}  // namespace foryou::app
