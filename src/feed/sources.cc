// The candidate sources (see sources.h and docs/design/feed.md).
#include "feed/sources.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "absl/container/flat_hash_map.h"
#include "feed/challenge_source.h"

namespace foryou::feed {

namespace {

bool Servable(const VideoEntry& e) {
  return e.video.moderation == catalog::Moderation::kApproved ||
         e.video.moderation == catalog::Moderation::kLimited;
}

// Round-robin over several newest-first lists (one per seed), so every seed contributes.
void RoundRobin(const VideoIndex::Snapshot& index, const std::vector<const std::vector<uint32_t>*>& lists,
                int quota, std::vector<uint32_t>* out) {
  absl::flat_hash_set<uint32_t> taken;
  size_t depth = 0;
  bool more = true;
  while (more && static_cast<int>(taken.size()) < quota) {
    more = false;
    for (const std::vector<uint32_t>* list : lists) {
      if (depth >= list->size()) continue;
      more = true;
      const uint32_t i = (*list)[depth];
      if (Servable(*index.all[i]) && taken.insert(i).second) {
        out->push_back(i);
        if (static_cast<int>(taken.size()) >= quota) return;
      }
    }
    ++depth;
  }
}

class TrendingSource : public CandidateSource {
 public:
  Source source() const override { return Source::kTrending; }
  void Retrieve(const RetrievalContext& ctx, int quota, std::vector<uint32_t>* out) const override {
    // The user's country first, then language, then everyone: a region with little data still
    // gets a full list.
    absl::flat_hash_set<uint32_t> taken;
    for (const std::string& region : ctx.regions) {
      for (uint64_t key : ctx.stats->Trending(region, quota, ctx.now_ms)) {
        if (static_cast<int>(taken.size()) >= quota) return;
        auto it = ctx.index->by_key.find(key);
        if (it == ctx.index->by_key.end() || !Servable(*ctx.index->all[it->second])) continue;
        if (taken.insert(it->second).second) out->push_back(it->second);
      }
    }
  }
};

class FreshSource : public CandidateSource {
 public:
  Source source() const override { return Source::kFresh; }
  void Retrieve(const RetrievalContext& ctx, int quota, std::vector<uint32_t>* out) const override {
    // Testing videos get the controlled first exposure (fewest impressions first); graduates
    // fill the rest, best early rate first. `servable` is newest first: stop at max age.
    std::vector<std::pair<uint64_t, uint32_t>> testing;  // (impressions, index)
    std::vector<std::pair<double, uint32_t>> graduated;  // (rate, index)
    for (uint32_t i : ctx.index->servable) {
      const catalog::Video& v = ctx.index->all[i]->video;
      if (ctx.now_ms - v.upload_ms > ctx.fresh->max_age_ms) break;
      const VideoCounts counts = ctx.stats->Counts(ctx.index->all[i]->proto.video_key);
      switch (FreshStateOf(v, counts, *ctx.fresh, ctx.now_ms)) {
        case FreshState::kTesting: testing.emplace_back(counts.impressions, i); break;
        case FreshState::kGraduated: graduated.emplace_back(counts.EngagementRate(), i); break;
        default: break;
      }
    }
    // Ties (e.g. many unseen uploads) are broken at random so exposure spreads over the pool.
    std::shuffle(testing.begin(), testing.end(), *ctx.rng);
    std::stable_sort(testing.begin(), testing.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    std::sort(graduated.begin(), graduated.end(), [](const auto& a, const auto& b) {
      return a.first != b.first ? a.first > b.first : a.second < b.second;
    });
    const int test_quota = graduated.empty() ? quota : (quota + 1) / 2;
    int n = 0;
    for (size_t t = 0; t < testing.size() && n < test_quota; ++t, ++n) out->push_back(testing[t].second);
    for (size_t g = 0; g < graduated.size() && n < quota; ++g, ++n) out->push_back(graduated[g].second);
  }
};

class FollowingSource : public CandidateSource {
 public:
  Source source() const override { return Source::kFollowing; }
  void Retrieve(const RetrievalContext& ctx, int quota, std::vector<uint32_t>* out) const override {
    std::vector<const std::vector<uint32_t>*> lists;
    for (const std::string& creator : ctx.user->following) {
      auto it = ctx.index->by_creator.find(AttributeKey(creator));
      if (it != ctx.index->by_creator.end()) lists.push_back(&it->second);
    }
    RoundRobin(*ctx.index, lists, quota, out);
  }
};

class SimilarSource : public CandidateSource {
 public:
  Source source() const override { return Source::kSimilar; }
  void Retrieve(const RetrievalContext& ctx, int quota, std::vector<uint32_t>* out) const override {
    const EmbeddingMatrix* m = ctx.embeddings.get();
    if (m == nullptr || m->dim == 0 || ctx.positives.empty()) return;
    // Seeds: the 5 most recent positives that have an embedding row.
    const auto& row_of = m->row_of;
    std::vector<const float*> seeds;
    for (auto it = ctx.positives.rbegin(); it != ctx.positives.rend() && seeds.size() < 5; ++it) {
      auto r = row_of.find(*it);
      if (r == row_of.end()) continue;
      const float* row = m->rows.data() + r->second * m->dim;
      float norm = 0;
      for (int d = 0; d < m->dim; ++d) norm += row[d] * row[d];
      if (norm > 0) seeds.push_back(row);
    }
    if (seeds.empty()) return;
    // Brute force over every servable video, exact (docs/design/feed.md, "Why no ANN index").
    const size_t count = m->videos.size();
    const size_t padded = (count + kEmbeddingBlock - 1) / kEmbeddingBlock * kEmbeddingBlock;
    const std::vector<float>* blocks = &m->blocks;
    thread_local std::vector<float> own_blocks, best;
    if (blocks->size() != padded * static_cast<size_t>(m->dim)) {
      BlockRows(m->rows.data(), count, m->dim, &own_blocks);  // a matrix built without its blocks
      blocks = &own_blocks;
    }
    best.resize(count);
    BestSeedDots(seeds, *blocks, count, m->dim, best.data());
    std::vector<std::pair<float, uint32_t>> scored;
    scored.reserve(count);
    for (size_t r = 0; r < count; ++r) scored.emplace_back(best[r], m->videos[r]);
    const size_t keep = std::min<size_t>(scored.size(), static_cast<size_t>(quota) + seeds.size());
    std::partial_sort(scored.begin(), scored.begin() + keep, scored.end(),
                      [](const auto& a, const auto& b) {
                        return a.first != b.first ? a.first > b.first : a.second < b.second;
                      });
    // The snapshot the matrix was built on may be older than the request's: map by key.
    int n = 0;
    for (size_t i = 0; i < keep && n < quota; ++i) {
      const uint64_t key = m->index->all[scored[i].second]->proto.video_key;
      auto it = ctx.index->by_key.find(key);
      if (it == ctx.index->by_key.end() || !Servable(*ctx.index->all[it->second])) continue;
      out->push_back(it->second);
      ++n;
    }
  }
};

class SameSoundSource : public CandidateSource {
 public:
  Source source() const override { return Source::kSameSound; }
  void Retrieve(const RetrievalContext& ctx, int quota, std::vector<uint32_t>* out) const override {
    std::vector<const std::vector<uint32_t>*> lists;
    absl::flat_hash_set<uint64_t> sounds;
    for (auto it = ctx.likes.rbegin(); it != ctx.likes.rend(); ++it) {
      const VideoEntry* e = ctx.index->Find(*it);
      if (e == nullptr || e->proto.sound == 0 || !sounds.insert(e->proto.sound).second) continue;
      auto l = ctx.index->by_sound.find(e->proto.sound);
      if (l != ctx.index->by_sound.end()) lists.push_back(&l->second);
    }
    RoundRobin(*ctx.index, lists, quota, out);
  }
};

class SameHashtagSource : public CandidateSource {
 public:
  Source source() const override { return Source::kSameHashtag; }
  void Retrieve(const RetrievalContext& ctx, int quota, std::vector<uint32_t>* out) const override {
    // Each hashtag of the recent likes weighs as many likes as carry it; each sign-up interest
    // weighs one. The quota is shared in proportion, so three likes of #cats pull three times
    // the #cats videos one stray tag does.
    std::vector<std::pair<uint64_t, int>> tags;  // (hashtag, weight), first-seen order
    absl::flat_hash_map<uint64_t, size_t> at;
    auto add = [&](uint64_t h) {
      auto [it, inserted] = at.try_emplace(h, tags.size());
      if (inserted) tags.emplace_back(h, 0);
      ++tags[it->second].second;
    };
    for (auto it = ctx.likes.rbegin(); it != ctx.likes.rend(); ++it) {
      const VideoEntry* e = ctx.index->Find(*it);
      if (e == nullptr) continue;
      for (uint64_t h : e->proto.hashtags) add(h);
    }
    for (const std::string& interest : ctx.user->interests) add(AttributeKey(interest));
    int total = 0;
    for (const auto& t : tags) total += t.second;
    absl::flat_hash_set<uint32_t> taken;
    for (const auto& [h, weight] : tags) {
      auto l = ctx.index->by_hashtag.find(h);
      if (l == ctx.index->by_hashtag.end() || l->second.empty()) continue;
      const std::vector<uint32_t>& list = l->second;
      const int share = std::max(1, quota * weight / std::max(total, 1));
      // Start at a random place: newest-first alone would always offer the same few.
      const size_t start = (*ctx.rng)() % list.size();
      int n = 0;
      for (size_t k = 0; k < list.size() && n < share; ++k) {
        const uint32_t i = list[(start + k) % list.size()];
        if (!Servable(*ctx.index->all[i]) || !taken.insert(i).second) continue;
        out->push_back(i);
        ++n;
        if (static_cast<int>(taken.size()) >= quota) return;
      }
    }
  }
};

class ExploreSource : public CandidateSource {
 public:
  Source source() const override { return Source::kExplore; }
  void Retrieve(const RetrievalContext& ctx, int quota, std::vector<uint32_t>* out) const override {
    const std::vector<uint32_t>& pool = ctx.index->servable;
    if (pool.empty()) return;
    const absl::flat_hash_set<uint64_t> known = KnownInterests(ctx);
    absl::flat_hash_set<uint32_t> taken;
    // Bounded sampling: a catalog made only of known interests yields nothing, quickly.
    for (int attempt = 0; attempt < quota * 8 && static_cast<int>(taken.size()) < quota; ++attempt) {
      const uint32_t i = pool[(*ctx.rng)() % pool.size()];
      const Candidate& c = ctx.index->all[i]->proto;
      if (c.category != 0 && known.contains(c.category)) continue;
      if (taken.insert(i).second) out->push_back(i);
    }
  }
};

class WatchNextSource : public CandidateSource {
 public:
  Source source() const override { return Source::kWatchNext; }
  void Retrieve(const RetrievalContext& ctx, int quota, std::vector<uint32_t>* out) const override {
    if (ctx.watch_next == nullptr || quota <= 0) return;
    const std::vector<uint64_t> top = ctx.watch_next->Top(
        ctx.model_user, static_cast<size_t>(quota), ctx.now_ms, [&](uint64_t key) {
          if (ctx.seen.contains(key)) return true;
          auto it = ctx.index->by_key.find(key);
          return it == ctx.index->by_key.end() || !Servable(*ctx.index->all[it->second]);
        });
    for (uint64_t key : top) out->push_back(ctx.index->by_key.find(key)->second);
  }
};

}  // namespace

FreshState FreshStateOf(const catalog::Video& video, const VideoCounts& counts,
                        const FreshPoolOptions& options, int64_t now_ms) {
  if (now_ms - video.upload_ms > options.max_age_ms) return FreshState::kNotFresh;
  if (counts.impressions < options.test_impressions) return FreshState::kTesting;
  return counts.EngagementRate() >= options.graduate_rate ? FreshState::kGraduated
                                                          : FreshState::kFailed;
}

absl::flat_hash_set<uint64_t> KnownInterests(const RetrievalContext& ctx) {
  absl::flat_hash_set<uint64_t> known;
  for (const std::string& interest : ctx.user->interests) known.insert(AttributeKey(interest));
  for (uint64_t v : ctx.positives) {
    if (const VideoEntry* e = ctx.index->Find(v); e != nullptr && e->proto.category != 0) {
      known.insert(e->proto.category);
    }
  }
  return known;
}

void BlockRows(const float* rows, size_t n, int dim, std::vector<float>* blocks) {
  const size_t d_count = static_cast<size_t>(std::max(dim, 0));
  const size_t block_count = (n + kEmbeddingBlock - 1) / kEmbeddingBlock;
  blocks->assign(block_count * d_count * kEmbeddingBlock, 0.0f);
  for (size_t r = 0; r < n; ++r) {
    const size_t k = r / kEmbeddingBlock, j = r % kEmbeddingBlock;
    for (size_t d = 0; d < d_count; ++d) {
      (*blocks)[(k * d_count + d) * kEmbeddingBlock + j] = rows[r * d_count + d];
    }
  }
}

void BestSeedDots(absl::Span<const float* const> seeds, const std::vector<float>& blocks,
                  size_t n, int dim, float* best) {
  // Lane j of a vector (GCC / Clang vector extension) is row j's sum; each lane's multiply and
  // add are the scalar ones.
  using Lanes = float __attribute__((vector_size(kEmbeddingBlock * sizeof(float))));
  const size_t d_count = static_cast<size_t>(std::max(dim, 0));
  for (size_t k = 0; k * kEmbeddingBlock < n; ++k) {
    const float* block = blocks.data() + k * d_count * kEmbeddingBlock;
    Lanes block_best = {-2, -2, -2, -2, -2, -2, -2, -2};
    for (const float* seed : seeds) {
      Lanes dot = {};
      for (size_t d = 0; d < d_count; ++d) {
        Lanes column;
        std::memcpy(&column, block + d * kEmbeddingBlock, sizeof(column));
        const Lanes product = seed[d] * column;
        dot += product;
      }
      for (size_t j = 0; j < kEmbeddingBlock; ++j) block_best[j] = std::max(block_best[j], dot[j]);
    }
    const size_t rows_here = std::min(kEmbeddingBlock, n - k * kEmbeddingBlock);
    for (size_t j = 0; j < rows_here; ++j) best[k * kEmbeddingBlock + j] = block_best[j];
  }
}

std::vector<std::unique_ptr<CandidateSource>> MakeSources() {
  std::vector<std::unique_ptr<CandidateSource>> s;
  s.push_back(std::make_unique<TrendingSource>());
  s.push_back(std::make_unique<FreshSource>());
  s.push_back(std::make_unique<FollowingSource>());
  s.push_back(std::make_unique<SimilarSource>());
  s.push_back(std::make_unique<SameSoundSource>());
  s.push_back(std::make_unique<SameHashtagSource>());
  s.push_back(std::make_unique<ExploreSource>());
  s.push_back(std::make_unique<WatchNextSource>());
  s.push_back(std::make_unique<ChallengeSource>());
  return s;
}

}  // namespace foryou::feed
