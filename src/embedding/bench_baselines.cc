// The baseline tables of the embedding bench: libcuckoo and std::unordered_map + shared_mutex,
// with rows laid out as EmbeddingTable's (embedding, then one Adagrad accumulator per dim).
#include "embedding/bench_baselines.h"

#include <array>
#include <cmath>
#include <cstring>
#include <exception>
#include <libcuckoo/cuckoohash_map.hh>
#include <mutex>
#include <new>
#include <shared_mutex>
#include <string>
#include <unordered_map>

#include "absl/strings/str_cat.h"

namespace foryou::embedding {
namespace {

// Initial embeddings are uniform in [-kInitScale, kInitScale], as EmbeddingTable's default.
constexpr float kInitScale = 0.01f;

uint64_t SplitMix64(uint64_t& state) {
  uint64_t z = state += 0x9e3779b97f4a7c15ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// A row of a dim-D table. D is a template parameter so the row is one flat allocation inside
// the map's slot or node and the per-dimension loops have a constant trip count.
template <uint32_t D>
struct Row {
  // The initial row of `key`: deterministic in (key, seed), like EmbeddingTable's.
  Row(FeatureId key, uint64_t seed) {
    uint64_t state = key ^ seed;
    for (uint32_t i = 0; i < D; ++i) {
      const double unit = static_cast<double>(SplitMix64(state) >> 11) * 0x1.0p-53;
      w[i] = static_cast<float>((2.0 * unit - 1.0) * kInitScale);
    }
  }

  void Adagrad(const float* g, const BenchAdagrad& p) {
    for (uint32_t i = 0; i < D; ++i) {
      acc[i] += g[i] * g[i];
      w[i] -= p.learning_rate * g[i] / (std::sqrt(acc[i]) + p.epsilon);
    }
  }

  std::array<float, D> w;
  std::array<float, D> acc{};
};

absl::Status SizeMismatch(const char* what, size_t got, size_t keys, uint32_t dim) {
  return absl::InvalidArgumentError(
      absl::StrCat(what, " has ", got, " floats, want ", keys, " keys x dim ", dim));
}

// Libraries report allocation failure and libcuckoo's resize limits by exceptions; the bench
// wants a Status.
absl::Status FromException(const char* table, const std::exception& e) {
  if (dynamic_cast<const std::bad_alloc*>(&e) != nullptr) {
    return absl::ResourceExhaustedError(absl::StrCat(table, ": out of memory"));
  }
  return absl::InternalError(absl::StrCat(table, ": ", e.what()));
}

template <uint32_t D>
class CuckooBaseline final : public BenchTable {
 public:
  CuckooBaseline(BenchAdagrad adagrad, uint64_t seed) : adagrad_(adagrad), seed_(seed) {}

  const char* name() const override { return "libcuckoo"; }
  uint32_t dim() const override { return D; }

  absl::Status Insert(absl::Span<const FeatureId> keys) override {
    try {
      for (const FeatureId key : keys) map_.insert(key, key, seed_);
    } catch (const std::exception& e) {
      return FromException(name(), e);
    }
    return absl::OkStatus();
  }

  absl::Status Lookup(absl::Span<const FeatureId> keys, absl::Span<float> out) const override {
    if (out.size() != keys.size() * D) return SizeMismatch("out", out.size(), keys.size(), D);
    float* dst = out.data();
    for (const FeatureId key : keys) {
      if (!map_.find_fn(
              key, [dst](const Row<D>& row) { std::memcpy(dst, row.w.data(), sizeof(row.w)); })) {
        std::memset(dst, 0, sizeof(float) * D);
      }
      dst += D;
    }
    return absl::OkStatus();
  }

  absl::Status ApplyGradients(absl::Span<const FeatureId> keys, absl::Span<const float> grads,
                              int64_t event_time_ms) override {
    if (grads.size() != keys.size() * D) {
      return SizeMismatch("grads", grads.size(), keys.size(), D);
    }
    try {
      const float* g = grads.data();
      for (const FeatureId key : keys) {
        auto step = [this, g](Row<D>& row) {
          row.Adagrad(g, adagrad_);
          return false;  // keep the row
        };
        // uprase_fn runs `step` only on a row that was already there; a row it has just
        // created needs the step applied separately (rare: the bench prefills every key).
        if (map_.uprase_fn(key, step, key, seed_)) map_.update_fn(key, step);
        g += D;
      }
    } catch (const std::exception& e) {
      return FromException(name(), e);
    }
    return absl::OkStatus();
  }

  uint32_t PartitionOf(FeatureId key, uint32_t parts) const override {
    return static_cast<uint32_t>(map_.hash_function()(key) % parts);
  }

  uint64_t rows() const override { return map_.size(); }

 private:
  const BenchAdagrad adagrad_;
  const uint64_t seed_;
  libcuckoo::cuckoohash_map<uint64_t, Row<D>> map_;
};

template <uint32_t D>
class UnorderedMapBaseline final : public BenchTable {
 public:
  UnorderedMapBaseline(BenchAdagrad adagrad, uint64_t seed) : adagrad_(adagrad), seed_(seed) {}

  const char* name() const override { return "unordered_map"; }
  uint32_t dim() const override { return D; }

  absl::Status Insert(absl::Span<const FeatureId> keys) override {
    try {
      std::unique_lock lock(mu_);
      for (const FeatureId key : keys) map_.try_emplace(key, key, seed_);
    } catch (const std::exception& e) {
      return FromException(name(), e);
    }
    return absl::OkStatus();
  }

  absl::Status Lookup(absl::Span<const FeatureId> keys, absl::Span<float> out) const override {
    if (out.size() != keys.size() * D) return SizeMismatch("out", out.size(), keys.size(), D);
    float* dst = out.data();
    std::shared_lock lock(mu_);
    for (const FeatureId key : keys) {
      const auto it = map_.find(key);
      if (it != map_.end()) {
        std::memcpy(dst, it->second.w.data(), sizeof(it->second.w));
      } else {
        std::memset(dst, 0, sizeof(float) * D);
      }
      dst += D;
    }
    return absl::OkStatus();
  }

  absl::Status ApplyGradients(absl::Span<const FeatureId> keys, absl::Span<const float> grads,
                              int64_t event_time_ms) override {
    if (grads.size() != keys.size() * D) {
      return SizeMismatch("grads", grads.size(), keys.size(), D);
    }
    try {
      const float* g = grads.data();
      std::unique_lock lock(mu_);
      for (const FeatureId key : keys) {
        map_.try_emplace(key, key, seed_).first->second.Adagrad(g, adagrad_);
        g += D;
      }
    } catch (const std::exception& e) {
      return FromException(name(), e);
    }
    return absl::OkStatus();
  }

  uint32_t PartitionOf(FeatureId key, uint32_t parts) const override {
    return static_cast<uint32_t>(map_.hash_function()(key) % parts);
  }

  uint64_t rows() const override {
    std::shared_lock lock(mu_);
    return map_.size();
  }

 private:
  const BenchAdagrad adagrad_;
  const uint64_t seed_;
  // std::shared_mutex, not common::RwMutex: it is the baseline being measured. Its libstdc++ type
  // carries no capability attribute, so map_ cannot be ABSL_GUARDED_BY it.
  mutable std::shared_mutex mu_;
  std::unordered_map<uint64_t, Row<D>> map_;  // guarded by mu_
};

// Instantiates Table<D> for the supported dims.
template <template <uint32_t> class Table>
absl::StatusOr<std::unique_ptr<BenchTable>> NewForDim(uint32_t dim, BenchAdagrad adagrad,
                                                      uint64_t seed) {
  switch (dim) {
    case 4:
      return std::make_unique<Table<4>>(adagrad, seed);
    case 8:
      return std::make_unique<Table<8>>(adagrad, seed);
    case 16:
      return std::make_unique<Table<16>>(adagrad, seed);
    case 32:
      return std::make_unique<Table<32>>(adagrad, seed);
    case 64:
      return std::make_unique<Table<64>>(adagrad, seed);
    case 128:
      return std::make_unique<Table<128>>(adagrad, seed);
  }
  return absl::InvalidArgumentError(
      absl::StrCat("baseline tables support dims 4, 8, 16, 32, 64, 128; got ", dim));
}

}  // namespace

bool BaselineSupportsDim(uint32_t dim) {
  return dim == 4 || dim == 8 || dim == 16 || dim == 32 || dim == 64 || dim == 128;
}

absl::StatusOr<std::unique_ptr<BenchTable>> NewCuckooBaseline(uint32_t dim, BenchAdagrad adagrad,
                                                              uint64_t seed) {
  return NewForDim<CuckooBaseline>(dim, adagrad, seed);
}

absl::StatusOr<std::unique_ptr<BenchTable>> NewUnorderedMapBaseline(uint32_t dim,
                                                                    BenchAdagrad adagrad,
                                                                    uint64_t seed) {
  return NewForDim<UnorderedMapBaseline>(dim, adagrad, seed);
}

}  // namespace foryou::embedding
