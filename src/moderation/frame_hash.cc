// Frame sampling through OpenCV's videoio (FFmpeg underneath) and the DCT sign hash.
//
// HOW THE HASH WORKS. The frame, in grey and area-resized to 32x32, goes through a 2-D DCT-II;
// the 8x8 block of lowest frequencies holds the frame's coarse layout. Each bit records the
// sign of one coefficient. pHash (OpenCV's img_hash::PHash) compares these coefficients to
// their median instead; the sign is what makes the mirror cheap: the DCT-II of a row read
// backwards is C(u) * (-1)^u, so a left-right mirror flips exactly the bits of odd horizontal
// frequency (kDctMirrorMask) and the index matches mirrored copies without a second hash.
#include "moderation/frame_hash.h"

#include <cmath>
#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "opencv2/imgproc.hpp"
#include "opencv2/videoio.hpp"

namespace foryou::moderation {
namespace {

// The 8x8 low-frequency block of the 32x32 DCT of `image` in grey levels.
cv::Mat LowFrequencies(const cv::Mat& image) {
  cv::Mat grey;
  if (image.channels() == 3) {
    cv::cvtColor(image, grey, cv::COLOR_BGR2GRAY);
  } else if (image.channels() == 4) {
    cv::cvtColor(image, grey, cv::COLOR_BGRA2GRAY);
  } else {
    grey = image;
  }
  cv::Mat small, as_float, coefficients;
  cv::resize(grey, small, cv::Size(32, 32), 0, 0, cv::INTER_AREA);
  small.convertTo(as_float, CV_32F);
  cv::dct(as_float, coefficients);
  return coefficients(cv::Rect(0, 0, 8, 8)).clone();
}

}  // namespace

uint64_t DctHash(const cv::Mat& image) {
  const cv::Mat low = LowFrequencies(image);
  uint64_t hash = 0;
  for (int v = 0; v < 8; ++v) {
    for (int u = 0; u < 8; ++u) {
      if ((u != 0 || v != 0) && low.at<float>(v, u) > 0.0f) hash |= uint64_t{1} << (8 * v + u);
    }
  }
  return hash;
}

double DctHashDetail(const cv::Mat& image) {
  const cv::Mat low = LowFrequencies(image);
  double sum = 0;
  for (int v = 0; v < 8; ++v) {
    for (int u = 0; u < 8; ++u) {
      if (u != 0 || v != 0) sum += std::fabs(low.at<float>(v, u));
    }
  }
  // The orthonormal 32x32 DCT scales a grey-level pattern by 32; report grey levels.
  return sum / 63.0 / 32.0;
}

absl::Status ForEachSampledFrame(const std::string& path, const FrameSampleOptions& options,
                                 const std::function<void(const cv::Mat&, int64_t)>& visit) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return absl::NotFoundError(absl::StrCat("no such video file: ", path));
  }
  if (options.interval_ms <= 0 || options.offset_ms < 0 || options.max_frames <= 0) {
    return absl::InvalidArgumentError("frame sampling: interval_ms must be > 0, offset_ms >= 0, "
                                      "max_frames > 0");
  }
  cv::VideoCapture capture;
  try {
    if (!capture.open(path, cv::CAP_FFMPEG) || !capture.isOpened()) {
      return absl::InvalidArgumentError(absl::StrCat("cannot open as a video: ", path));
    }
    const double fps = capture.get(cv::CAP_PROP_FPS);
    int64_t next_ms = options.offset_ms;
    int sampled = 0;
    int64_t decoded = 0;
    cv::Mat frame;
    while (sampled < options.max_frames && capture.grab()) {
      // The container's timestamp when it has one; else the frame count at the stream's rate.
      double pts_ms = capture.get(cv::CAP_PROP_POS_MSEC);
      if (!(pts_ms > 0) && fps > 0) pts_ms = 1000.0 * static_cast<double>(decoded) / fps;
      ++decoded;
      if (pts_ms + 0.5 < static_cast<double>(next_ms)) continue;
      if (!capture.retrieve(frame) || frame.empty()) continue;
      visit(frame, static_cast<int64_t>(pts_ms));
      ++sampled;
      while (static_cast<double>(next_ms) <= pts_ms + 0.5) next_ms += options.interval_ms;
    }
    if (decoded == 0) {
      return absl::InvalidArgumentError(absl::StrCat("no video frame could be decoded: ", path));
    }
    // A clip shorter than offset_ms still gets its last frame's hash.
    if (sampled == 0 && capture.set(cv::CAP_PROP_POS_FRAMES, 0)) {
      cv::Mat last;
      while (capture.read(frame)) frame.copyTo(last);
      if (!last.empty()) visit(last, 0);
    }
  } catch (const cv::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("decoding ", path, ": ", e.what()));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<uint64_t>> HashVideoFrames(const std::string& path,
                                                      const FrameSampleOptions& options) {
  std::vector<uint64_t> hashes;
  absl::Status s = ForEachSampledFrame(path, options, [&](const cv::Mat& frame, int64_t) {
    if (DctHashDetail(frame) >= kMinDctHashDetail) hashes.push_back(DctHash(frame));
  });
  if (!s.ok()) return s;
  return hashes;
}

}  // namespace foryou::moderation
