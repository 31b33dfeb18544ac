// The effects' filter chains. Speed changes move the video timestamps (setpts) and stretch the
// audio without changing its pitch (atempo takes 0.5..2 per instance).
#include "media/effects.h"

namespace foryou::media {

const std::vector<Effect>& Effects() {
  static const std::vector<Effect>* const kEffects = new std::vector<Effect>{
      {"vivid", "Vivid colours", "eq=saturation=1.6:contrast=1.1", "", 1.0},
      {"mono", "Black and white", "hue=s=0", "", 1.0},
      {"vignette", "Vignette", "vignette=angle=PI/4", "", 1.0},
      {"warm", "Warm", "colorbalance=rs=0.15:gs=0.05:bs=-0.15:rm=0.1:bm=-0.1", "", 1.0},
      {"slowmo", "Slow motion (half speed)", "setpts=2.0*PTS", "atempo=0.5", 0.5},
      {"fast", "Fast forward (double speed)", "setpts=0.5*PTS", "atempo=2.0", 2.0},
  };
  return *kEffects;
}

const Effect* FindEffect(const std::string& name) {
  for (const Effect& e : Effects()) {
    if (e.name == name) return &e;
  }
  return nullptr;
}

}  // namespace foryou::media
