// HOW IT WORKS: every input file is demuxed once and only the streams the graph uses are
// decoded. The graph (graph_spec.h) is parsed with its open pads, a buffer source is attached to
// each input pad and a buffer sink to each output pad. The loop drains every sink (encoding what
// comes out), then reads one packet from the input whose sources the graph asked for most
// (av_buffersrc_get_nb_failed_requests, as the ffmpeg CLI does): a duet or a stitch pulls from
// both files in step instead of queueing one file's frames in memory. At the end of a file its
// decoders are flushed and its sources closed; the loop ends when every sink reports EOF.
#include "media/transcoder.h"

#include <cmath>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

extern "C" {
#include <libavfilter/buffersink.h>
#include <libavfilter/buffersrc.h>
#include <libavutil/channel_layout.h>
#include <libavutil/opt.h>
}

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "media/av_util.h"
#include "media/effects.h"
#include "media/graph_spec.h"
#include "media/outputs.h"

namespace foryou::media {
namespace {

// One decoded stream feeding one input pad of the graph.
struct Source {
  AVStream* stream = nullptr;
  CodecPtr decoder;
  AVFilterContext* buffer = nullptr;
  bool closed = false;
};

struct InputFile {
  InputPtr fmt;
  std::vector<std::unique_ptr<Source>> sources;  // indexed by stream; null when not used
  bool eof = false;
  int64_t frames = 0;
};

absl::StatusOr<InputPtr> OpenInput(const std::string& path) {
  AVFormatContext* raw = nullptr;
  int err = avformat_open_input(&raw, path.c_str(), nullptr, nullptr);
  if (err < 0) return InputError(absl::StrCat("cannot open ", path), err);
  InputPtr in(raw);
  if ((err = avformat_find_stream_info(in.get(), nullptr)) < 0) {
    return InputError(absl::StrCat("cannot read ", path), err);
  }
  return in;
}

int64_t DurationMs(const AVFormatContext* fmt) {
  return fmt->duration == AV_NOPTS_VALUE ? 0 : fmt->duration / 1000;
}

// Opens a decoder for `st` and the buffer source `pad` of `graph` matching its frames.
absl::StatusOr<std::unique_ptr<Source>> OpenSource(AVStream* st, AVFilterGraph* graph,
                                                   const std::string& pad) {
  auto s = std::make_unique<Source>();
  s->stream = st;
  const AVCodec* codec = avcodec_find_decoder(st->codecpar->codec_id);
  if (codec == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("no decoder for ", avcodec_get_name(st->codecpar->codec_id)));
  }
  s->decoder.reset(avcodec_alloc_context3(codec));
  if (s->decoder == nullptr) return absl::ResourceExhaustedError("out of memory (decoder)");
  AVCodecContext* d = s->decoder.get();
  int err = avcodec_parameters_to_context(d, st->codecpar);
  if (err < 0) return InputError("decoder parameters", err);
  d->pkt_timebase = st->time_base;
  d->thread_count = kCodecThreads;
  if ((err = avcodec_open2(d, codec, nullptr)) < 0) return InputError("opening the decoder", err);

