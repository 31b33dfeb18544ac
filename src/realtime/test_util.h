// Shared by the stream tests: a tiny model config (dim 4, one hidden layer) with a sparse, a
// sequence and a dense feature, so tests exercise every feature kind quickly.
#pragma once

#include <cstdlib>
#include <iostream>

#include "model/model_config.h"

namespace foryou::realtime::testing {

inline model::ModelConfig TinyConfig() {
  auto c = model::ParseModelConfig(R"({"dim": 4, "hidden": [8],
      "features": ["video_id", "user_id", "seq.long_view.video", "dense.user_rates"]})");
  if (!c.ok()) {
    std::cerr << "TinyConfig: " << c.status() << "\n";
    std::abort();
  }
  return *c;
}

}  // namespace foryou::realtime::testing
