// Probe: reads a file's container and stream headers (no full decode) and checks them against
// the upload limits, so a refused file costs a few hundred kilobytes of reading, not a decode.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace foryou::media {

// What an upload may be. The defaults are the product's limits (docs/design/media.md).
struct Limits {
  int64_t max_bytes = int64_t{512} << 20;
  int64_t min_duration_ms = 1000;
  int64_t max_duration_ms = 600000;
  int max_width = 4096;
  int max_height = 4096;
};

// A probed file: the container's duration and the first video and audio streams' headers.
struct MediaInfo {
  int64_t size_bytes = 0;
  std::string container;  // FFmpeg's demuxer name, e.g. "mov,mp4,m4a,3gp,3g2,mj2"
  int64_t duration_ms = 0;
  int width = 0;
  int height = 0;
  std::string video_codec;  // "h264", "hevc", "vp8", "vp9", "av1", "mpeg4"
  std::string audio_codec;  // "aac", "mp3", "opus", "vorbis", or "" without audio
  bool has_audio = false;
};

// Reads `path`'s headers (a small probesize and analyzeduration) and checks them.
// Errors (all InvalidArgument, each naming the limit or the problem):
//   "empty file", "file of N bytes exceeds the M-byte maximum", "not a video: <reason>",
//   "no video stream", "duration 0.4 s is under the 1 s minimum",
//   "duration 700.0 s exceeds the 600 s maximum", "resolution 20000x20000 exceeds 4096x4096",
//   "video codec X is not supported (h264, hevc, vp8, vp9, av1, mpeg4)", likewise for audio.
// NotFound when the file does not exist. Never decodes a frame.
// Example:
//   absl::StatusOr<MediaInfo> info = Probe("/tmp/clip.mp4", Limits{});
//   if (!info.ok()) return info.status();  // "duration 0.4 s is under the 1 s minimum"
[[nodiscard]] absl::StatusOr<MediaInfo> Probe(const std::string& path, const Limits& limits);

}  // namespace foryou::media
