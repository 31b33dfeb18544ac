// The text of the transcoder's libavfilter graph: effect, composition (sound, duet, stitch), a
// split into the two renditions, and the audio resampled to the AAC encoder's format. Pure
// string building, so the graph for every combination is testable without decoding anything.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "media/effects.h"

namespace foryou::media {

// The second input of a composition.
enum class Composition { kNone, kSound, kDuet, kStitch };

// What the graph is built from. Input pads: [v0] [a0] (the clip), [v1] [a1] (the second input).
struct GraphInputs {
  int width = 0;  // the clip's
  int height = 0;
  int64_t duration_ms = 0;  // the clip's, before the effect
  bool has_audio = false;
  const Effect* effect = nullptr;  // nullptr: none
  Composition composition = Composition::kNone;
  bool second_has_video = false;
  bool second_has_audio = false;
  int second_sample_rate = 0;
  int64_t second_duration_ms = 0;
};

// Output pads: [o720] and [o360] (yuv420p, height 720 / 360, even width, the aspect kept) and,
// when has_audio, [oa] (fltp, 44.1 kHz stereo).
struct GraphSpec {
  std::string description;
  bool uses_main_audio = false;    // [a0] is an input pad
  bool uses_second_video = false;  // [v1]
  bool uses_second_audio = false;  // [a1]
  bool has_audio = false;          // [oa] is an output pad
  int64_t duration_ms = 0;         // of the output, as far as it is known beforehand
};

inline constexpr int kAudioSampleRate = 44100;
inline constexpr int64_t kStitchMaxMs = 5000;  // the original's part of a stitch

// Builds the graph; InvalidArgument when the composition needs what the second input lacks.
[[nodiscard]] absl::StatusOr<GraphSpec> BuildGraphSpec(const GraphInputs& in);

}  // namespace foryou::media