  std::string args;
  const AVFilter* filter;
  if (st->codecpar->codec_type == AVMEDIA_TYPE_VIDEO) {
    filter = avfilter_get_by_name("buffer");
    if (d->pix_fmt == AV_PIX_FMT_NONE || d->width <= 0 || d->height <= 0) {
      return absl::InvalidArgumentError("broken input: the video format is unknown");
    }
    AVRational sar = st->codecpar->sample_aspect_ratio;
    if (sar.num <= 0 || sar.den <= 0) sar = AVRational{1, 1};
    args = absl::StrCat("video_size=", d->width, "x", d->height,
                        ":pix_fmt=", static_cast<int>(d->pix_fmt), ":time_base=", st->time_base.num,
                        "/", st->time_base.den, ":pixel_aspect=", sar.num, "/", sar.den);
    AVRational fr = st->avg_frame_rate;
    if (fr.num > 0 && fr.den > 0) absl::StrAppend(&args, ":frame_rate=", fr.num, "/", fr.den);
  } else {
    filter = avfilter_get_by_name("abuffer");
    if (d->sample_fmt == AV_SAMPLE_FMT_NONE || d->sample_rate <= 0 ||
        d->ch_layout.nb_channels <= 0) {
      return absl::InvalidArgumentError("broken input: the audio format is unknown");
    }
    if (d->ch_layout.order == AV_CHANNEL_ORDER_UNSPEC) {
      int n = d->ch_layout.nb_channels;
      av_channel_layout_uninit(&d->ch_layout);
      av_channel_layout_default(&d->ch_layout, n);
    }
    char layout[128] = {};
    av_channel_layout_describe(&d->ch_layout, layout, sizeof(layout));
    args = absl::StrCat(
        "time_base=", st->time_base.num, "/", st->time_base.den, ":sample_rate=", d->sample_rate,
        ":sample_fmt=", av_get_sample_fmt_name(d->sample_fmt), ":channel_layout=", layout);
  }
  err = avfilter_graph_create_filter(&s->buffer, filter, pad.c_str(), args.c_str(), nullptr, graph);
  if (err < 0) return InputError(absl::StrCat("input ", pad, " (", args, ")"), err);
  return s;
}

// The run's state: the graph, its sinks and what their frames go to.
class Run {
 public:
  absl::Status Execute(const TranscodeJob& job, TranscodeResult* result);

 private:
  absl::Status Setup(const TranscodeJob& job, TranscodeResult* result);
  absl::Status Decode(InputFile& in, Source& s, const AVPacket* pkt);
  absl::Status CloseInput(InputFile& in);
  absl::Status Drain();
  absl::Status OnVideo720(AVFrame* f);
  void OnVideo360(const AVFrame* f);
  void OnAudio(const AVFrame* f);

  std::string out_dir_;
  GraphPtr graph_;
  std::vector<InputFile> inputs_;
  AVFilterContext* sink720_ = nullptr;
  AVFilterContext* sink360_ = nullptr;
  AVFilterContext* sink_audio_ = nullptr;
  std::unique_ptr<Mp4Writer> mp4_720_, mp4_360_, m4a_;
  std::unique_ptr<Encoder> enc720_, enc360_, aac_;
  FramePtr frame_;
  FramePtr last720_;
  int sinks_open_ = 0;
  bool eof720_ = false, eof360_ = false, eof_audio_ = false;
  // Stills: targets in ms of output time (cover, then posters), taken from 720-line frames.
  std::vector<int64_t> still_ms_;
  std::vector<std::string> still_files_;
  size_t stills_done_ = 0;
  int64_t next_luma_ms_ = 0;
  double luma_sum_ = 0;
  int64_t luma_frames_ = 0;
  float peak_ = 0;
};

absl::Status Run::Setup(const TranscodeJob& job, TranscodeResult* result) {
  out_dir_ = job.out_dir;
  const Effect* effect = nullptr;
  if (!job.effect.empty() && (effect = FindEffect(job.effect)) == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("unknown effect \"", job.effect, "\""));
  }
  int seconds = !job.sound_input.empty() + !job.duet_input.empty() + !job.stitch_input.empty();
  if (seconds > 1) {
    return absl::InvalidArgumentError("at most one of sound_input, duet_input, stitch_input");
  }
  FORYOU_ASSIGN_OR_RETURN(result->input, Probe(job.input, job.limits));

