// Perceptual frame hashes of a video: frames sampled about once a second, each reduced to a
// 64-bit DCT sign hash that survives re-encoding, scaling, a small crop and a text overlay, and
// whose mirror image is a fixed bit mask away (docs/design/moderation_dedup.md).
//
// Example:
//   absl::StatusOr<std::vector<uint64_t>> hashes = HashVideoFrames("/tmp/clip.mp4", {});
//   if (!hashes.ok()) return hashes.status();
//   index.Add("v42", *hashes);
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "moderation/dct_hash_bits.h"
#include "opencv2/core.hpp"

namespace foryou::moderation {

struct FrameSampleOptions {
  int64_t interval_ms = 1000;  // one frame per interval, the first at offset_ms
  int64_t offset_ms = 500;     // away from the fades and black frames of a clip's first instant
  int max_frames = 4096;       // sampling stops after this many frames (a 68-minute video)
};

// The 64-bit DCT sign hash of `image` (BGR, BGRA or grey, any size > 0): the frame in grey,
// resized to 32x32, its 2-D DCT, and one bit per coefficient of the 8x8 lowest frequencies,
// bit (8 * v + u) = coefficient(v, u) > 0 (u horizontal, v vertical). Bit 0 (the mean) is 0.
uint64_t DctHash(const cv::Mat& image);

// How much detail `image` has for DctHash: the mean magnitude of the 63 AC coefficients it
// reads, in grey levels. A flat frame (black, one colour) scores near 0 and its hash is noise.
double DctHashDetail(const cv::Mat& image);

// Frames below this detail are not hashed (their hashes would match any other flat frame).
inline constexpr double kMinDctHashDetail = 0.05;

// Calls `visit(frame, pts_ms)` for frames of the video at `path` sampled per `options`
// (the first decoded frame at or after each sample time). Fails with NotFound if the file
// does not exist and InvalidArgument if it cannot be opened or decoded as a video or has no
// frame at all.
absl::Status ForEachSampledFrame(const std::string& path, const FrameSampleOptions& options,
                                 const std::function<void(const cv::Mat&, int64_t)>& visit);

// The DctHash of each sampled frame of the video at `path` that has enough detail, in time
// order (an empty list if none has). Errors as ForEachSampledFrame.
absl::StatusOr<std::vector<uint64_t>> HashVideoFrames(const std::string& path,
                                                      const FrameSampleOptions& options);

}  // namespace foryou::moderation
