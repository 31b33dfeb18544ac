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

// The period of length `period_ms` (> 0) that a time falls in, rounding towards minus infinity
// so times before 1970 fall in the right period too.
inline int64_t PeriodOf(int64_t time_ms, int64_t period_ms) {
  return time_ms >= 0 ? time_ms / period_ms : (time_ms - period_ms + 1) / period_ms;
}

}  // namespace foryou::common
