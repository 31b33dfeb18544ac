// Count-min sketch admission with conservative update and periodic halving.
//
// HOW IT WORKS: two rows of `width` 8-bit saturating counters, indexed by two independent parts
// of the id's mixed hash. An occurrence raises only the counters equal to the current minimum
// (conservative update), which keeps over-estimates small. After 8 * width increments every
// counter is halved, so the sketch forgets ids that stopped occurring and does not saturate over
// a long run; an id that keeps occurring reaches min_count again quickly.
#include "embedding/admission_filter.h"

#include <algorithm>

#include "embedding/optimizer.h"

namespace foryou::embedding::internal {

AdmissionFilter::AdmissionFilter(const AdmissionConfig& config, uint64_t seed)
    : min_count_(config.min_count),
      threshold_(config.probability >= 1.0
                     ? ~uint64_t{0}
                     : static_cast<uint64_t>(config.probability * 18446744073709551616.0)),
      width_(config.min_count > 1 ? config.sketch_width : 0),
      seed_(seed) {
  if (min_count_ > 1) {
    sketch_ = std::make_unique<std::atomic<uint8_t>[]>(2ull * width_);
    for (uint64_t i = 0; i < 2ull * width_; ++i) sketch_[i].store(0, std::memory_order_relaxed);
  }
}

uint32_t AdmissionFilter::Estimate(uint64_t h) const {
  if (!sketch_) return 0;
  const uint64_t g = MixKey(h ^ seed_);
  const uint32_t a = static_cast<uint32_t>(g) & (width_ - 1);
  const uint32_t b = static_cast<uint32_t>(g >> 32) & (width_ - 1);
  return std::min(sketch_[a].load(std::memory_order_relaxed),
                  sketch_[width_ + b].load(std::memory_order_relaxed));
}

bool AdmissionFilter::CountAndAdmit(uint64_t h, uint64_t* rng) {
  if (!sketch_) {
    if (threshold_ == ~uint64_t{0}) return true;
    return SplitMix64(rng) < threshold_;
  }
  const uint64_t g = MixKey(h ^ seed_);
  std::atomic<uint8_t>& ca = sketch_[static_cast<uint32_t>(g) & (width_ - 1)];
  std::atomic<uint8_t>& cb = sketch_[width_ + (static_cast<uint32_t>(g >> 32) & (width_ - 1))];
  const uint8_t va = ca.load(std::memory_order_relaxed);
  const uint8_t vb = cb.load(std::memory_order_relaxed);
  const uint8_t m = std::min(va, vb);
  const uint8_t next = m == 255 ? 255 : static_cast<uint8_t>(m + 1);
  if (va == m) ca.store(std::max(va, next), std::memory_order_relaxed);
  if (vb == m) cb.store(std::max(vb, next), std::memory_order_relaxed);
  MaybeAge();
  return next >= min_count_;
}

void AdmissionFilter::MaybeAge() {
  const uint64_t n = increments_.fetch_add(1, std::memory_order_relaxed) + 1;
  if (n % (8ull * width_) != 0) return;
  for (uint64_t i = 0; i < 2ull * width_; ++i) {
    sketch_[i].store(sketch_[i].load(std::memory_order_relaxed) >> 1, std::memory_order_relaxed);
  }
}

}  // namespace foryou::embedding::internal
