// EmbeddingRefresher: the similar-videos matrix and its background thread (see the header).
#include "feed/embedding_refresher.h"

#include <chrono>
#include <cmath>
#include <utility>
#include <vector>

#include "common/status_macros.h"

namespace foryou::feed {

EmbeddingRefresher::EmbeddingRefresher(const VideoIndex* index, const Scorer* scorer,
                                       int64_t period_ms)
    : index_(index), scorer_(scorer), period_ms_(period_ms) {}

EmbeddingRefresher::~EmbeddingRefresher() { Stop(); }

absl::Status EmbeddingRefresher::RefreshNow() {
  auto m = std::make_shared<EmbeddingMatrix>();
  m->index = index_->snapshot();
  m->dim = scorer_->embedding_dim();
  m->videos = m->index->servable;
  std::vector<uint64_t> keys;
  keys.reserve(m->videos.size());
  for (uint32_t i : m->videos) keys.push_back(m->index->all[i]->proto.video_key);
  m->rows.assign(keys.size() * m->dim, 0.0f);
  FORYOU_RETURN_IF_ERROR(scorer_->VideoEmbeddings(keys, m->rows.data()));
  m->row_of.reserve(keys.size());
  for (size_t r = 0; r < keys.size(); ++r) {
    float* row = m->rows.data() + r * m->dim;
    float norm = 0;
    for (int d = 0; d < m->dim; ++d) norm += row[d] * row[d];
    if (norm > 0) {
      const float inv = 1.0f / std::sqrt(norm);
      for (int d = 0; d < m->dim; ++d) row[d] *= inv;
    }
    m->row_of[keys[r]] = r;
  }
  BlockRows(m->rows.data(), keys.size(), m->dim, &m->blocks);
  common::MutexLock lock(&matrix_mu_);
  matrix_ = std::move(m);
  return absl::OkStatus();
}

std::shared_ptr<const EmbeddingMatrix> EmbeddingRefresher::current() const {
  common::MutexLock lock(&matrix_mu_);
  return matrix_;
}

void EmbeddingRefresher::Start() {
  common::MutexLock lock(&thread_mu_);
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] { Loop(); });
}

void EmbeddingRefresher::Stop() {
  std::thread thread;
  {
    common::MutexLock lock(&thread_mu_);
    stop_ = true;
    thread = std::move(thread_);
  }
  wake_.SignalAll();
  if (thread.joinable()) thread.join();
}

void EmbeddingRefresher::Loop() {
  common::MutexLock lock(&thread_mu_);
  while (!stop_) {
    lock.Unlock();
    RefreshNow().IgnoreError();  // a failed refresh keeps the previous matrix
    lock.Lock();
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(period_ms_);
    while (!stop_ && !wake_.WaitUntil(&thread_mu_, deadline)) {
    }
  }
}

}  // namespace foryou::feed
