// The named looks a creator can pick for a clip (`GET /v1/effects`): each one is a libavfilter
// chain for the video and, for the speed changes, one for the audio.
#pragma once

#include <string>
#include <vector>

namespace foryou::media {

struct Effect {
  std::string name;          // the job's "effect" value, e.g. "vivid"
  std::string title;         // for the effect picker, e.g. "Vivid colours"
  std::string video_filter;  // a libavfilter chain, e.g. "eq=saturation=1.6:contrast=1.1"
  std::string audio_filter;  // "" when the audio is untouched
  double speed = 1.0;        // output duration = input duration / speed
};

// Every effect, in the order the picker shows them.
const std::vector<Effect>& Effects();

// The effect called `name`, or nullptr.
const Effect* FindEffect(const std::string& name);

}  // namespace foryou::media
