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

namespace foryou::app {
namespace {

int ExitCodeFor(const absl::Status& s) {
  return absl::IsInvalidArgument(s) || absl::IsNotFound(s) ? media::kWorkerRefused
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
  });
  return media;
}

}  // namespace foryou::app
