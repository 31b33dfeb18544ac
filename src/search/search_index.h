// SearchIndex: full-text search over the catalog (videos, creators, sounds, hashtags) in a
// Xapian database, with prefix matching of the last word (as the user types) and popularity
// mixed into the ranking. Design: docs/design/search.md.
//
// Example:
//   SearchOptions o{.dir = data_dir + "/search"};
//   FORYOU_ASSIGN_OR_RETURN(auto index, SearchIndex::Open(o, store, &popularity));
//   store->SetListener([&](const catalog::CatalogChange& c) { (void)index->Apply(c); });
//   index->Start();  // periodic popularity refresh
//   FORYOU_ASSIGN_OR_RETURN(SearchPage page, index->Search("funny ca", SearchType::kVideos, 0, 20));
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "catalog/catalog_store.h"
#include "common/mutex.h"

namespace foryou::search {

enum class SearchType { kVideos, kCreators, kSounds, kHashtags };
std::string_view SearchTypeName(SearchType type);  // "videos", "creators", "sounds", "hashtags"
bool ParseSearchType(std::string_view name, SearchType* out);

// What the server knows about how much each video is watched, read periodically (never per
// request). Implementations must be thread-safe.
class Popularity {
 public:
  virtual ~Popularity() = default;
  // The engagement (>= 0; 0 = unknown) of each of `video_ids`. out: video_ids.size().
  virtual void VideoEngagement(absl::Span<const std::string> video_ids, double* out) const = 0;
};

struct SearchOptions {
  // The Xapian database directory. Open wipes it and rebuilds the index from the catalog.
  std::string dir;
  // The last word of a query matches every term it prefixes, capped at this many terms (the
  // most frequent ones).
  int max_prefix_expansion = 100;
  // Popularity adds up to `popularity_boost` to a result's text score (BM25): half of it at
  // `popularity_half` (engagement for a video, followers for a creator, videos for a sound or
  // hashtag), growing with log(1 + popularity).
  double popularity_boost = 2.0;
  double popularity_half = 100;
  // How often Start()'s thread re-reads the videos' engagement.
  int64_t refresh_ms = 60'000;
  // Largest offset a query may page to (deeper pages: InvalidArgument).
  int max_offset = 1000;
};

struct SearchResult {
  std::string id;     // video / creator / sound id, hashtag name
  std::string name;   // creator name, sound title, hashtag name; "" for a video
  uint64_t count = 0; // followers (creator), visible videos (sound, hashtag); 0 for a video
};

struct SearchPage {
  std::vector<SearchResult> results;
  bool more = false;  // results exist past this page
};

// Thread-safe. One writer: catalog changes and popularity refreshes serialize on one mutex
// around the WritableDatabase and the in-memory counts; each ends with a commit. Searches run
// on any number of threads, each on a Xapian::Database reader from a pool, reopened when a
// commit happened since it last read.
//
// Invariants (after every Apply / RefreshPopularity returns):
//   * exactly the catalog's approved videos have a document (pending, limited and removed
//     videos have none);
//   * creators, sounds and hashtags have a document iff at least one indexed video names them,
//     carrying that count (followers for creators: users whose `following` names them).
class SearchIndex {
 public:
  // Opens (wiping) options.dir and indexes every record of `store`. `store` and `popularity`
  // (may be null: no popularity) must outlive the index. Errors: Unavailable for a directory
  // Xapian cannot create, the store's errors.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<SearchIndex>> Open(
      SearchOptions options, const catalog::CatalogStore* store, const Popularity* popularity);
  ~SearchIndex();  // stops
  SearchIndex(const SearchIndex&) = delete;
  SearchIndex& operator=(const SearchIndex&) = delete;

  // Brings the documents of the changed records up to date, reading them back from the store
  // (a CatalogStore listener). Errors: the store's or Xapian's (the index may then lag for
  // those records until they change again).
  [[nodiscard]] absl::Status Apply(const catalog::CatalogChange& change);
  // Re-reads every indexed video's engagement and re-weights the ones that moved.
  [[nodiscard]] absl::Status RefreshPopularity();
  // Starts / stops the thread that calls RefreshPopularity every refresh_ms (Stop: idempotent).
  void Start();
  void Stop();

  // Up to `count` results of `type` from `offset`, best first. `query` is free text; its last
  // word is a prefix unless whitespace follows it. InvalidArgument for a count outside 1..100
  // or an offset outside 0..max_offset.
  [[nodiscard]] absl::StatusOr<SearchPage> Search(std::string_view query, SearchType type,
                                                  int offset, int count) const;

  uint64_t documents() const;  // (tests, the startup line)

 private:
  struct Reader;
  struct VideoInfo {
    std::string creator, sound;
    std::vector<std::string> hashtags;
    double weight = 0;  // the popularity weight in the document
  };
  struct State;  // the writer side (search_index.cc)

  SearchIndex(SearchOptions options, const catalog::CatalogStore* store,
              const Popularity* popularity);
  absl::Status Build() ABSL_LOCKS_EXCLUDED(write_mu_);
  std::unique_ptr<Reader> TakeReader() const ABSL_LOCKS_EXCLUDED(pool_mu_);
  void ReturnReader(std::unique_ptr<Reader> reader) const ABSL_LOCKS_EXCLUDED(pool_mu_);
  void Loop();
  double Weight(double popularity) const;

  const SearchOptions options_;
  const catalog::CatalogStore* const store_;
  const Popularity* const popularity_;

  mutable common::Mutex write_mu_;
  std::unique_ptr<State> state_ ABSL_GUARDED_BY(write_mu_);
  // Bumped after each commit; a reader older than it reopens.
  std::atomic<uint64_t> generation_{0};

  mutable common::Mutex pool_mu_;
  mutable std::vector<std::unique_ptr<Reader>> pool_ ABSL_GUARDED_BY(pool_mu_);

  common::Mutex thread_mu_;
  common::CondVar wake_;
  bool stop_ ABSL_GUARDED_BY(thread_mu_) = false;
  std::thread thread_ ABSL_GUARDED_BY(thread_mu_);
};

// Cursors of GET /v1/search: an opaque string for a result offset.
std::string EncodeCursor(int offset);
// InvalidArgument for a string EncodeCursor did not make (or an offset past max_offset).
[[nodiscard]] absl::StatusOr<int> DecodeCursor(std::string_view cursor, int max_offset);

}  // namespace foryou::search
