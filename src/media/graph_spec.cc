// HOW IT WORKS: the clip's video [v0] goes through the effect to [vm]; the composition turns
// [vm] (and [v1]) into [vc]: a duet stacks both at one height side by side (the original on the
// right, as long as the shorter one), a stitch concatenates the original's first <= 5 s with the
// clip at the clip's size. [vc] is split once and scaled to 720 and 360 lines. The audio [ac] is
// the clip's (through the effect), the second input's (sound: trimmed to the clip and looped if
// shorter), or for a stitch the two parts concatenated, silence standing in for a missing track.
#include "media/graph_spec.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace foryou::media {
namespace {

std::string AudioFormat() {
  return absl::StrCat("aresample=", kAudioSampleRate,
                      ",aformat=sample_fmts=fltp:channel_layouts=stereo");
}

std::string Silence(int64_t ms) {
  return absl::StrFormat("anullsrc=r=%d:cl=stereo,atrim=duration=%.3f", kAudioSampleRate,
                         ms / 1000.0);
}

int Even(int x) { return std::max(2, x - x % 2); }

}  // namespace

absl::StatusOr<GraphSpec> BuildGraphSpec(const GraphInputs& in) {
  GraphSpec g;
  const double speed = in.effect != nullptr ? in.effect->speed : 1.0;
  const int64_t clip_ms = static_cast<int64_t>(in.duration_ms / speed);
  std::string video_fx = in.effect != nullptr ? in.effect->video_filter : "null";
  std::string audio_fx =
      in.effect != nullptr && !in.effect->audio_filter.empty() ? in.effect->audio_filter + "," : "";
  std::string d = absl::StrCat("[v0]", video_fx, "[vm];");
  g.duration_ms = clip_ms;

  switch (in.composition) {
    case Composition::kNone:
      absl::StrAppend(&d, "[vm]null[vc];");
      if (in.has_audio) {
        g.uses_main_audio = g.has_audio = true;
        absl::StrAppend(&d, "[a0]", audio_fx, "anull[ac];");
      }
      break;
    case Composition::kSound: {
      if (!in.second_has_audio) return absl::InvalidArgumentError("sound input has no audio");
      g.uses_second_audio = g.has_audio = true;
      // aloop keeps the samples it loops in memory: at most the clip's length of them.
      int64_t loop_samples =
          std::min<int64_t>(int64_t{in.second_sample_rate} * (clip_ms / 1000 + 1), 1 << 30);
      absl::StrAppend(&d, "[vm]null[vc];");
      absl::StrAppendFormat(&d,
                            "[a1]atrim=duration=%.3f,asetpts=PTS-STARTPTS,aloop=loop=-1:size=%d,"
                            "atrim=duration=%.3f,asetpts=N/SR/TB[ac];",
                            clip_ms / 1000.0, loop_samples, clip_ms / 1000.0);
      break;
    }
    case Composition::kDuet:
      if (!in.second_has_video) return absl::InvalidArgumentError("duet input has no video");
      g.uses_second_video = true;
      g.duration_ms = std::min(clip_ms, in.second_duration_ms);
      absl::StrAppend(&d,
                      "[vm]scale=-2:720,setsar=1,format=yuv420p[vl];"
                      "[v1]scale=-2:720,setsar=1,format=yuv420p[vr];"
                      "[vl][vr]hstack=inputs=2:shortest=1[vc];");
      if (in.has_audio) {
        g.uses_main_audio = g.has_audio = true;
        absl::StrAppendFormat(&d, "[a0]%satrim=duration=%.3f[ac];", audio_fx,
                              g.duration_ms / 1000.0);
      }
      break;
    case Composition::kStitch: {
      if (!in.second_has_video) return absl::InvalidArgumentError("stitch input has no video");
      g.uses_second_video = true;
      const int64_t head_ms = std::min(kStitchMaxMs, in.second_duration_ms);
      g.duration_ms = head_ms + clip_ms;
      const int w = Even(in.width), h = Even(in.height);
      absl::StrAppendFormat(
          &d,
          "[v1]trim=duration=%.3f,setpts=PTS-STARTPTS,scale=%d:%d:force_original_aspect_ratio="
          "decrease,pad=%d:%d:(ow-iw)/2:(oh-ih)/2,setsar=1,fps=30,format=yuv420p[vh];"
          "[vm]scale=%d:%d,setsar=1,fps=30,format=yuv420p[vt];",
          head_ms / 1000.0, w, h, w, h, w, h);
      if (in.has_audio || in.second_has_audio) {
        g.has_audio = true;
        if (in.second_has_audio) {
          g.uses_second_audio = true;
          absl::StrAppendFormat(&d, "[a1]atrim=duration=%.3f,asetpts=PTS-STARTPTS,%s[ah];",
                                head_ms / 1000.0, AudioFormat());
        } else {
          absl::StrAppend(&d, Silence(head_ms), "[ah];");
        }
        if (in.has_audio) {
          g.uses_main_audio = true;
          absl::StrAppend(&d, "[a0]", audio_fx, AudioFormat(), "[at];");
        } else {
          absl::StrAppend(&d, Silence(clip_ms), "[at];");
        }
        absl::StrAppend(&d, "[vh][ah][vt][at]concat=n=2:v=1:a=1[vc][ac];");
      } else {
        absl::StrAppend(&d, "[vh][vt]concat=n=2:v=1:a=0[vc];");
      }
      break;
    }
  }
  absl::StrAppend(&d,
                  "[vc]split=2[s720][s360];"
                  "[s720]scale=-2:720,format=yuv420p[o720];"
                  "[s360]scale=-2:360,format=yuv420p[o360]");
  if (g.has_audio) absl::StrAppend(&d, ";[ac]", AudioFormat(), "[oa]");
  g.description = std::move(d);
  return g;
}

}  // namespace foryou::media
