// FM interaction: one pass to sum each dimension over fields, one to combine.
#include "model/fm.h"

#include <algorithm>
#include <cstddef>
#include <vector>

namespace foryou::model {

void FmForward(const float* emb, int batch, int fields, int dim, float* out) {
  std::vector<float> sum(dim);
  for (int b = 0; b < batch; ++b) {
    const float* e = emb + static_cast<size_t>(b) * fields * dim;
    std::fill(sum.begin(), sum.end(), 0.0f);
    float squares = 0;
    for (int f = 0; f < fields; ++f) {
      for (int d = 0; d < dim; ++d) {
        const float v = e[f * dim + d];
        sum[d] += v;
        squares += v * v;
      }
    }
    float total = 0;
    for (int d = 0; d < dim; ++d) total += sum[d] * sum[d];
    out[b] = 0.5f * (total - squares);
  }
}

void FmBackward(const float* emb, const float* grad_out, int batch, int fields, int dim,
                float* grad_emb) {
  std::vector<float> sum(dim);
  for (int b = 0; b < batch; ++b) {
    const size_t base = static_cast<size_t>(b) * fields * dim;
    const float* e = emb + base;
    std::fill(sum.begin(), sum.end(), 0.0f);
    for (int f = 0; f < fields; ++f) {
      for (int d = 0; d < dim; ++d) sum[d] += e[f * dim + d];
    }
    const float g = grad_out[b];
    for (int f = 0; f < fields; ++f) {
      for (int d = 0; d < dim; ++d) grad_emb[base + f * dim + d] += g * (sum[d] - e[f * dim + d]);
    }
  }
}

}  // namespace foryou::model
