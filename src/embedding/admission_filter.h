// AdmissionFilter: decides when an id not yet in the table gets a row (Monolith's frequency
// filter). Counts live in a count-min sketch, never in the table. Internal to src/embedding.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "embedding/table_config.h"

namespace foryou::embedding::internal {

// Thread-safe (relaxed atomics; counts are approximate by design). Counts only ever err upward
// (count-min), so an id is never admitted later than its min_count-th occurrence.
class AdmissionFilter {
 public:
  AdmissionFilter(const AdmissionConfig& config, uint64_t seed);

  // Counts one occurrence of the id with mixed hash `h`; true if the id is admitted now.
  // `rng` is the caller's generator state (used in probability mode).
  bool CountAndAdmit(uint64_t h, uint64_t* rng);

  // Estimated occurrences of `h` so far (min_count mode only; 0 otherwise).
  uint32_t Estimate(uint64_t h) const;

  uint64_t bytes() const { return sketch_ ? 2ull * width_ : 0; }

 private:
  void MaybeAge();

  const uint32_t min_count_;
  const uint64_t threshold_;  // probability as a 64-bit threshold; ~0 = always
  const uint32_t width_;
  const uint64_t seed_;
  std::unique_ptr<std::atomic<uint8_t>[]> sketch_;  // 2 rows x width_
  std::atomic<uint64_t> increments_{0};
};

}  // namespace foryou::embedding::internal
