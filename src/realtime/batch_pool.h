// FeatureBatchPool: feature batches reused across predictions, at most `max_kept` of them kept
// between uses. A batch keeps the capacity of the largest set of candidates it held (their
// sequence features fill as the users' recent lists do, up to ~1.4 KB a candidate); kept one
// per thread, as a thread_local was, the serve command's 128 handler threads each held their
// own for good. Kept in a pool, they follow the predictions running at once instead.
//
// Example:
//   FeatureBatchPool pool(8);
//   std::unique_ptr<model::FeatureBatch> b = pool.Take();
//   ... Extract into *b, predict ...
//   pool.Give(std::move(b));
#pragma once

#include <cstddef>
#include <memory>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "common/mutex.h"
#include "model/features.h"

namespace foryou::realtime {

// Thread-safe.
class FeatureBatchPool {
 public:
  explicit FeatureBatchPool(size_t max_kept) : max_kept_(max_kept) {}

  // A kept batch (its contents are stale: Extract overwrites them), or a new empty one.
  std::unique_ptr<model::FeatureBatch> Take() {
    {
      common::MutexLock lock(&mu_);
      if (!free_.empty()) {
        std::unique_ptr<model::FeatureBatch> b = std::move(free_.back());
        free_.pop_back();
        return b;
      }
    }
    return std::make_unique<model::FeatureBatch>();
  }

  // Keeps `batch` for a later Take, or frees it when max_kept are kept already.
  void Give(std::unique_ptr<model::FeatureBatch> batch) {
    common::MutexLock lock(&mu_);
    if (free_.size() < max_kept_) free_.push_back(std::move(batch));
  }

  size_t kept() const {
    common::MutexLock lock(&mu_);
    return free_.size();
  }

 private:
  const size_t max_kept_;
  mutable common::Mutex mu_;
  std::vector<std::unique_ptr<model::FeatureBatch>> free_ ABSL_GUARDED_BY(mu_);
};

}  // namespace foryou::realtime
