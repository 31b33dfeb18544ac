// Search latency as people type: queries of 1-3 words whose last word is a 2-5 letter prefix,
// over a catalog of 100,000 generated videos (captions and hashtags drawn Zipf-wise from a
// vocabulary of everyday short-video words, 5,000 creators, 2,000 sounds, engagement from a
// heavy-tailed draw) on top of an existing catalog when FORYOU_SEARCH_BENCH_CATALOG names one
// (the demo's: <data_dir>/catalog of `foryou serve --import demo/kuairand`, copied first).
// Reports p50 / p99 per query type as counters; the build of the index is timed too.
// Run: build/release/src/search/search_benchmark
//      FORYOU_SEARCH_BENCH_CATALOG=/tmp/demo-data/catalog build/release/src/search/search_benchmark
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "search/search_index.h"

namespace foryou::search {
namespace {

constexpr int kVideos = 100'000, kCreators = 5'000, kSounds = 2'000, kUsers = 20'000;

// Everyday words of short-video captions and hashtags.
const std::vector<std::string>& Vocabulary() {
  static const std::vector<std::string> words = {
      "fyp", "foryou", "viral", "funny", "dance", "trend", "love", "cute", "dog", "cat", "puppy",
      "kitten", "food", "recipe", "cooking", "baking", "pasta", "pizza", "coffee", "breakfast",
      "lunch", "dinner", "healthy", "workout", "gym", "fitness", "yoga", "running", "football",
      "soccer", "basketball", "skate", "skateboard", "surf", "beach", "summer", "winter", "snow",
      "travel", "trip", "vacation", "mountain", "hiking", "camping", "nature", "sunset", "sunrise",
      "city", "night", "music", "song", "guitar", "piano", "singing", "cover", "remix", "beat",
      "comedy", "prank", "challenge", "duet", "stitch", "tutorial", "howto", "tips", "hack",
      "lifehack", "diy", "craft", "art", "drawing", "painting", "makeup", "skincare", "beauty",
      "fashion", "outfit", "style", "hair", "nails", "shopping", "haul", "review", "unboxing",
      "tech", "phone", "gaming", "game", "minecraft", "fortnite", "anime", "movie", "series",
      "book", "booktok", "study", "school", "college", "exam", "work", "office", "job", "money",
      "finance", "business", "motivation", "mindset", "quote", "story", "storytime", "family",
      "baby", "kids", "mom", "dad", "wedding", "birthday", "party", "friends", "couple",
      "relationship", "dating", "car", "cars", "bike", "garden", "plants", "flowers", "home",
      "decor", "cleaning", "organize", "asmr", "satisfying", "relax", "sleep", "morning",
      "routine", "dayinmylife", "vlog", "weekend", "holiday", "christmas", "halloween", "spring",
      "autumn", "rain", "weather", "ocean", "fish", "fishing", "bird", "horse", "farm", "science",
      "space", "history", "facts", "learn", "language", "english", "spanish", "magic", "trick",
      "talent", "amazing", "wow", "best", "new", "first", "last", "day", "time", "life", "world",
      "happy", "sad", "crazy", "wild", "little", "big", "old", "young", "real", "perfect",
      "easy", "quick", "simple", "homemade", "street", "market", "chef", "kitchen", "dessert",
      "cake", "chocolate", "icecream", "fruit", "salad", "burger", "sushi", "ramen", "tacos",
      "noodles", "spicy", "sweet", "drink", "smoothie", "tea", "wine", "beer", "cocktail"};
  return words;
}

struct Bench {
  std::string dir;
  std::unique_ptr<catalog::CatalogStore> store;
  std::unique_ptr<SearchIndex> index;
  double build_seconds = 0, build_cpu_seconds = 0;
  uint64_t catalog_videos = 0;
  std::vector<std::string> queries;

  class Engagement : public Popularity {
   public:
    void VideoEngagement(absl::Span<const std::string> ids, double* out) const override {
      for (size_t i = 0; i < ids.size(); ++i) {
        // Heavy-tailed, fixed per id.
        const uint64_t h = std::hash<std::string>()(ids[i]);
        out[i] = std::pow(10.0, static_cast<double>(h % 6000) / 1000.0) - 1;
      }
    }
  } engagement;

