// Encoders, MP4 writers and JPEG stills over libavcodec / libavformat / libswscale.
#include "media/outputs.h"

#include <cstdio>

extern "C" {
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>
}

#include "absl/strings/str_cat.h"
#include "media/transcoder.h"

namespace foryou::media {

Mp4Writer::~Mp4Writer() {
  if (ctx_ == nullptr) return;
  if (ctx_->pb != nullptr) avio_closep(&ctx_->pb);
  avformat_free_context(ctx_);
}

absl::StatusOr<std::unique_ptr<Mp4Writer>> Mp4Writer::Create(const std::string& path) {
  std::unique_ptr<Mp4Writer> w(new Mp4Writer());
  w->path_ = path;
  int err = avformat_alloc_output_context2(&w->ctx_, nullptr, "mp4", path.c_str());
  if (err < 0) return InternalError("mp4 muxer", err);
  if ((err = avio_open(&w->ctx_->pb, path.c_str(), AVIO_FLAG_WRITE)) < 0) {
    return InternalError(absl::StrCat("cannot write ", path), err);
  }
  return w;
}

absl::StatusOr<int> Mp4Writer::AddStream(const AVCodecContext* enc) {
  AVStream* st = avformat_new_stream(ctx_, nullptr);
  if (st == nullptr) return absl::ResourceExhaustedError("out of memory (stream)");
  int err = avcodec_parameters_from_context(st->codecpar, enc);
  if (err < 0) return InternalError("stream parameters", err);
  st->time_base = enc->time_base;
  return st->index;
}

absl::Status Mp4Writer::Start() {
  AVDictionary* opts = nullptr;
  av_dict_set(&opts, "movflags", "+faststart", 0);
  int err = avformat_write_header(ctx_, &opts);
  av_dict_free(&opts);
  if (err < 0) return InternalError(absl::StrCat("header of ", path_), err);
  started_ = true;
  return absl::OkStatus();
}

absl::Status Mp4Writer::Write(const AVPacket* pkt, AVRational tb, int index) {
  PacketPtr copy(av_packet_clone(pkt));
  if (copy == nullptr) return absl::ResourceExhaustedError("out of memory (packet)");
  av_packet_rescale_ts(copy.get(), tb, ctx_->streams[index]->time_base);
  copy->stream_index = index;
  int err = av_interleaved_write_frame(ctx_, copy.get());
  if (err < 0) return InternalError(absl::StrCat("writing ", path_), err);
  return absl::OkStatus();
}

absl::Status Mp4Writer::Finish() {
  if (!started_ || finished_) return absl::OkStatus();
  finished_ = true;
  int err = av_write_trailer(ctx_);
  if (err < 0) return InternalError(absl::StrCat("trailer of ", path_), err);
  if ((err = avio_closep(&ctx_->pb)) < 0)
    return InternalError(absl::StrCat("closing ", path_), err);
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Encoder>> Encoder::H264(AVFilterContext* sink) {
  const AVCodec* codec = avcodec_find_encoder_by_name("libx264");
  if (codec == nullptr) return absl::FailedPreconditionError("FFmpeg has no libx264 encoder");
  auto e = std::make_unique<Encoder>();
  e->ctx_.reset(avcodec_alloc_context3(codec));
  e->pkt_.reset(av_packet_alloc());
  if (e->ctx_ == nullptr || e->pkt_ == nullptr) {
    return absl::ResourceExhaustedError("out of memory (encoder)");
  }
  AVCodecContext* c = e->ctx_.get();
  c->width = av_buffersink_get_w(sink);
  c->height = av_buffersink_get_h(sink);
  c->pix_fmt = static_cast<AVPixelFormat>(av_buffersink_get_format(sink));
  c->sample_aspect_ratio = av_buffersink_get_sample_aspect_ratio(sink);
  c->time_base = av_buffersink_get_time_base(sink);
  c->framerate = av_buffersink_get_frame_rate(sink);
  c->thread_count = kCodecThreads;
  c->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  AVDictionary* opts = nullptr;
  av_dict_set(&opts, "preset", kX264Preset, 0);
  av_dict_set_int(&opts, "crf", kX264Crf, 0);
  int err = avcodec_open2(c, codec, &opts);
  av_dict_free(&opts);
  if (err < 0) return InternalError("opening libx264", err);
  return e;
}

absl::StatusOr<std::unique_ptr<Encoder>> Encoder::Aac(AVFilterContext* sink) {
  const AVCodec* codec = avcodec_find_encoder(AV_CODEC_ID_AAC);
  if (codec == nullptr) return absl::FailedPreconditionError("FFmpeg has no AAC encoder");
  auto e = std::make_unique<Encoder>();
  e->ctx_.reset(avcodec_alloc_context3(codec));
  e->pkt_.reset(av_packet_alloc());
  if (e->ctx_ == nullptr || e->pkt_ == nullptr) {
    return absl::ResourceExhaustedError("out of memory (encoder)");
  }
  AVCodecContext* c = e->ctx_.get();
  c->sample_fmt = static_cast<AVSampleFormat>(av_buffersink_get_format(sink));
  c->sample_rate = av_buffersink_get_sample_rate(sink);
  int err = av_buffersink_get_ch_layout(sink, &c->ch_layout);
  if (err < 0) return InternalError("audio layout", err);
  c->time_base = AVRational{1, c->sample_rate};
  c->bit_rate = kAudioBitRate;
  c->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  if ((err = avcodec_open2(c, codec, nullptr)) < 0) return InternalError("opening AAC", err);
  av_buffersink_set_frame_size(sink, c->frame_size);
  return e;
}

absl::Status Encoder::Encode(AVFrame* frame) {
  if (frame != nullptr) frame->pict_type = AV_PICTURE_TYPE_NONE;
  int err = avcodec_send_frame(ctx_.get(), frame);
  if (err < 0 && err != AVERROR_EOF) return InternalError("encoding", err);
  while (true) {
    err = avcodec_receive_packet(ctx_.get(), pkt_.get());
    if (err == AVERROR(EAGAIN) || err == AVERROR_EOF) return absl::OkStatus();
    if (err < 0) return InternalError("encoding", err);
    for (const Destination& d : dests_) {
      absl::Status s = d.writer->Write(pkt_.get(), ctx_->time_base, d.stream);
      if (!s.ok()) {
        av_packet_unref(pkt_.get());
        return s;
      }
    }
    av_packet_unref(pkt_.get());
  }
}

absl::Status WriteJpeg(const AVFrame* frame, const std::string& path) {
  const AVCodec* codec = avcodec_find_encoder(AV_CODEC_ID_MJPEG);
  if (codec == nullptr) return absl::FailedPreconditionError("FFmpeg has no JPEG encoder");
  CodecPtr c(avcodec_alloc_context3(codec));
  FramePtr yuv(av_frame_alloc());
  PacketPtr pkt(av_packet_alloc());
  if (c == nullptr || yuv == nullptr || pkt == nullptr) {
    return absl::ResourceExhaustedError("out of memory (jpeg)");
  }
  c->width = frame->width;
  c->height = frame->height;
  c->pix_fmt = AV_PIX_FMT_YUVJ420P;
  c->time_base = AVRational{1, 25};
  c->flags |= AV_CODEC_FLAG_QSCALE;
  c->global_quality = FF_QP2LAMBDA * 3;
  int err = avcodec_open2(c.get(), codec, nullptr);
  if (err < 0) return InternalError("opening the JPEG encoder", err);

  yuv->width = frame->width;
  yuv->height = frame->height;
  yuv->format = AV_PIX_FMT_YUVJ420P;
  if ((err = av_frame_get_buffer(yuv.get(), 0)) < 0) return InternalError("jpeg frame", err);
  SwsPtr sws(sws_getContext(frame->width, frame->height, static_cast<AVPixelFormat>(frame->format),
                            yuv->width, yuv->height, AV_PIX_FMT_YUVJ420P, SWS_BICUBIC, nullptr,
                            nullptr, nullptr));
  if (sws == nullptr) return absl::InternalError("no conversion to JPEG's pixel format");
  sws_scale(sws.get(), frame->data, frame->linesize, 0, frame->height, yuv->data, yuv->linesize);
  yuv->quality = c->global_quality;
  yuv->pts = 0;
  if ((err = avcodec_send_frame(c.get(), yuv.get())) < 0) return InternalError("jpeg", err);
  if ((err = avcodec_send_frame(c.get(), nullptr)) < 0) return InternalError("jpeg", err);
  if ((err = avcodec_receive_packet(c.get(), pkt.get())) < 0) return InternalError("jpeg", err);

  FILE* f = fopen(path.c_str(), "wb");
  if (f == nullptr) return absl::InternalError(absl::StrCat("cannot write ", path));
  bool ok = fwrite(pkt->data, 1, pkt->size, f) == static_cast<size_t>(pkt->size);
  ok = (fclose(f) == 0) && ok;
  if (!ok) return absl::InternalError(absl::StrCat("writing ", path, " failed"));
  return absl::OkStatus();
}

}  // namespace foryou::media
