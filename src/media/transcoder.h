// Transcode: one decode pass of an upload (and of a composition's second input) through one
// libavfilter graph into the two H.264/AAC MP4 renditions, the cover and poster frames, the
// clip's own sound, and the figures a black/silent policy reads (docs/design/media.md).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "media/probe.h"

namespace foryou::media {

struct TranscodeJob {
  std::string input;    // the upload
  std::string out_dir;  // must exist; the outputs are written into it
  std::string effect;   // "" or a name from Effects()
  // At most one of the three: the file whose audio replaces the clip's; the original of a duet
  // (side by side, the original on the right); the original of a stitch (its first <= 5 s first).
  std::string sound_input;
  std::string duet_input;
  std::string stitch_input;
  Limits limits;
};

struct Rendition {
  int height = 0;
  int width = 0;
  std::string file;  // relative to out_dir: "720.mp4", "360.mp4"
};

struct TranscodeResult {
  MediaInfo input;            // the upload, as probed
  int64_t duration_ms = 0;    // of the 720 rendition
  int width = 0, height = 0;  // of the 720 rendition
  bool has_audio = false;
  std::vector<Rendition> renditions;      // 720 then 360; each MP4 with its index first (faststart)
  std::string cover;                      // "cover.jpg" (at 10% of the duration)
  std::vector<std::string> posters;       // "poster1.jpg".. at 25%, 50%, 75%
  std::string sound;                      // "sound.m4a" when the clip has its own audio, else ""
  double mean_luma = 0;                   // mean Y (0..255) of one 360-line frame per second
  double audio_peak_dbfs = kSilenceDbfs;  // the output audio's sample peak
  static constexpr double kSilenceDbfs = -100.0;  // digital silence, or no audio
};

// Probes job.input against job.limits (Probe()'s errors), then writes the outputs into
// job.out_dir. InvalidArgument for a refused or broken input (an unknown effect, two
// compositions, a second input without the needed stream, undecodable data); Internal when
// encoding or writing fails. x264 runs with 2 threads, preset "veryfast", CRF 23.
// Example:
//   absl::StatusOr<TranscodeResult> r = Transcode({.input = "in.mp4", .out_dir = "/tmp/out"});
[[nodiscard]] absl::StatusOr<TranscodeResult> Transcode(const TranscodeJob& job);

// The encoder settings, shared with bench/transcode.sh's ffmpeg command line.
inline constexpr const char* kX264Preset = "veryfast";
inline constexpr int kX264Crf = 23;
inline constexpr int kCodecThreads = 2;
inline constexpr int kAudioBitRate = 128000;

}  // namespace foryou::media