  Bench() {
    dir = absl::StrCat(std::filesystem::temp_directory_path().string(), "/search_bench_", getpid());
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    if (const char* base = std::getenv("FORYOU_SEARCH_BENCH_CATALOG"); base != nullptr && *base) {
      std::filesystem::copy(base, dir + "/catalog", std::filesystem::copy_options::recursive);
      std::filesystem::remove(dir + "/catalog/LOCK");
    }
    auto s = catalog::CatalogStore::Open(dir + "/catalog");
    if (!s.ok()) {
      std::fprintf(stderr, "search_benchmark: %s\n", s.status().ToString().c_str());
      std::exit(1);
    }
    store = std::move(*s);
    catalog_videos = store->num_videos();
    const auto& words = Vocabulary();
    std::mt19937_64 rng(42);
    std::vector<double> zipf(words.size());
    for (size_t i = 0; i < words.size(); ++i) zipf[i] = 1.0 / std::pow(i + 1.0, 0.9);
    std::discrete_distribution<int> word(zipf.begin(), zipf.end());
    std::uniform_int_distribution<int> caption_len(3, 12), tag_count(1, 4);
    catalog::CatalogStore::Batch batch;
    for (int i = 0; i < kCreators; ++i) {
      batch.creators.push_back({.id = absl::StrCat("gen_creator_", i),
                                .name = absl::StrCat(words[word(rng)], " ", words[word(rng)], " ", i)});
    }
    for (int i = 0; i < kSounds; ++i) {
      batch.sounds.push_back({.id = absl::StrCat("gen_sound_", i),
                              .title = absl::StrCat(words[word(rng)], " ", words[word(rng)])});
    }
    for (int i = 0; i < kUsers; ++i) {
      batch.users.push_back({.id = absl::StrCat("gen_user_", i),
                             .following = {absl::StrCat("gen_creator_", rng() % kCreators)}});
    }
    for (int i = 0; i < kVideos; ++i) {
      catalog::Video v;
      v.id = absl::StrCat("gen_", i);
      v.creator = absl::StrCat("gen_creator_", rng() % kCreators);
      v.sound = absl::StrCat("gen_sound_", rng() % kSounds);
      std::vector<std::string> caption;
      for (int n = caption_len(rng); n > 0; --n) caption.push_back(words[word(rng)]);
      v.caption = absl::StrJoin(caption, " ");
      for (int n = tag_count(rng); n > 0; --n) v.hashtags.push_back(words[word(rng)]);
      v.duration_ms = 15'000;
      v.upload_ms = 1'700'000'000'000 + i;
      v.moderation = i % 20 == 0 ? catalog::Moderation::kPending : catalog::Moderation::kApproved;
      batch.videos.push_back(std::move(v));
    }
    if (absl::Status st = store->Write(batch, /*sync=*/false); !st.ok()) {
      std::fprintf(stderr, "search_benchmark: %s\n", st.ToString().c_str());
      std::exit(1);
    }
    const auto start = std::chrono::steady_clock::now();
    const std::clock_t cpu_start = std::clock();
    auto i = SearchIndex::Open({.dir = dir + "/search"}, store.get(), &engagement);
    if (!i.ok()) {
      std::fprintf(stderr, "search_benchmark: %s\n", i.status().ToString().c_str());
      std::exit(1);
    }
    build_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    build_cpu_seconds = static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
    index = std::move(*i);
    std::uniform_int_distribution<int> words_in_query(1, 3), prefix_len(2, 5);
    for (int q = 0; q < 2000; ++q) {
      std::vector<std::string> parts;
      for (int n = words_in_query(rng); n > 0; --n) parts.push_back(words[word(rng)]);
      std::string& last = parts.back();
      last = last.substr(0, std::min<size_t>(last.size(), prefix_len(rng)));
      queries.push_back(absl::StrJoin(parts, " "));
    }
  }
  ~Bench() {
    index.reset();
    store.reset();
    std::filesystem::remove_all(dir);
  }
};

double ThreadCpuMs() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

Bench& World() {
  static Bench* bench = new Bench();  // shared by every benchmark, removed at exit
  static const bool cleanup = [] {
    std::atexit([] { delete bench; });
    return true;
  }();
  (void)cleanup;
  return *bench;
}

void BM_Search(benchmark::State& state) {
  Bench& b = World();
  const SearchType type = static_cast<SearchType>(state.range(0));
  std::vector<double> ms, cpu_ms;
  size_t q = 0, results = 0;
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    const double cpu_start = ThreadCpuMs();
    auto page = b.index->Search(b.queries[q++ % b.queries.size()], type, 0, 20);
    ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
    cpu_ms.push_back(ThreadCpuMs() - cpu_start);
    if (!page.ok()) {
      state.SkipWithError(page.status().ToString().c_str());
      return;
    }
    results += page->results.size();
    benchmark::DoNotOptimize(page);
  }
  std::sort(ms.begin(), ms.end());
  std::sort(cpu_ms.begin(), cpu_ms.end());
  const size_t p99 = std::min(ms.size() - 1, ms.size() * 99 / 100);
  state.counters["p50_ms"] = ms[ms.size() / 2];
  state.counters["p99_ms"] = ms[p99];
  // CPU time of the query's thread: what the query costs when the machine is not shared.
  state.counters["cpu_p50_ms"] = cpu_ms[cpu_ms.size() / 2];
  state.counters["cpu_p99_ms"] = cpu_ms[p99];
  state.counters["results"] = static_cast<double>(results) / static_cast<double>(ms.size());
  state.counters["docs"] = static_cast<double>(b.index->documents());
  state.counters["catalog_videos"] = static_cast<double>(b.catalog_videos);
  state.counters["build_s"] = b.build_seconds;
  state.counters["build_cpu_s"] = b.build_cpu_seconds;
  state.SetLabel(std::string(SearchTypeName(type)));
}
BENCHMARK(BM_Search)
    ->Arg(static_cast<int>(SearchType::kVideos))
    ->Arg(static_cast<int>(SearchType::kCreators))
    ->Arg(static_cast<int>(SearchType::kHashtags))
    ->Iterations(2000)
    ->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace foryou::search

BENCHMARK_MAIN();
