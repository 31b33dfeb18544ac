// The sparse optimizers that live with the table: in-place updates of one row's embedding and
// state from one gradient. Internal to src/embedding.
#pragma once

#include <cmath>
#include <cstdint>

#include "embedding/table_config.h"

namespace foryou::embedding::internal {

// Adagrad: acc += g^2; w -= lr * g / (sqrt(acc) + eps). `state` = acc[dim].
inline void AdagradUpdate(const AdagradParams& p, uint32_t dim, const float* __restrict g,
                          float* __restrict w, float* __restrict acc) {
  for (uint32_t i = 0; i < dim; ++i) {
    const float a = acc[i] + g[i] * g[i];
    acc[i] = a;
    w[i] -= p.learning_rate * g[i] / (std::sqrt(a) + p.epsilon);
  }
}

// FTRL-proximal (McMahan et al. 2013), per coordinate. `state` = z[dim] then n[dim]; the
// embedding w is kept equal to the closed-form solution so lookups read it directly.
inline void FtrlUpdate(const FtrlParams& p, uint32_t dim, const float* __restrict g,
                       float* __restrict w, float* __restrict z, float* __restrict n) {
  for (uint32_t i = 0; i < dim; ++i) {
    const float n_new = n[i] + g[i] * g[i];
    const float sigma = (std::sqrt(n_new) - std::sqrt(n[i])) / p.alpha;
    z[i] += g[i] - sigma * w[i];
    n[i] = n_new;
    const float zi = z[i];
    if (std::fabs(zi) <= p.l1) {
      w[i] = 0.0f;
    } else {
      const float sign = zi < 0 ? -1.0f : 1.0f;
      w[i] = -(zi - sign * p.l1) / ((p.beta + std::sqrt(n_new)) / p.alpha + p.l2);
    }
  }
}

// splitmix64: the generator behind row initialisation and sampling.
inline uint64_t SplitMix64(uint64_t* state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// A strong 64-bit mixer (murmur3's finalizer) applied to keys before indexing.
inline uint64_t MixKey(uint64_t k) {
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdull;
  k ^= k >> 33;
  k *= 0xc4ceb9fe1a85ec53ull;
  k ^= k >> 33;
  return k;
}

}  // namespace foryou::embedding::internal
