// ZipfSampler: a fast, deterministic Zipf(s) generator over ranks [0, n), for building skewed
// key streams in benchmarks and tests (P(rank r) proportional to (r + 1)^-s).
//
// Example:
//   ZipfSampler zipf(/*n=*/10'000'000, /*s=*/0.99, /*seed=*/1);
//   std::vector<uint64_t> ranks(1'000'000);
//   for (uint64_t& r : ranks) r = zipf.Next();  // rank 0 is the most frequent
#pragma once

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

namespace foryou::embedding {

// Draws Zipf ranks in O(1) expected time with no table (memory independent of n), using the
// rejection-inversion method of Hörmann & Derflinger ("Rejection-inversion to generate variates
// from monotone discrete distributions", ACM TOMACS 1996).
//
// The sequence depends only on (n, s, seed): the same triple gives the same ranks on every run
// and platform with IEEE doubles. Not thread-safe (it owns its generator state); give each
// thread its own sampler with its own seed. Valid for n >= 1 and 0 <= s (s = 0 is uniform);
// for large s (> ~3) ranks whose probability is below double precision are not sampled exactly.
class ZipfSampler {
 public:
  ZipfSampler(uint64_t n, double s, uint64_t seed) : n_(n), s_(s), state_(seed) {
    if (n == 0 || !(s >= 0.0) || !std::isfinite(s)) {
      std::fprintf(stderr, "ZipfSampler: need n >= 1 and finite s >= 0 (n=%llu s=%g)\n",
                   static_cast<unsigned long long>(n), s);
      std::abort();
    }
    y_low_ = H(1.5) - 1.0;  // h(1) = 1
    y_high_ = H(static_cast<double>(n) + 0.5);
    squeeze_ = 2.0 - HInverse(H(2.5) - h(2.0));
  }

  uint64_t n() const { return n_; }
  double s() const { return s_; }

  // The next rank, in [0, n).
  uint64_t Next() {
    // HOW IT WORKS. Work with k = rank + 1 in 1..n and the unnormalized weight h(x) = x^-s,
    // with H an antiderivative of h (H increasing). Because h is convex and decreasing, the
    // area under h over [k - 1/2, k + 1/2] is at least h(k). So draw y uniformly from
    // [H(3/2) - h(1), H(n + 1/2)), map it back with x = H^-1(y), and round x to k: every k owns
    // the y-interval [H(k - 1/2), H(k + 1/2)) (k = 1 owns [H(3/2) - h(1), H(3/2)), exactly h(1)
    // long). Accepting only y >= H(k + 1/2) - h(k) keeps a piece of length exactly h(k) of k's
    // interval, so an accepted k has probability h(k) / sum h: the Zipf pmf. Nearly all of the
    // area is accepted (99.9% at s = 0.99, 98% at s = 3), so the loop runs about once.
    //
    // The squeeze avoids evaluating H in the acceptance test most of the time: in x-space, k
    // accepts x in [t_k, k + 1/2] with t_k = H^-1(H(k + 1/2) - h(k)), and k - t_k is smallest at
    // k = 2 (it grows towards 1/2 as h flattens). So x >= k - (2 - t_2) accepts at once; k = 1
    // always accepts by construction.
    for (;;) {
      const double y = y_high_ + NextUnit() * (y_low_ - y_high_);
      const double x = HInverse(y);
      double k = std::floor(x + 0.5);
      if (k < 1.0) k = 1.0;  // rounding at the interval ends
      if (k > static_cast<double>(n_)) k = static_cast<double>(n_);
      if (k - x <= squeeze_ || y >= H(k + 0.5) - h(k)) {
        return static_cast<uint64_t>(k) - 1;
      }
    }
  }

 private:
  // h(x) = x^-s, written as exp(-s ln x) so s = 0 needs no special case.
  double h(double x) const { return std::exp(-s_ * std::log(x)); }

  // H(x) = (x^(1-s) - 1) / (1-s), continuous in s (ln x at s = 1). With q = (1-s) ln x this is
  // ln x * (e^q - 1) / q, evaluated through expm1 so it stays accurate for s near 1.
  double H(double x) const {
    const double log_x = std::log(x);
    return ExpM1OverX((1.0 - s_) * log_x) * log_x;
  }

  // The inverse of H: x = exp(ln(1 + (1-s) y) / (1-s)), i.e. exp(y * ln(1 + q) / q) with
  // q = (1-s) y, through log1p for the same reason.
  double HInverse(double y) const {
    double q = (1.0 - s_) * y;
    if (q < -1.0) q = -1.0;  // below H's range only by rounding: clamp to x = 0
    return std::exp(Log1pOverX(q) * y);
  }

  // (e^q - 1) / q and ln(1 + q) / q, with their limits (1) and two series terms near q = 0.
  static double ExpM1OverX(double q) {
    if (std::fabs(q) > 1e-8) return std::expm1(q) / q;
    return 1.0 + q * 0.5 * (1.0 + q / 3.0);
  }
  static double Log1pOverX(double q) {
    if (std::fabs(q) > 1e-8) return std::log1p(q) / q;
    return 1.0 - q * (0.5 - q / 3.0);
  }

  // Uniform double in [0, 1) from the splitmix64 generator (53 random bits).
  double NextUnit() {
    state_ += 0x9e3779b97f4a7c15ull;
    uint64_t z = state_;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    return static_cast<double>(z >> 11) * 0x1.0p-53;
  }

  uint64_t n_;
  double s_;
  uint64_t state_;
  double y_low_ = 0;    // H(3/2) - h(1): bottom of the proposal range
  double y_high_ = 0;   // H(n + 1/2): top of the proposal range
  double squeeze_ = 0;  // 2 - t_2, see Next()
};

}  // namespace foryou::embedding
