// Candidate sources: each a small class that proposes videos for one reason (docs/design/feed.md).
// The Retriever (retrieval.h) asks each for up to its quota and merges them (a video found twice
// keeps both sources). Sources read only the request's context and never filter by the feed
// rules; that is the rules' job, after ranking.
//
// Example:
//   std::vector<std::unique_ptr<CandidateSource>> sources = MakeSources();
//   std::vector<uint32_t> found;                     // indexes into ctx.index->all
//   sources[static_cast<int>(Source::kTrending)]->Retrieve(ctx, 150, &found);
#pragma once

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/types/span.h"
#include "catalog/challenge.h"
#include "catalog/types.h"
#include "feed/seen_set.h"
#include "feed/candidate.h"
#include "feed/engagement.h"
#include "feed/user_session.h"
#include "feed/video_index.h"
#include "feed/watch_next.h"

namespace foryou::feed {

// Unit-length model embeddings of the servable videos, refreshed in the background.
struct EmbeddingMatrix {
  int dim = 0;
  std::vector<uint32_t> videos;  // indexes into the snapshot below
  std::vector<float> rows;       // videos.size() x dim, each row unit length (or all zero)
  std::shared_ptr<const VideoIndex::Snapshot> index;  // the snapshot `videos` index into
  absl::flat_hash_map<uint64_t, size_t> row_of;        // video key -> row
  // `rows` again, 8 rows at a time, transposed (BlockRows): what BestSeedDots reads. Empty until
  // BlockRows fills it (the similar-videos source then blocks `rows` itself, per request).
  std::vector<float> blocks;
};

// Rows per block of EmbeddingMatrix::blocks: 8 floats, one AVX register.
inline constexpr size_t kEmbeddingBlock = 8;

// `rows` (n x dim, row-major) in blocks of kEmbeddingBlock rows, each block transposed:
// (*blocks)[(k * dim + d) * kEmbeddingBlock + j] = rows[(k * kEmbeddingBlock + j) * dim + d], the
// last block padded with zero rows.
void BlockRows(const float* rows, size_t n, int dim, std::vector<float>* blocks);

// For each of the n rows of `blocks` (BlockRows' layout): the largest dot product with any of
// `seeds` (each dim floats), or -2 without seeds. Each dot product is summed over d = 0, 1, ...
// in order, each product rounded before it is added, as the plain loop over one row compiled
// here does (with dim a multiple of 8: the same floats); 8 rows' sums advance together, one
// vector multiply and add per dimension. The similar-videos source's brute-force pass.
void BestSeedDots(absl::Span<const float* const> seeds, const std::vector<float>& blocks,
                  size_t n, int dim, float* best);

struct FreshPoolOptions {
  int64_t max_age_ms = 3 * 86'400'000;  // a video is "fresh" this long after upload
  uint64_t test_impressions = 50;       // controlled first exposure, then it graduates or not
  double graduate_rate = 0.15;          // VideoCounts::EngagementRate needed to graduate
  int slots_per_page = 1;               // test-pool videos placed on each page: 0 or 1
};

// The challenge source's share of a page (challenge_source.h).
struct ChallengeOptions {
  // At most ceil(count x max_per_10 / 10) items of a page of `count` carry the challenge
  // source; past them an entry competes on its other sources only (LimitChallengeItems).
  int max_per_10 = 1;
};

// What a source may read for one request.
struct RetrievalContext {
  const VideoIndex::Snapshot* index;
  const catalog::User* user;
  // The session's seeds (copied out of the session lock).
  std::vector<uint64_t> positives, likes;  // video keys, newest last
  std::vector<std::string> regions;        // "country:XX", "lang:xx", "*"
  EngagementStats* stats;
  std::shared_ptr<const EmbeddingMatrix> embeddings;  // may be null
  const FreshPoolOptions* fresh;
  int64_t now_ms;
  std::mt19937_64* rng;
  // The watch-next model (may be null), the user as it knows them, and the user's seen set
  // (copied; the watch-next source skips seen videos so its quota is not spent on them).
  WatchNext* watch_next = nullptr;
  std::string model_user;
  SeenSet seen;
  // The hashtag challenges active at now_ms (FeedService::ActiveChallenges); may be null.
  std::shared_ptr<const std::vector<catalog::Challenge>> challenges;
};

class CandidateSource {
 public:
  virtual ~CandidateSource() = default;
  virtual Source source() const = 0;
  // Appends up to `quota` indexes into ctx.index->all (servable videos only), best first.
  virtual void Retrieve(const RetrievalContext& ctx, int quota, std::vector<uint32_t>* out) const = 0;
};

// Every source, in Source order (the challenge source: challenge_source.h).
std::vector<std::unique_ptr<CandidateSource>> MakeSources();

// The fresh-upload pool's verdict on a video (FreshSource, explanations).
enum class FreshState { kNotFresh, kTesting, kGraduated, kFailed };
FreshState FreshStateOf(const catalog::Video& video, const VideoCounts& counts,
                        const FreshPoolOptions& options, int64_t now_ms);

// The hashtags the user is known to like: sign-up interests plus the categories of positives.
absl::flat_hash_set<uint64_t> KnownInterests(const RetrievalContext& ctx);

}  // namespace foryou::feed
