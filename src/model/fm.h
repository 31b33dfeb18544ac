// Factorization-machine interaction of DeepFM: for each example, the sum over pairs of fields of
// the dot products of their embeddings, computed in O(F x D) as
//   fm = 0.5 * sum_d [ (sum_f e[f][d])^2 - sum_f e[f][d]^2 ].
#pragma once

namespace foryou::model {

// emb: batch x fields x dim floats (row-major); out: batch floats.
void FmForward(const float* emb, int batch, int fields, int dim, float* out);

// grad_out: batch floats (d loss / d fm). Adds d loss / d emb into grad_emb (batch x fields x dim):
//   d fm / d e[f][d] = (sum_g e[g][d]) - e[f][d].
void FmBackward(const float* emb, const float* grad_out, int batch, int fields, int dim,
                float* grad_emb);

}  // namespace foryou::model
