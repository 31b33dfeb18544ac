// `foryou bench embedding`: throughput and memory of EmbeddingTable against libcuckoo and
// std::unordered_map (bench_baselines.h) on identical Zipf-skewed workloads, printed as one line
// per measurement and a final summary line of ratios measured in the same run.
//
// Example:
//   EmbeddingBenchOptions options;
//   options.distinct_keys = 1'000'000;
//   options.ops = 2'000'000;
//   absl::Status status = RunEmbeddingBench(options, std::cout);
#pragma once

#include <cstdint>
#include <ostream>
#include <vector>

#include "absl/status/status.h"

namespace foryou::embedding {

struct EmbeddingBenchOptions {
  uint64_t distinct_keys = 10'000'000;    // ranks [0, distinct_keys), all inserted by the prefill
  uint64_t ops = 20'000'000;              // keys per workload run (lookups or updates)
  uint32_t batch = 1024;                  // keys per Lookup / ApplyGradients call
  std::vector<uint32_t> dims = {16, 32};  // each must be one BaselineSupportsDim accepts
  double zipf_s = 0.99;                   // skew of the key stream
  uint64_t seed = 1;                      // of the key stream, gradients and initial rows
  bool run_unordered_map = true;          // also measure std::unordered_map + shared_mutex
};

// Runs, for each dim and each table (EmbeddingTable with one Adagrad slot of that dim, then
// libcuckoo, then std::unordered_map), one table alive at a time:
//   prefill            every key once, in batches (foryou: ApplyGradients with zero gradients)
//   lookup             `ops` Zipf keys, batched, embeddings copied out; 1 thread
//   update             `ops` Zipf keys, batched lookup-or-insert + Adagrad step; 1 thread, and
//                      for foryou and libcuckoo also 2 threads, each owning the keys of its
//                      partition (foryou: ShardOf(key) % 2; libcuckoo: hash parity), same total
//   concurrent_update  update (1 thread) while another thread looks up the same stream,
//   concurrent_lookup  passing over it again until the writer finishes; both reported
//   reader_pause_*     foryou only, on a table of min(distinct_keys, 4M) keys with expiry:
//                      latency percentiles of single-key lookups on one thread while the other
//                      inserts every key (all index doublings), then expires half of them
// lookup and update (1 and 2 threads, interleaved) run 3 times each; the median is reported.
// Keys are MakeFeatureId(1, splitmix64(rank + 1)); the Zipf stream is drawn before any timing.
//
// Writes to `out` one line per measurement, e.g.
//   dim=16 table=foryou workload=lookup threads=1 ops_per_s=1.234e+07
// (ops = keys), `dim=16 bytes_per_row=... payload_bytes_per_row=... rows=...` from foryou's
// TableStats, per dim a summary `embedding_bench_dim dim=D <fields>`, and as the last line the
// summary of the reference dim (the first of `dims`, 16 by default):
//   embedding_bench lookup_ratio_vs_libcuckoo=X update_ratio_vs_libcuckoo=Y bytes_per_row=Z
//   payload_bytes_per_row=P update_2t_vs_1t=S
// (one line) where X and Y are foryou / libcuckoo ops/s for lookup and 1-thread update, Z and P
// are foryou's bytes and embedding + optimizer-state bytes per row, and S is foryou's 2-thread /
// 1-thread update ops/s.
//
// Errors: InvalidArgument for options out of range (a dim the baselines do not support, zero
// keys/ops/batch, negative s); otherwise the first error a table returned. Peak memory is that
// of the largest single table plus the key streams (8 bytes x (distinct_keys + 2 x ops)).
[[nodiscard]] absl::Status RunEmbeddingBench(const EmbeddingBenchOptions& options,
                                             std::ostream& out);

}  // namespace foryou::embedding
