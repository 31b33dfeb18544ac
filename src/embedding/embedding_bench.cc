// The driver of `foryou bench embedding` (embedding_bench.h): draws the key streams once, runs
// every workload on each table in turn (one table alive at a time), prints the measurements and
// the summary line of ratios against libcuckoo.
#include "embedding/embedding_bench.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <fstream>
#include <string>
#include <limits>
#include <memory>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/types/span.h"
#include "common/status_macros.h"
#include "embedding/bench_baselines.h"
#include "embedding/embedding_table.h"
#include "embedding/feature_id.h"
#include "embedding/table_config.h"
#include "embedding/zipf.h"

namespace foryou::embedding {
namespace {

using Clock = std::chrono::steady_clock;

constexpr uint32_t kSlot = 1;
// Event time of every update: any fixed value does, since nothing expires.
constexpr int64_t kEventTimeMs = 1'700'000'000'000;
// Gradients are uniform in [-kGradScale, kGradScale].
constexpr float kGradScale = 0.01f;
constexpr BenchAdagrad kAdagrad{.learning_rate = 0.05f, .epsilon = 1e-6f};

double SecondsSince(Clock::time_point start) {
  // Never zero, so rates stay finite even for a run shorter than the clock's resolution.
  return std::max(std::chrono::duration<double>(Clock::now() - start).count(), 1e-9);
}

// splitmix64's finalizer: a bijection on 64 bits that spreads consecutive ranks over the
// 48-bit hash space of a feature id.
uint64_t Mix64(uint64_t x) {
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// +1 keeps rank 0 away from the finalizer's fixed point 0.
FeatureId KeyOfRank(uint64_t rank) { return MakeFeatureId(kSlot, Mix64(rank + 1)); }

// EmbeddingTable with one Adagrad slot of the bench's dim, driven as a BenchTable.
class ForyouTable final : public BenchTable {
 public:
  static absl::StatusOr<std::unique_ptr<ForyouTable>> Create(uint32_t dim, uint64_t seed,
                                                             uint32_t batch) {
    SlotConfig slot;
    slot.slot = kSlot;
    slot.name = "bench";
    slot.dim = dim;
    slot.optimizer = OptimizerKind::kAdagrad;
    slot.adagrad.learning_rate = kAdagrad.learning_rate;
    slot.adagrad.epsilon = kAdagrad.epsilon;
    slot.admission.min_count = 1;
    slot.admission.probability = 1.0;
    slot.expire_after_s = 0;
    TableConfig config;
    config.slots.push_back(slot);
    config.memory_budget_bytes = 0;
    config.seed = seed;
    FORYOU_ASSIGN_OR_RETURN(std::unique_ptr<EmbeddingTable> table,
                            EmbeddingTable::Create(std::move(config)));
    return std::unique_ptr<ForyouTable>(new ForyouTable(std::move(table), dim, batch));
  }

  const char* name() const override { return "foryou"; }
  uint32_t dim() const override { return dim_; }

  // A zero-gradient step inserts the row (admission min_count 1) and leaves its embedding as
  // initialized: Adagrad moves w by lr * 0 / (sqrt(0) + eps) = 0.
  absl::Status Insert(absl::Span<const FeatureId> keys) override {
    for (size_t i = 0; i < keys.size(); i += batch_) {
      const absl::Span<const FeatureId> chunk = keys.subspan(i, batch_);
      FORYOU_RETURN_IF_ERROR(table_->ApplyGradients(
          chunk, absl::MakeConstSpan(zeros_.data(), chunk.size() * dim_), kEventTimeMs));
    }
    return absl::OkStatus();
  }

  absl::Status Lookup(absl::Span<const FeatureId> keys, absl::Span<float> out) const override {
    return table_->Lookup(keys, out);
  }

  absl::Status ApplyGradients(absl::Span<const FeatureId> keys, absl::Span<const float> grads,
                              int64_t event_time_ms) override {
    return table_->ApplyGradients(keys, grads, event_time_ms);
  }

  uint32_t PartitionOf(FeatureId key, uint32_t parts) const override {
    return table_->ShardOf(key) % parts;
  }

  uint64_t rows() const override { return table_->Stats().rows; }

  const EmbeddingTable& table() const { return *table_; }

 private:
  ForyouTable(std::unique_ptr<EmbeddingTable> table, uint32_t dim, uint32_t batch)
      : table_(std::move(table)), dim_(dim), batch_(batch), zeros_(size_t{batch} * dim, 0.0f) {}

  const std::unique_ptr<EmbeddingTable> table_;
  const uint32_t dim_;
  const uint32_t batch_;
  const std::vector<float> zeros_;  // batch_ x dim_ zero gradients for Insert
};

// One thread's part of a workload.
struct Run {
  uint64_t keys = 0;
  double seconds = 0;
  absl::Status status;
};

// Looks up `keys` in batches, copying the embeddings out. With `until` null: one pass. With
// `until`: passes over `keys` again and again until *until is set (at least one batch).
Run LookupKeys(const BenchTable& table, absl::Span<const FeatureId> keys, uint32_t batch,
               const std::atomic<bool>* until) {
  std::vector<float> out(size_t{batch} * table.dim());
  Run run;
  const Clock::time_point start = Clock::now();
  for (bool done = keys.empty(); !done;) {
    for (size_t i = 0; i < keys.size() && !done; i += batch) {
      const absl::Span<const FeatureId> chunk = keys.subspan(i, batch);
      run.status = table.Lookup(chunk, absl::MakeSpan(out.data(), chunk.size() * table.dim()));
      if (!run.status.ok()) return run;
      run.keys += chunk.size();
      done = until != nullptr && until->load(std::memory_order_acquire);
    }
    done = done || until == nullptr;
  }
  run.seconds = SecondsSince(start);
  return run;
}

// Applies one Adagrad step per key of `keys`, in batches; every batch reuses the first
// keys-in-batch x dim floats of `grads` (batch x dim floats).
Run UpdateKeys(BenchTable& table, absl::Span<const FeatureId> keys, uint32_t batch,
               absl::Span<const float> grads) {
  Run run;
  int64_t event_time_ms = kEventTimeMs;
  const Clock::time_point start = Clock::now();
  for (size_t i = 0; i < keys.size(); i += batch) {
    const absl::Span<const FeatureId> chunk = keys.subspan(i, batch);
    run.status =
        table.ApplyGradients(chunk, grads.subspan(0, chunk.size() * table.dim()), event_time_ms++);
    if (!run.status.ok()) return run;
    run.keys += chunk.size();
  }
  run.seconds = SecondsSince(start);
  return run;
}

double OpsPerSecond(const Run& run) { return static_cast<double>(run.keys) / run.seconds; }

constexpr int kRepeats = 3;

// A field of /proc/self/smaps_rollup in MiB (0 if unavailable): shows whether the kernel gave
// the table huge pages, which changes random-access speed by ~1.3x.
double ProcessMemoryMb(const char* field) {
  std::ifstream in("/proc/self/smaps_rollup");
  std::string name;
  double kb = 0;
  while (in >> name) {
    if (name == field) {
      in >> kb;
      return kb / 1024.0;
    }
    in.ignore(std::numeric_limits<std::streamsize>::max(), '\n');
  }
  return 0;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// UpdateKeys over `threads` threads, thread t taking (in stream order) the keys with
// PartitionOf(key, threads) == t. Returns total keys / wall-clock seconds.
absl::StatusOr<double> ParallelUpdate(BenchTable& table, absl::Span<const FeatureId> keys,
                                      uint32_t batch, absl::Span<const float> grads,
                                      uint32_t threads) {
  std::vector<std::vector<FeatureId>> shares(threads);
  for (auto& share : shares) share.reserve(keys.size() / threads + keys.size() / 8 + 1);
  for (const FeatureId key : keys) shares[table.PartitionOf(key, threads)].push_back(key);

  std::vector<Run> runs(threads);
  const Clock::time_point start = Clock::now();
  {
    std::vector<std::jthread> workers;
    for (uint32_t t = 0; t < threads; ++t) {
      workers.emplace_back([&, t] { runs[t] = UpdateKeys(table, shares[t], batch, grads); });
    }
  }  // joins
  const double seconds = SecondsSince(start);
  uint64_t total = 0;
  for (const Run& run : runs) {
    FORYOU_RETURN_IF_ERROR(run.status);
    total += run.keys;
  }
  return static_cast<double>(total) / seconds;
}

// What one table measured at one dim (ops/s; 0 = not run).
struct TableResults {
  double prefill = 0;
  double lookup = 0;
  double update = 0;
  double update_2t = 0;
  double concurrent_update = 0;
  double concurrent_lookup = 0;
};

struct Workload {
  absl::Span<const FeatureId> all_keys;  // every distinct key, for the prefill
  absl::Span<const FeatureId> stream;    // the Zipf key stream
  absl::Span<const float> grads;         // batch x dim
  uint32_t batch = 0;
};

void Report(std::ostream& out, const BenchTable& table, const char* workload, int threads,
            double ops_per_s) {
  out << absl::StrFormat("dim=%u table=%s workload=%s threads=%d ops_per_s=%.3e\n", table.dim(),
                         table.name(), workload, threads, ops_per_s)
      << std::flush;
}

// Runs every workload on `table` (empty on entry), in the order of embedding_bench.h.
absl::StatusOr<TableResults> RunWorkloads(BenchTable& table, const Workload& w,
                                          bool two_thread_update, std::ostream& out) {
  TableResults r;
  {
    const Clock::time_point start = Clock::now();
    FORYOU_RETURN_IF_ERROR(table.Insert(w.all_keys));
    r.prefill = static_cast<double>(w.all_keys.size()) / SecondsSince(start);
  }
  // A table that silently dropped inserts would make every later number meaningless. (Distinct
  // ranks collide in 48 bits only about n^2 / 2^49 times: far below this slack.)
  const uint64_t rows = table.rows();
  if (rows + w.all_keys.size() / 1000 < w.all_keys.size()) {
    return absl::InternalError(absl::StrCat(table.name(), " holds ", rows,
                                            " rows after a prefill of ", w.all_keys.size(),
                                            " distinct keys"));
  }
  Report(out, table, "prefill", 1, r.prefill);

  // This machine is shared and noisy: each timed workload runs kRepeats times and reports the
  // median; the 1- and 2-thread updates alternate so both see the same conditions.
  std::vector<double> lookups, updates, updates_2t;
  for (int i = 0; i < kRepeats; ++i) {
    const Run lookup = LookupKeys(table, w.stream, w.batch, nullptr);
    FORYOU_RETURN_IF_ERROR(lookup.status);
    lookups.push_back(OpsPerSecond(lookup));
  }
  r.lookup = Median(lookups);
  Report(out, table, "lookup", 1, r.lookup);

  for (int i = 0; i < kRepeats; ++i) {
    const Run update = UpdateKeys(table, w.stream, w.batch, w.grads);
    FORYOU_RETURN_IF_ERROR(update.status);
    updates.push_back(OpsPerSecond(update));
    if (two_thread_update) {
      FORYOU_ASSIGN_OR_RETURN(const double u2, ParallelUpdate(table, w.stream, w.batch, w.grads, 2));
      updates_2t.push_back(u2);
    }
  }
  r.update = Median(updates);
  Report(out, table, "update", 1, r.update);
  if (two_thread_update) {
    r.update_2t = Median(updates_2t);
    Report(out, table, "update", 2, r.update_2t);
  }

  Run writer, reader;
  {
    std::atomic<bool> writer_done{false};
    std::jthread writer_thread([&] {
      writer = UpdateKeys(table, w.stream, w.batch, w.grads);
      writer_done.store(true, std::memory_order_release);
    });
    std::jthread reader_thread(
        [&] { reader = LookupKeys(table, w.stream, w.batch, &writer_done); });
  }  // joins
  FORYOU_RETURN_IF_ERROR(writer.status);
  FORYOU_RETURN_IF_ERROR(reader.status);
  r.concurrent_update = OpsPerSecond(writer);
  r.concurrent_lookup = OpsPerSecond(reader);
  Report(out, table, "concurrent_update", 1, r.concurrent_update);
  Report(out, table, "concurrent_lookup", 1, r.concurrent_lookup);
  return r;
}

// How long a reader waits while a writer inserts (index doublings included) and then expires
// half the rows: single-key lookups in a loop on one thread, each timed, while the other thread
// writes. Prints the latency percentiles of both phases.
absl::Status MeasureReaderPauses(uint32_t dim, absl::Span<const FeatureId> all_keys, uint32_t batch,
                                 uint64_t seed, std::ostream& out) {
  SlotConfig slot;
  slot.slot = kSlot;
  slot.name = "bench";
  slot.dim = dim;
  slot.expire_after_s = 100;
  TableConfig config;
  config.slots.push_back(slot);
  config.seed = seed;
  FORYOU_ASSIGN_OR_RETURN(std::unique_ptr<EmbeddingTable> table,
                          EmbeddingTable::Create(std::move(config)));
  const absl::Span<const FeatureId> keys = all_keys.subspan(0, std::min<size_t>(all_keys.size(), 4'000'000));
  const std::vector<float> zeros(size_t{batch} * dim, 0.0f);

  auto phase = [&](const char* name, auto&& write) -> absl::Status {
    std::atomic<bool> stop{false};
    std::vector<double> micros;
    micros.reserve(1 << 22);
    absl::Status reader_status;
    std::jthread reader([&] {
      std::vector<float> one(dim);
      uint64_t x = seed;
      while (!stop.load(std::memory_order_acquire)) {
        x = Mix64(x + 1);
        const FeatureId key = keys[x % keys.size()];
        const Clock::time_point t0 = Clock::now();
        reader_status = table->Lookup({key}, absl::MakeSpan(one));
        micros.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
        if (!reader_status.ok()) return;
      }
    });
    absl::Status s = write();
    stop.store(true, std::memory_order_release);
    reader.join();
    FORYOU_RETURN_IF_ERROR(s);
    FORYOU_RETURN_IF_ERROR(reader_status);
    std::sort(micros.begin(), micros.end());
    auto pct = [&](double q) {
      return micros.empty() ? 0.0 : micros[std::min(micros.size() - 1, static_cast<size_t>(q * micros.size()))];
    };
    out << absl::StrFormat(
               "dim=%u table=foryou workload=%s reader_lookups=%u p50_us=%.2f p99_us=%.2f "
               "p999_us=%.2f max_us=%.1f\n",
               dim, name, micros.size(), pct(0.5), pct(0.99), pct(0.999),
               micros.empty() ? 0.0 : micros.back())
        << std::flush;
    return absl::OkStatus();
  };
  // Phase 1: inserts (half the keys at t=1000 s, half at t=2000 s), with every index doubling.
  FORYOU_RETURN_IF_ERROR(phase("reader_pause_during_inserts", [&]() -> absl::Status {
    for (size_t i = 0; i < keys.size(); i += batch) {
      const absl::Span<const FeatureId> chunk = keys.subspan(i, batch);
      const int64_t t = i < keys.size() / 2 ? 1'000'000 : 2'000'000;
      FORYOU_RETURN_IF_ERROR(
          table->ApplyGradients(chunk, absl::MakeConstSpan(zeros.data(), chunk.size() * dim), t));
    }
    return absl::OkStatus();
  }));
  // Phase 2: Expire at t=1500 s with a 100 s span: the first half (last seen at 1000 s) goes,
  // the second half (2000 s) stays.
  uint64_t expired = 0;
  FORYOU_RETURN_IF_ERROR(phase("reader_pause_during_expiry", [&]() -> absl::Status {
    expired = table->Expire(1'500'000);
    return absl::OkStatus();
  }));
  if (expired == 0) return absl::InternalError("pause bench: expiry evicted nothing");
  return absl::OkStatus();
}

absl::Status Validate(const EmbeddingBenchOptions& o) {
  if (o.distinct_keys == 0 || o.distinct_keys > (uint64_t{1} << 32)) {
    return absl::InvalidArgumentError(
        absl::StrCat("distinct_keys must be in [1, 2^32], got ", o.distinct_keys));
  }
  if (o.ops == 0) return absl::InvalidArgumentError("ops must be positive");
  if (o.batch == 0) return absl::InvalidArgumentError("batch must be positive");
  if (!(o.zipf_s >= 0.0) || !std::isfinite(o.zipf_s)) {
    return absl::InvalidArgumentError(absl::StrCat("zipf_s must be >= 0, got ", o.zipf_s));
  }
  if (o.dims.empty()) return absl::InvalidArgumentError("dims is empty");
  for (const uint32_t dim : o.dims) {
    if (!BaselineSupportsDim(dim)) {
      return absl::InvalidArgumentError(
          absl::StrCat("dim ", dim, " is not one of the baselines' 4, 8, 16, 32, 64, 128"));
    }
  }
  return absl::OkStatus();
}

std::vector<float> MakeGradients(size_t n, uint64_t seed) {
  std::vector<float> grads(n);
  uint64_t state = seed;
  for (float& g : grads) {
    state += 0x9e3779b97f4a7c15ull;
    const double unit = static_cast<double>(Mix64(state) >> 11) * 0x1.0p-53;
    g = static_cast<float>((2.0 * unit - 1.0) * kGradScale);
  }
  return grads;
}

}  // namespace

absl::Status RunEmbeddingBench(const EmbeddingBenchOptions& options, std::ostream& out) {
  FORYOU_RETURN_IF_ERROR(Validate(options));
  out << absl::StrFormat(
             "embedding_bench_config distinct_keys=%u ops=%u batch=%u zipf_s=%g seed=%u "
             "hardware_threads=%u\n",
             options.distinct_keys, options.ops, options.batch, options.zipf_s, options.seed,
             std::thread::hardware_concurrency())
      << std::flush;

  std::vector<FeatureId> all_keys(options.distinct_keys);
  for (uint64_t rank = 0; rank < all_keys.size(); ++rank) all_keys[rank] = KeyOfRank(rank);
  std::vector<FeatureId> stream(options.ops);
  ZipfSampler zipf(options.distinct_keys, options.zipf_s, options.seed);
  for (FeatureId& key : stream) key = KeyOfRank(zipf.Next());

  // The summary line speaks for the reference dim: the first of options.dims (16 by default,
  // the dim the targets were set at). Every dim also gets its own summary line.
  const uint32_t reference_dim = options.dims.front();
  std::string reference_line;

  for (const uint32_t dim : options.dims) {
    const std::vector<float> grads = MakeGradients(size_t{options.batch} * dim, options.seed);
    const Workload workload{
        .all_keys = all_keys, .stream = stream, .grads = grads, .batch = options.batch};
    TableResults foryou, cuckoo;
    double bytes_per_row = 0, payload_bytes_per_row = 0;
    {
      FORYOU_ASSIGN_OR_RETURN(std::unique_ptr<ForyouTable> table,
                              ForyouTable::Create(dim, options.seed, options.batch));
      FORYOU_ASSIGN_OR_RETURN(foryou, RunWorkloads(*table, workload, true, out));
      const TableStats stats = table->table().Stats();
      const double rows = static_cast<double>(std::max<uint64_t>(stats.rows, 1));
      const double bytes = static_cast<double>(stats.bytes) / rows;
      const double payload = static_cast<double>(stats.payload_bytes) / rows;
      out << absl::StrFormat(
                 "dim=%u bytes_per_row=%.1f payload_bytes_per_row=%.1f rows=%u "
                 "process_rss_mb=%.0f process_huge_pages_mb=%.0f\n",
                 dim, bytes, payload, stats.rows, ProcessMemoryMb("Rss:"),
                 ProcessMemoryMb("AnonHugePages:"))
          << std::flush;
      bytes_per_row = bytes;
      payload_bytes_per_row = payload;
    }  // each table is freed before the next is built
    FORYOU_RETURN_IF_ERROR(MeasureReaderPauses(dim, all_keys, options.batch, options.seed, out));
    {
      FORYOU_ASSIGN_OR_RETURN(std::unique_ptr<BenchTable> table,
                              NewCuckooBaseline(dim, kAdagrad, options.seed));
      FORYOU_ASSIGN_OR_RETURN(cuckoo, RunWorkloads(*table, workload, true, out));
    }
    if (options.run_unordered_map) {
      FORYOU_ASSIGN_OR_RETURN(std::unique_ptr<BenchTable> table,
                              NewUnorderedMapBaseline(dim, kAdagrad, options.seed));
      FORYOU_RETURN_IF_ERROR(RunWorkloads(*table, workload, false, out).status());
    }
    const std::string summary = absl::StrFormat(
        "lookup_ratio_vs_libcuckoo=%.3f update_ratio_vs_libcuckoo=%.3f bytes_per_row=%.1f "
        "payload_bytes_per_row=%.1f update_2t_vs_1t=%.3f",
        foryou.lookup / cuckoo.lookup, foryou.update / cuckoo.update, bytes_per_row,
        payload_bytes_per_row, foryou.update_2t / foryou.update);
    out << "embedding_bench_dim dim=" << dim << " " << summary << "\n" << std::flush;
    if (dim == reference_dim) reference_line = summary;
  }

  out << "embedding_bench " << reference_line << "\n" << std::flush;
  return absl::OkStatus();
}

}  // namespace foryou::embedding
