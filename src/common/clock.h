// Millisecond clocks: wall time (event times, ms since the Unix epoch) and a monotonic clock
// (intervals and latencies).
#pragma once

#include <chrono>
#include <cstdint>

namespace foryou::common {

inline int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

inline int64_t SteadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace foryou::common