  GraphInputs gi;
  gi.width = result->input.width;
  gi.height = result->input.height;
  gi.duration_ms = result->input.duration_ms;
  gi.effect = effect;
  std::string second;
  if (!job.sound_input.empty()) {
    gi.composition = Composition::kSound;
    second = job.sound_input;
  } else if (!job.duet_input.empty()) {
    gi.composition = Composition::kDuet;
    second = job.duet_input;
  } else if (!job.stitch_input.empty()) {
    gi.composition = Composition::kStitch;
    second = job.stitch_input;
  }
  inputs_.resize(second.empty() ? 1 : 2);
  FORYOU_ASSIGN_OR_RETURN(inputs_[0].fmt, OpenInput(job.input));
  int v0 = av_find_best_stream(inputs_[0].fmt.get(), AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  int a0 = av_find_best_stream(inputs_[0].fmt.get(), AVMEDIA_TYPE_AUDIO, -1, v0, nullptr, 0);
  if (v0 < 0) return absl::InvalidArgumentError("no video stream");
  gi.has_audio = a0 >= 0;
  int v1 = -1, a1 = -1;
  if (!second.empty()) {
    FORYOU_ASSIGN_OR_RETURN(inputs_[1].fmt, OpenInput(second));
    AVFormatContext* f = inputs_[1].fmt.get();
    v1 = av_find_best_stream(f, AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
    a1 = av_find_best_stream(f, AVMEDIA_TYPE_AUDIO, -1, v1 >= 0 ? v1 : -1, nullptr, 0);
    if (v1 >= 0 && (f->streams[v1]->disposition & AV_DISPOSITION_ATTACHED_PIC)) v1 = -1;
    gi.second_has_video = v1 >= 0;
    gi.second_has_audio = a1 >= 0;
    gi.second_sample_rate = a1 >= 0 ? f->streams[a1]->codecpar->sample_rate : 0;
    gi.second_duration_ms = DurationMs(f);
  }
  FORYOU_ASSIGN_OR_RETURN(GraphSpec spec, BuildGraphSpec(gi));

  graph_.reset(avfilter_graph_alloc());
  if (graph_ == nullptr) return absl::ResourceExhaustedError("out of memory (graph)");
  graph_->nb_threads = kCodecThreads;
  // Sources and sinks first, then the parsed graph is linked to them by pad name.
  struct Pad {
    int file;
    int stream;
    const char* name;
  };
  std::vector<Pad> pads = {{0, v0, "v0"}};
  if (spec.uses_main_audio) pads.push_back({0, a0, "a0"});
  if (spec.uses_second_video) pads.push_back({1, v1, "v1"});
  if (spec.uses_second_audio) pads.push_back({1, a1, "a1"});
  for (InputFile& in : inputs_) {
    in.sources.resize(in.fmt->nb_streams);
    for (unsigned i = 0; i < in.fmt->nb_streams; ++i) in.fmt->streams[i]->discard = AVDISCARD_ALL;
  }
  AVFilterInOut* ins = nullptr;  // the graph's open input pads, then its open output pads
  AVFilterInOut* outs = nullptr;
  int err = avfilter_graph_parse2(graph_.get(), spec.description.c_str(), &ins, &outs);
  struct InOutFree {
    AVFilterInOut** a;
    AVFilterInOut** b;
    ~InOutFree() {
      avfilter_inout_free(a);
      avfilter_inout_free(b);
    }
  } free_inouts{&ins, &outs};
  if (err < 0) return InternalError("filter graph", err);
  for (AVFilterInOut* io = ins; io != nullptr; io = io->next) {
    const Pad* pad = nullptr;
    for (const Pad& p : pads) {
      if (std::string(io->name) == p.name) pad = &p;
    }
    if (pad == nullptr) return absl::InternalError(absl::StrCat("graph pad ", io->name));
    InputFile& in = inputs_[pad->file];
    AVStream* st = in.fmt->streams[pad->stream];
    st->discard = AVDISCARD_DEFAULT;
    FORYOU_ASSIGN_OR_RETURN(in.sources[pad->stream], OpenSource(st, graph_.get(), pad->name));
    if ((err = avfilter_link(in.sources[pad->stream]->buffer, 0, io->filter_ctx, io->pad_idx)) <
        0) {
      return InternalError("linking the graph", err);
    }
  }
  for (AVFilterInOut* io = outs; io != nullptr; io = io->next) {
    std::string name = io->name;
    bool audio = name == "oa";
    AVFilterContext* sink = nullptr;
    err = avfilter_graph_create_filter(&sink,
                                       avfilter_get_by_name(audio ? "abuffersink" : "buffersink"),
                                       name.c_str(), nullptr, nullptr, graph_.get());
    if (err < 0) return InternalError("graph output", err);
    if ((err = avfilter_link(io->filter_ctx, io->pad_idx, sink, 0)) < 0) {
      return InternalError("linking the graph", err);
    }
    if (name == "o720") sink720_ = sink;
    if (name == "o360") sink360_ = sink;
    if (audio) sink_audio_ = sink;
  }
  if ((err = avfilter_graph_config(graph_.get(), nullptr)) < 0) {
    return InputError("configuring the filter graph", err);
  }
  if (sink720_ == nullptr || sink360_ == nullptr) return absl::InternalError("graph outputs");

  FORYOU_ASSIGN_OR_RETURN(enc720_, Encoder::H264(sink720_));
  FORYOU_ASSIGN_OR_RETURN(enc360_, Encoder::H264(sink360_));
  FORYOU_ASSIGN_OR_RETURN(mp4_720_, Mp4Writer::Create(out_dir_ + "/720.mp4"));
  FORYOU_ASSIGN_OR_RETURN(mp4_360_, Mp4Writer::Create(out_dir_ + "/360.mp4"));
  FORYOU_ASSIGN_OR_RETURN(int s720, mp4_720_->AddStream(enc720_->context()));
  FORYOU_ASSIGN_OR_RETURN(int s360, mp4_360_->AddStream(enc360_->context()));
  enc720_->AddDestination(mp4_720_.get(), s720);
  enc360_->AddDestination(mp4_360_.get(), s360);
  sinks_open_ = 2;
  if (sink_audio_ != nullptr) {
    ++sinks_open_;
    FORYOU_ASSIGN_OR_RETURN(aac_, Encoder::Aac(sink_audio_));
    FORYOU_ASSIGN_OR_RETURN(int a720, mp4_720_->AddStream(aac_->context()));
    FORYOU_ASSIGN_OR_RETURN(int a360, mp4_360_->AddStream(aac_->context()));
    aac_->AddDestination(mp4_720_.get(), a720);
    aac_->AddDestination(mp4_360_.get(), a360);
    // The clip's own audio: not a sound it borrowed, nor a stitched original's.
    if (gi.composition == Composition::kNone || gi.composition == Composition::kDuet) {
      FORYOU_ASSIGN_OR_RETURN(m4a_, Mp4Writer::Create(out_dir_ + "/sound.m4a"));
      FORYOU_ASSIGN_OR_RETURN(int a, m4a_->AddStream(aac_->context()));
      aac_->AddDestination(m4a_.get(), a);
      result->sound = "sound.m4a";
    }
  }
  FORYOU_RETURN_IF_ERROR(mp4_720_->Start());
  FORYOU_RETURN_IF_ERROR(mp4_360_->Start());
  if (m4a_ != nullptr) FORYOU_RETURN_IF_ERROR(m4a_->Start());

  const int64_t d = spec.duration_ms;
  still_ms_ = {d / 10, d / 4, d / 2, d * 3 / 4};
  still_files_ = {"cover.jpg", "poster1.jpg", "poster2.jpg", "poster3.jpg"};
  frame_.reset(av_frame_alloc());
  if (frame_ == nullptr) return absl::ResourceExhaustedError("out of memory (frame)");
  return absl::OkStatus();
}

absl::Status Run::Decode(InputFile& in, Source& s, const AVPacket* pkt) {
  // A damaged packet is skipped, as players do; a file with no decodable video fails at the end.
  int err = avcodec_send_packet(s.decoder.get(), pkt);
  if (err < 0 && err != AVERROR_INVALIDDATA && err != AVERROR_EOF && err != AVERROR(EAGAIN)) {
    return InputError("decoding", err);
  }
  while (true) {
    err = avcodec_receive_frame(s.decoder.get(), frame_.get());
    if (err == AVERROR(EAGAIN) || err == AVERROR_EOF) return absl::OkStatus();
    if (err == AVERROR_INVALIDDATA) continue;
    if (err < 0) return InputError("decoding", err);
    frame_->pts = frame_->best_effort_timestamp;
    if (s.stream->codecpar->codec_type == AVMEDIA_TYPE_VIDEO) ++in.frames;
    if (frame_->ch_layout.order == AV_CHANNEL_ORDER_UNSPEC && frame_->ch_layout.nb_channels > 0) {
      // The source was declared with the default layout for this many channels (OpenSource).
      int n = frame_->ch_layout.nb_channels;
      av_channel_layout_uninit(&frame_->ch_layout);
      av_channel_layout_default(&frame_->ch_layout, n);
    }
    err = av_buffersrc_add_frame_flags(s.buffer, frame_.get(), AV_BUFFERSRC_FLAG_PUSH);
    av_frame_unref(frame_.get());
    if (err < 0 && err != AVERROR_EOF) return InputError("filtering", err);
  }
}

absl::Status Run::CloseInput(InputFile& in) {
  in.eof = true;
  for (auto& s : in.sources) {
    if (s == nullptr || s->closed) continue;
    FORYOU_RETURN_IF_ERROR(Decode(in, *s, nullptr));
    s->closed = true;
    int err = av_buffersrc_close(s->buffer, AV_NOPTS_VALUE, AV_BUFFERSRC_FLAG_PUSH);
    if (err < 0 && err != AVERROR_EOF) return InternalError("closing an input", err);
  }
  return absl::OkStatus();
}

absl::Status Run::OnVideo720(AVFrame* f) {
  const int64_t ms = av_rescale_q(f->pts, av_buffersink_get_time_base(sink720_), {1, 1000});
  while (stills_done_ < still_ms_.size() && ms >= still_ms_[stills_done_]) {
    FORYOU_RETURN_IF_ERROR(WriteJpeg(f, out_dir_ + "/" + still_files_[stills_done_]));
    ++stills_done_;
  }
  if (last720_ == nullptr) last720_.reset(av_frame_alloc());
  if (last720_ == nullptr) return absl::ResourceExhaustedError("out of memory (frame)");
  av_frame_unref(last720_.get());
  if (av_frame_ref(last720_.get(), f) < 0) return absl::ResourceExhaustedError("frame ref");
  return enc720_->Encode(f);
}

void Run::OnVideo360(const AVFrame* f) {
  const int64_t ms = av_rescale_q(f->pts, av_buffersink_get_time_base(sink360_), {1, 1000});
  if (ms < next_luma_ms_) return;
  next_luma_ms_ = ms + 1000;
  uint64_t sum = 0;
  for (int y = 0; y < f->height; ++y) {
    const uint8_t* row = f->data[0] + static_cast<ptrdiff_t>(y) * f->linesize[0];
    for (int x = 0; x < f->width; ++x) sum += row[x];
  }
  luma_sum_ += static_cast<double>(sum) / (static_cast<double>(f->width) * f->height);
  ++luma_frames_;
}

void Run::OnAudio(const AVFrame* f) {
  for (int ch = 0; ch < f->ch_layout.nb_channels; ++ch) {
    const float* s = reinterpret_cast<const float*>(f->extended_data[ch]);
    for (int i = 0; i < f->nb_samples; ++i) peak_ = std::max(peak_, std::fabs(s[i]));
  }
}

absl::Status Run::Drain() {
  struct SinkRef {
    AVFilterContext* sink;
    bool* eof;
    Encoder* enc;
  };
  SinkRef sinks[] = {{sink720_, &eof720_, enc720_.get()},
                     {sink360_, &eof360_, enc360_.get()},
                     {sink_audio_, &eof_audio_, aac_.get()}};
  for (SinkRef& r : sinks) {
    if (r.sink == nullptr || *r.eof) continue;
    while (true) {
      int err = av_buffersink_get_frame(r.sink, frame_.get());
      if (err == AVERROR(EAGAIN)) break;
      if (err == AVERROR_EOF) {
        *r.eof = true;
        --sinks_open_;
        FORYOU_RETURN_IF_ERROR(r.enc->Encode(nullptr));
        break;
      }
      if (err < 0) return InputError("filtering", err);
      absl::Status s;
      if (r.sink == sink720_) {
        s = OnVideo720(frame_.get());
      } else {
        if (r.sink == sink360_) OnVideo360(frame_.get());
        if (r.sink == sink_audio_) OnAudio(frame_.get());
        s = r.enc->Encode(frame_.get());
      }
      av_frame_unref(frame_.get());
      FORYOU_RETURN_IF_ERROR(s);
    }
  }
  return absl::OkStatus();
}

absl::Status Run::Execute(const TranscodeJob& job, TranscodeResult* result) {
  FORYOU_RETURN_IF_ERROR(Setup(job, result));
  PacketPtr pkt(av_packet_alloc());
  if (pkt == nullptr) return absl::ResourceExhaustedError("out of memory (packet)");
  while (sinks_open_ > 0) {
    FORYOU_RETURN_IF_ERROR(Drain());
    if (sinks_open_ == 0) break;
    // The input the graph waits on most; the first open one when none is asked for yet.
    InputFile* next = nullptr;
    unsigned most = 0;
    for (InputFile& in : inputs_) {
      if (in.eof) continue;
      unsigned asked = 0;
      for (auto& s : in.sources) {
        if (s != nullptr) asked += av_buffersrc_get_nb_failed_requests(s->buffer);
      }
      if (next == nullptr || asked > most) {
        next = &in;
        most = asked;
      }
    }
    if (next == nullptr) {
      // Every input is closed and drained but a sink is still open: the graph is stuck.
      int err = avfilter_graph_request_oldest(graph_.get());
      if (err == AVERROR_EOF) {
        FORYOU_RETURN_IF_ERROR(Drain());
        break;
      }
      if (err < 0 && err != AVERROR(EAGAIN)) return InputError("filtering", err);
      continue;
    }
    int err = av_read_frame(next->fmt.get(), pkt.get());
    if (err < 0) {
      // EOF, or a truncated or damaged file: what was read so far is the clip.
      FORYOU_RETURN_IF_ERROR(CloseInput(*next));
      continue;
    }
    Source* s = pkt->stream_index < static_cast<int>(next->sources.size())
                    ? next->sources[pkt->stream_index].get()
                    : nullptr;
    absl::Status st = s != nullptr && !s->closed ? Decode(*next, *s, pkt.get()) : absl::OkStatus();
    av_packet_unref(pkt.get());
    FORYOU_RETURN_IF_ERROR(st);
  }
  for (InputFile& in : inputs_) {
    if (in.frames == 0 && in.sources.size() > 0) {
      bool has_video = false;
      for (auto& s : in.sources) {
        has_video |= s != nullptr && s->stream->codecpar->codec_type == AVMEDIA_TYPE_VIDEO;
      }
      if (has_video) return absl::InvalidArgumentError("broken input: no video frame decodes");
    }
  }
  if (last720_ == nullptr) return absl::InvalidArgumentError("broken input: no video frames");
  for (; stills_done_ < still_ms_.size(); ++stills_done_) {
    FORYOU_RETURN_IF_ERROR(WriteJpeg(last720_.get(), out_dir_ + "/" + still_files_[stills_done_]));
  }
  FORYOU_RETURN_IF_ERROR(mp4_720_->Finish());
  FORYOU_RETURN_IF_ERROR(mp4_360_->Finish());
  if (m4a_ != nullptr) FORYOU_RETURN_IF_ERROR(m4a_->Finish());

  result->cover = still_files_[0];
  result->posters.assign(still_files_.begin() + 1, still_files_.end());
  result->has_audio = aac_ != nullptr;
  result->mean_luma = luma_frames_ > 0 ? luma_sum_ / luma_frames_ : 0;
  result->audio_peak_dbfs = peak_ > 0 ? std::max(TranscodeResult::kSilenceDbfs,
                                                 20.0 * std::log10(static_cast<double>(peak_)))
                                      : TranscodeResult::kSilenceDbfs;
  result->audio_peak_dbfs = std::min(result->audio_peak_dbfs, 0.0);
  for (const auto& [h, enc] : {std::pair{720, enc720_.get()}, std::pair{360, enc360_.get()}}) {
    result->renditions.push_back({h, enc->context()->width, absl::StrCat(h, ".mp4")});
  }
  result->width = enc720_->context()->width;
  result->height = enc720_->context()->height;
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<TranscodeResult> Transcode(const TranscodeJob& job) {
  std::error_code ec;
  if (!std::filesystem::is_directory(job.out_dir, ec)) {
    return absl::FailedPreconditionError(absl::StrCat("no output directory ", job.out_dir));
  }
  TranscodeResult result;
  {
    Run run;
    FORYOU_RETURN_IF_ERROR(run.Execute(job, &result));
  }
  // The written rendition's own duration (after effects and compositions).
  Limits any;
  any.min_duration_ms = 0;
  any.max_duration_ms = INT64_MAX;
  any.max_bytes = INT64_MAX;
  any.max_width = any.max_height = 1 << 20;
  absl::StatusOr<MediaInfo> out = Probe(job.out_dir + "/720.mp4", any);
  if (!out.ok())
    return absl::InternalError(absl::StrCat("the 720 rendition: ", out.status().message()));
  result.duration_ms = out->duration_ms;
  return result;
}

}  // namespace foryou::media
