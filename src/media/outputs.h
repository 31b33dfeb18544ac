// The transcoder's outputs: encoders (libx264, AAC), MP4 muxers with the index first, and JPEG
// stills. Each class owns its FFmpeg objects; none is thread-safe (the transcoder is one thread).
#pragma once

#include <memory>
#include <string>
#include <vector>

extern "C" {
#include <libavfilter/buffersink.h>
}

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "media/av_util.h"

namespace foryou::media {

// An MP4 (or M4A) file being written. Streams are added, then Start() writes the header;
// Finish() the trailer, and with movflags +faststart moves the index (moov) before the media.
class Mp4Writer {
 public:
  ~Mp4Writer();
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Mp4Writer>> Create(const std::string& path);
  // Adds a stream for `enc`'s packets; returns its index.
  [[nodiscard]] absl::StatusOr<int> AddStream(const AVCodecContext* enc);
  [[nodiscard]] absl::Status Start();
  // Writes a copy of `pkt` (in `tb`) to stream `index`.
  [[nodiscard]] absl::Status Write(const AVPacket* pkt, AVRational tb, int index);
  [[nodiscard]] absl::Status Finish();

 private:
  Mp4Writer() = default;
  std::string path_;
  AVFormatContext* ctx_ = nullptr;
  bool started_ = false;
  bool finished_ = false;
};

// An encoder whose packets go to one or more (writer, stream) pairs.
class Encoder {
 public:
  // libx264 for the frames of `sink` (a video buffersink of a configured graph).
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Encoder>> H264(AVFilterContext* sink);
  // AAC at the graph's audio format; sets `sink`'s frame size to the encoder's.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Encoder>> Aac(AVFilterContext* sink);

  const AVCodecContext* context() const { return ctx_.get(); }
  void AddDestination(Mp4Writer* writer, int stream) { dests_.push_back({writer, stream}); }
  // Encodes `frame` (nullptr flushes) and writes every packet that comes out.
  [[nodiscard]] absl::Status Encode(AVFrame* frame);

 private:
  struct Destination {
    Mp4Writer* writer;
    int stream;
  };
  CodecPtr ctx_;
  PacketPtr pkt_;
  std::vector<Destination> dests_;
};

// Writes `frame` (any pixel format libswscale reads) as a JPEG file at `path`.
[[nodiscard]] absl::Status WriteJpeg(const AVFrame* frame, const std::string& path);

}  // namespace foryou::media
