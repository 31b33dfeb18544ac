// Probe: avformat_open_input + avformat_find_stream_info over the first 2 MB / 2 s, then the
// limit checks in the order a creator can act on them (size, type, duration, resolution, codec).
#include "media/probe.h"

#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "media/av_util.h"

namespace foryou::media {
namespace {

constexpr std::array<const char*, 6> kVideoCodecs = {"h264", "hevc", "vp8", "vp9", "av1", "mpeg4"};
constexpr std::array<const char*, 4> kAudioCodecs = {"aac", "mp3", "opus", "vorbis"};

template <size_t N>
bool Contains(const std::array<const char*, N>& list, const std::string& name) {
  return std::any_of(list.begin(), list.end(), [&](const char* c) { return name == c; });
}

// Demuxers that read still images: a picture is not a video, whatever stream it declares.
bool IsImageDemuxer(const char* name) {
  std::string n = name;
  return n.find("image2") != std::string::npos || n.find("_pipe") != std::string::npos ||
         n == "gif" || n == "apng" || n == "webp";
}

std::string Seconds(int64_t ms) { return absl::StrFormat("%.1f", ms / 1000.0); }

}  // namespace

absl::StatusOr<MediaInfo> Probe(const std::string& path, const Limits& limits) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return absl::NotFoundError(absl::StrCat("no such file: ", path));
    return absl::InvalidArgumentError(absl::StrCat("cannot read ", path, ": ", strerror(errno)));
  }
  if (!S_ISREG(st.st_mode)) return absl::InvalidArgumentError("not a video: not a regular file");
  MediaInfo info;
  info.size_bytes = st.st_size;
  if (info.size_bytes == 0) return absl::InvalidArgumentError("empty file");
  if (info.size_bytes > limits.max_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "file of ", info.size_bytes, " bytes exceeds the ", limits.max_bytes, "-byte maximum"));
  }

  AVDictionary* opts = nullptr;
  av_dict_set(&opts, "probesize", "2000000", 0);
  av_dict_set(&opts, "analyzeduration", "2000000", 0);
  AVFormatContext* raw = nullptr;
  int err = avformat_open_input(&raw, path.c_str(), nullptr, &opts);
  av_dict_free(&opts);
  if (err < 0) return InputError("not a video", err);
  InputPtr in(raw);
  if ((err = avformat_find_stream_info(in.get(), nullptr)) < 0) {
    return InputError("not a video", err);
  }
  info.container = in->iformat->name;
  if (IsImageDemuxer(in->iformat->name)) {
    return absl::InvalidArgumentError(absl::StrCat("not a video: an image (", info.container, ")"));
  }
  int v = av_find_best_stream(in.get(), AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  if (v < 0) return absl::InvalidArgumentError("no video stream");
  const AVStream* vs = in->streams[v];
  if (vs->disposition & AV_DISPOSITION_ATTACHED_PIC) {
    return absl::InvalidArgumentError("no video stream (only a cover picture)");
  }
  int a = av_find_best_stream(in.get(), AVMEDIA_TYPE_AUDIO, -1, v, nullptr, 0);

  int64_t duration_us = in->duration;
  if (duration_us == AV_NOPTS_VALUE && vs->duration != AV_NOPTS_VALUE) {
    duration_us = av_rescale_q(vs->duration, vs->time_base, AV_TIME_BASE_Q);
  }
  if (duration_us == AV_NOPTS_VALUE || duration_us < 0) {
    return absl::InvalidArgumentError("not a video: the duration is unknown");
  }
  info.duration_ms = duration_us / 1000;
  if (info.duration_ms < limits.min_duration_ms) {
    return absl::InvalidArgumentError(absl::StrCat("duration ", Seconds(info.duration_ms),
                                                   " s is under the ",
                                                   limits.min_duration_ms / 1000.0, " s minimum"));
  }
  if (info.duration_ms > limits.max_duration_ms) {
    return absl::InvalidArgumentError(absl::StrCat("duration ", Seconds(info.duration_ms),
                                                   " s exceeds the ",
                                                   limits.max_duration_ms / 1000.0, " s maximum"));
  }
  info.width = vs->codecpar->width;
  info.height = vs->codecpar->height;
  if (info.width <= 0 || info.height <= 0) {
    return absl::InvalidArgumentError("not a video: the resolution is unknown");
  }
  if (info.width > limits.max_width || info.height > limits.max_height) {
    return absl::InvalidArgumentError(absl::StrCat("resolution ", info.width, "x", info.height,
                                                   " exceeds ", limits.max_width, "x",
                                                   limits.max_height));
  }
  info.video_codec = avcodec_get_name(vs->codecpar->codec_id);
  if (!Contains(kVideoCodecs, info.video_codec)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "video codec ", info.video_codec, " is not supported (h264, hevc, vp8, vp9, av1, mpeg4)"));
  }
  if (a >= 0) {
    info.has_audio = true;
    info.audio_codec = avcodec_get_name(in->streams[a]->codecpar->codec_id);
    if (!Contains(kAudioCodecs, info.audio_codec)) {
      return absl::InvalidArgumentError(absl::StrCat("audio codec ", info.audio_codec,
                                                     " is not supported (aac, mp3, opus, vorbis)"));
    }
  }
  return info;
}

}  // namespace foryou::media
