// EmbeddingRefresher: keeps the similar-videos source's matrix of unit-length model embeddings
// of the servable videos (EmbeddingMatrix, sources.h) current. Each refresh reads the index's
// snapshot and the scorer's embeddings into a new matrix and swaps it in; requests keep the
// matrix they started with. A background thread refreshes every `period_ms`.
//
// Thread-safe: current() and RefreshNow() from any thread; Start/Stop from one owner.
//
// Example:
//   EmbeddingRefresher refresher(&index, &scorer, 2000);
//   refresher.Start();                                  // refreshes now, then every 2 s
//   std::shared_ptr<const EmbeddingMatrix> m = refresher.current();  // per request
//   refresher.Stop();                                   // or the destructor
#pragma once

#include <cstdint>
#include <memory>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "common/mutex.h"
#include "feed/scorer.h"
#include "feed/sources.h"
#include "feed/video_index.h"

namespace foryou::feed {

class EmbeddingRefresher {
 public:
  // `index` and `scorer` must outlive the refresher.
  EmbeddingRefresher(const VideoIndex* index, const Scorer* scorer, int64_t period_ms);
  ~EmbeddingRefresher();  // stops the thread
  EmbeddingRefresher(const EmbeddingRefresher&) = delete;
  EmbeddingRefresher& operator=(const EmbeddingRefresher&) = delete;

  // Rebuilds the matrix now. On an error from the scorer the previous matrix stays.
  [[nodiscard]] absl::Status RefreshNow();
  // The latest matrix (null before the first refresh).
  std::shared_ptr<const EmbeddingMatrix> current() const;

  // Starts the background thread (a no-op while it runs) / stops it (idempotent).
  void Start();
  void Stop();

 private:
  void Loop();

  const VideoIndex* const index_;
  const Scorer* const scorer_;
  const int64_t period_ms_;

  mutable common::Mutex matrix_mu_;
  std::shared_ptr<const EmbeddingMatrix> matrix_ ABSL_GUARDED_BY(matrix_mu_);

  common::Mutex thread_mu_;
  common::CondVar wake_;
  bool stop_ ABSL_GUARDED_BY(thread_mu_) = false;
  std::thread thread_ ABSL_GUARDED_BY(thread_mu_);
};

}  // namespace foryou::feed
