// The duplicate-detection bench behind bench/dedup.sh: reads the sources and transformed copies
// that script generates, compares frame hashes (DctHash, DctHash of the centre region, OpenCV
// img_hash PHash and BlockMeanHash) by brute force, then times DuplicateIndex::Lookup against
// an index of the real sources plus synthetic videos, against a linear scan of the same videos
// that applies the same rule exhaustively (every offset of every video) as the baseline.
//
//   dedup_bench --dir D --sources N --transforms lowrate,scale480,... [--videos 100000]
//               [--max-distance 10] [--aligned-distance 16] [--min-aligned 2]
//               [--compare-aligned 10,14,18/3] [--share 0.5] [--repeat 20]
// Files: D/sNN.mp4 (NN = 00..N-1) and D/sNN_<transform>.mp4.
#include <algorithm>
#include <bit>
#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/types/span.h"
#include "moderation/duplicate_index.h"
#include "moderation/frame_hash.h"
#include "opencv2/core.hpp"
#include "opencv2/img_hash.hpp"

namespace foryou::moderation {
namespace {

// A hash of any width as bytes; distance = popcount of the XOR.
using Bytes = std::vector<uint8_t>;

int Distance(const Bytes& a, const Bytes& b) {
  int d = 0;
  for (size_t i = 0; i < a.size(); ++i) d += std::popcount(static_cast<unsigned>(a[i] ^ b[i]));
  return d;
}

Bytes FromU64(uint64_t h) {
  Bytes b(8);
  for (int i = 0; i < 8; ++i) b[i] = static_cast<uint8_t>(h >> (8 * i));
  return b;
}

Bytes FromMat(const cv::Mat& m) { return Bytes(m.data, m.data + m.total() * m.elemSize()); }

// One kind's hashes of one video's frames: as is and of the mirrored frame.
struct KindHashes {
  std::vector<Bytes> plain, mirrored;
};

// dct64c: DctHash of the centre 60% x 60% of the frame (a centred crop or a caption near an
// edge changes it less); "dct64|c" (kEither) is a frame matching on either hash.
constexpr int kKinds = 4;
constexpr int kEither = kKinds;
const char* const kKindName[kKinds + 1] = {"dct64", "phash", "blockmean", "dct64c", "dct64|c"};
const int kKindBits[kKinds + 1] = {64, 64, 256, 64, 64};

struct Video {
  std::string name;
  KindHashes kind[kKinds];
  std::vector<uint64_t> dct;  // what the index gets
};

Video HashFile(const std::string& path, const std::string& name) {
  Video v;
  v.name = name;
  cv::Ptr<cv::img_hash::PHash> phash = cv::img_hash::PHash::create();
  cv::Ptr<cv::img_hash::BlockMeanHash> blockmean = cv::img_hash::BlockMeanHash::create();
  absl::Status s = ForEachSampledFrame(path, {}, [&](const cv::Mat& frame, int64_t) {
    if (DctHashDetail(frame) < kMinDctHashDetail) return;
    cv::Mat flipped;
    cv::flip(frame, flipped, 1);
    const uint64_t d = DctHash(frame);
    v.dct.push_back(d);
    v.kind[0].plain.push_back(FromU64(d));
    v.kind[0].mirrored.push_back(FromU64(d ^ kDctMirrorMask));
    cv::Mat out;
    phash->compute(frame, out);
    v.kind[1].plain.push_back(FromMat(out));
    phash->compute(flipped, out);
    v.kind[1].mirrored.push_back(FromMat(out));
    blockmean->compute(frame, out);
    v.kind[2].plain.push_back(FromMat(out));
    blockmean->compute(flipped, out);
    v.kind[2].mirrored.push_back(FromMat(out));
    const cv::Rect centre(frame.cols / 5, frame.rows / 5, frame.cols - 2 * (frame.cols / 5),
                          frame.rows - 2 * (frame.rows / 5));
    const uint64_t c = DctHash(frame(centre));
    v.kind[3].plain.push_back(FromU64(c));
    v.kind[3].mirrored.push_back(FromU64(c ^ kDctMirrorMask));
  });
  if (!s.ok()) {
    std::fprintf(stderr, "dedup_bench: %s\n", std::string(s.message()).c_str());
    std::exit(1);
  }
  return v;
}

bool FrameHit(const KindHashes& query, size_t i, const KindHashes& stored, int max_d) {
  for (const Bytes& s : stored.plain) {
    if (Distance(query.plain[i], s) <= max_d || Distance(query.mirrored[i], s) <= max_d) {
      return true;
    }
  }
  return false;
}

// The per-frame rule by brute force: the share of the query's frames with a frame of `stored`
// within `max_d` (as is or mirrored) reaches `share`. Kind kEither: on the full-frame or the
// centre hash.
bool Matches(const Video& query, const Video& stored, int kind, int max_d, double share) {
  const size_t n = query.dct.size();
  if (n == 0) return false;
  int matched = 0;
  for (size_t i = 0; i < n; ++i) {
    if (kind == kEither) {
      matched += FrameHit(query.kind[0], i, stored.kind[0], max_d) ||
                 FrameHit(query.kind[3], i, stored.kind[3], max_d);
    } else {
      matched += FrameHit(query.kind[kind], i, stored.kind[kind], max_d);
    }
  }
  return matched + 1e-9 >= share * static_cast<double>(n);
}

// DuplicateIndex's rule applied exhaustively to one stored video: frames within
// max_frame_distance anywhere, plus the best run (most frames within aligned_frame_distance at
// one offset) over every offset and both mirror states.
bool ScanMatches(absl::Span<const uint64_t> q, absl::Span<const uint64_t> v,
                 const DuplicateIndexOptions& o) {
  const int64_t n = static_cast<int64_t>(q.size()), m = static_cast<int64_t>(v.size());
  if (n == 0 || m == 0) return false;
  std::vector<bool> hit(n, false);
  for (int64_t i = 0; i < n; ++i) {
    for (uint64_t x : v) {
      if (std::popcount(q[i] ^ x) <= o.max_frame_distance ||
          std::popcount((q[i] ^ kDctMirrorMask) ^ x) <= o.max_frame_distance) {
        hit[i] = true;
        break;
      }
    }
  }
  std::vector<bool> best_run, run(n);
  int best = 0;
  for (const uint64_t flip : {uint64_t{0}, kDctMirrorMask}) {
    for (int64_t offset = -(n - 1); offset < m; ++offset) {
      int frames = 0;
      for (int64_t i = 0; i < n; ++i) {
        const int64_t j = i + offset;
        run[i] = j >= 0 && j < m && std::popcount((q[i] ^ flip) ^ v[j]) <= o.aligned_frame_distance;
        frames += run[i];
      }
      if (frames >= o.min_aligned_frames && frames > best) {
        best = frames;
        best_run = run;
      }
    }
  }
  int matched = 0;
  for (int64_t i = 0; i < n; ++i) matched += hit[i] || (best > 0 && best_run[i]);
  return matched + 1e-9 >= o.min_matched_share * static_cast<double>(n);
}

// CPU time of the calling thread: a lookup's cost without the time the shared machine's
// scheduler kept the thread off a core.
double ThreadCpuUs() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

// The index (the real sources plus synthetic videos of 3..8 random hashes up to `videos`)
// queried with every clip `repeat` times. `full`: latency percentiles, the scan baseline and
// the summary line; otherwise one line of rates and lookup CPU for the variant.
void RunIndex(const std::vector<Video>& originals, const std::vector<std::vector<Video>>& copies,
              const std::vector<std::string>& transforms, const DuplicateIndexOptions& options,
              int videos, int repeat, bool scan, bool full) {
  const int sources = static_cast<int>(originals.size());
  DuplicateIndex index(options);
  std::vector<std::vector<uint64_t>> all;  // for the scan baseline
  std::mt19937_64 rng(42);
  const auto b0 = std::chrono::steady_clock::now();
  for (const Video& o : originals) {
    if (!index.Add(o.name, o.dct).ok()) std::exit(1);
    all.push_back(o.dct);
  }
  for (int i = sources; i < videos; ++i) {
    std::vector<uint64_t> h(3 + rng() % 6);
    for (uint64_t& x : h) x = rng();
    if (!index.Add(absl::StrCat("syn", i), h).ok()) std::exit(1);
    all.push_back(std::move(h));
  }
  const double build_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - b0).count();
  if (full) {
    std::printf("index: %zu videos built in %.2f s (max_frame_distance=%d "
                "aligned_frame_distance=%d min_aligned_frames=%d min_matched_share=%.2f)\n",
                index.size(), build_s, options.max_frame_distance, options.aligned_frame_distance,
                options.min_aligned_frames, options.min_matched_share);
  }

  std::vector<double> lookup_us, lookup_cpu_us, scan_us;
  std::vector<int> per_t(transforms.size(), 0);
  int detected = 0, total = 0, false_real = 0, false_synthetic = 0, false_queries = 0;
  int queries = 0, scan_only = 0, index_only = 0;
  for (int s = 0; s < sources; ++s) {
    std::vector<const Video*> qs = {&originals[s]};
    for (const Video& c : copies[s]) qs.push_back(&c);
    for (size_t qi = 0; qi < qs.size(); ++qi) {
      const Video& q = *qs[qi];
      std::vector<DuplicateMatch> m;
      for (int r = 0; r < repeat; ++r) {
        const auto l0 = std::chrono::steady_clock::now();
        const double c0 = ThreadCpuUs();
        m = index.Lookup(q.dct);
        lookup_cpu_us.push_back(ThreadCpuUs() - c0);
        lookup_us.push_back(
            std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - l0)
                .count());
      }
      bool self = false, any_false = false;
      for (const DuplicateMatch& x : m) {
        if (x.video == originals[s].name) {
          self = true;
        } else {
          any_false = true;
          if (x.video.rfind("syn", 0) == 0) {
            ++false_synthetic;
          } else {
            ++false_real;
          }
        }
      }
      false_queries += any_false;
      if (scan) {
        // The baseline: the same rule, exhaustively, over every indexed video. The index finds
        // a run only from a seed its probe meets, so it may miss a match the scan finds.
        const auto s0 = std::chrono::steady_clock::now();
        int scan_hits = 0;
        for (const std::vector<uint64_t>& v : all) scan_hits += ScanMatches(q.dct, v, options);
        scan_us.push_back(
            std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - s0)
                .count());
        if (scan_hits > static_cast<int>(m.size())) scan_only += scan_hits - m.size();
        if (scan_hits < static_cast<int>(m.size())) index_only += m.size() - scan_hits;
      }
      if (qi > 0) {
        detected += self;
        per_t[qi - 1] += self;
        ++total;
      }
      ++queries;
    }
  }
  // False matches per pair of distinct real videos (a query and another source), as in the
  // brute-force table, plus the synthetic videos any query matched.
  const double real_pairs = static_cast<double>(queries) * (sources - 1);
  std::string per;
  for (size_t t = 0; t < transforms.size(); ++t) {
    absl::StrAppend(&per, absl::StrFormat(" %s=%.1f", transforms[t], 100.0 * per_t[t] / sources));
  }
  if (!full) {
    std::printf("variant aligned_frame_distance=%d min_aligned_frames=%d: detect%%=%.1f%s "
                "false_match%%=%.2f (%d) synthetic=%d lookup_cpu_us p50=%.0f p99=%.0f\n",
                options.aligned_frame_distance, options.min_aligned_frames,
                100.0 * detected / total, per.c_str(),
                100.0 * false_real / real_pairs, false_real, false_synthetic,
                Percentile(lookup_cpu_us, 0.5), Percentile(lookup_cpu_us, 0.99));
    return;
  }
  std::printf("index detection per transform:%s\n", per.c_str());
  std::printf("index false matches: %d of %.0f pairs of distinct sources (%.2f%%); %d synthetic "
              "videos matched; %d of %d queries matched another video\n",
              false_real, real_pairs, 100.0 * false_real / real_pairs, false_synthetic,
              false_queries, queries);
  if (scan) {
    std::printf("exhaustive scan vs index: %d matches only the scan found, %d only the index\n",
                scan_only, index_only);
  }
  std::printf("lookup us: p50=%.0f p99=%.0f (%zu lookups); linear scan baseline us: p50=%.0f "
              "p99=%.0f (%zu scans)\n",
              Percentile(lookup_us, 0.5), Percentile(lookup_us, 0.99), lookup_us.size(),
              Percentile(scan_us, 0.5), Percentile(scan_us, 0.99), scan_us.size());
  std::printf("lookup thread-CPU us: p50=%.0f p99=%.0f\n", Percentile(lookup_cpu_us, 0.5),
              Percentile(lookup_cpu_us, 0.99));
  std::printf("dedup detect_pct=%.1f false_match_pct=%.2f lookup_p50_us=%.0f lookup_p99_us=%.0f\n",
              100.0 * detected / total, 100.0 * false_real / real_pairs,
              Percentile(lookup_us, 0.5), Percentile(lookup_us, 0.99));
}

int Main(int argc, char** argv) {
  std::string dir;
  int sources = 0;
  std::vector<std::string> transforms;
  int videos = 100000, max_distance = 10, aligned_distance = 16, min_aligned = 2, repeat = 20;
  std::vector<std::pair<int, int>> compare_aligned;  // (aligned distance, min aligned frames)
  double share = 0.5;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--dir") dir = value;
    else if (flag == "--sources") sources = std::atoi(value.c_str());
    else if (flag == "--transforms") transforms = absl::StrSplit(value, ',');
    else if (flag == "--videos") videos = std::atoi(value.c_str());
    else if (flag == "--max-distance") max_distance = std::atoi(value.c_str());
    else if (flag == "--aligned-distance") aligned_distance = std::atoi(value.c_str());
    else if (flag == "--min-aligned") min_aligned = std::atoi(value.c_str());
    else if (flag == "--compare-aligned") {
      // D or D/K (K: min aligned frames, else --min-aligned's value).
      for (absl::string_view item : absl::StrSplit(value, ',', absl::SkipEmpty())) {
        const std::vector<std::string> dk = absl::StrSplit(item, '/');
        compare_aligned.emplace_back(std::atoi(dk[0].c_str()),
                                     dk.size() > 1 ? std::atoi(dk[1].c_str()) : -1);
      }
    }
    else if (flag == "--share") share = std::atof(value.c_str());
    else if (flag == "--repeat") repeat = std::atoi(value.c_str());
    else {
      std::fprintf(stderr, "dedup_bench: unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  if (dir.empty() || sources <= 1 || transforms.empty()) {
    std::fprintf(stderr, "usage: dedup_bench --dir D --sources N --transforms a,b,...\n");
    return 2;
  }

  // Hash every file.
  std::vector<Video> originals;
  std::vector<std::vector<Video>> copies(sources);  // [source][transform]
  size_t frames = 0;
  const auto t0 = std::chrono::steady_clock::now();
  for (int s = 0; s < sources; ++s) {
    const std::string base = absl::StrFormat("s%02d", s);
    originals.push_back(HashFile(absl::StrCat(dir, "/", base, ".mp4"), base));
    frames += originals.back().dct.size();
    for (const std::string& t : transforms) {
      copies[s].push_back(
          HashFile(absl::StrCat(dir, "/", base, "_", t, ".mp4"), absl::StrCat(base, "_", t)));
      frames += copies[s].back().dct.size();
    }
  }
  const double hash_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("hashed %d sources x %zu copies: %zu frames in %.1f s (%.1f ms per frame, all "
              "four kinds, mirror included)\n",
              sources, transforms.size(), frames, hash_s, 1000 * hash_s / frames);

  // Brute-force comparison of the kinds at a few thresholds (bits scaled to the hash width).
  std::printf("kind       max_d  detect%%  %s  false_match%%\n",
              absl::StrJoin(transforms, " ").c_str());
  for (int k : {0, 3, kEither, 1, 2}) {
    for (int d64 : {6, 8, 10, 12, 14}) {
      const int d = d64 * kKindBits[k] / 64;
      int detected = 0, total = 0;
      std::vector<int> per_t(transforms.size(), 0);
      for (int s = 0; s < sources; ++s) {
        for (size_t t = 0; t < transforms.size(); ++t) {
          const bool m = Matches(copies[s][t], originals[s], k, d, share);
          detected += m;
          per_t[t] += m;
          ++total;
        }
      }
      int false_matches = 0, pairs = 0;
      for (int s = 0; s < sources; ++s) {
        std::vector<const Video*> queries = {&originals[s]};
        for (const Video& c : copies[s]) queries.push_back(&c);
        for (const Video* q : queries) {
          for (int o = 0; o < sources; ++o) {
            if (o == s) continue;
            false_matches += Matches(*q, originals[o], k, d, share);
            ++pairs;
          }
        }
      }
      std::string per;
      for (size_t t = 0; t < transforms.size(); ++t) {
        absl::StrAppend(&per, absl::StrFormat(" %s=%.1f", transforms[t],
                                              100.0 * per_t[t] / sources));
      }
      std::printf("%-10s %5d  %6.1f %s  %.2f (%d/%d)\n", kKindName[k], d,
                  100.0 * detected / total, per.c_str(), 100.0 * false_matches / pairs,
                  false_matches, pairs);
    }
  }

  DuplicateIndexOptions options;
  options.max_frame_distance = max_distance;
  options.aligned_frame_distance = aligned_distance;
  options.min_aligned_frames = min_aligned;
  options.min_matched_share = share;
  for (const auto& [d, k] : compare_aligned) {
    DuplicateIndexOptions o = options;
    o.aligned_frame_distance = d;
    if (k > 0) o.min_aligned_frames = k;
    RunIndex(originals, copies, transforms, o, videos, repeat, /*scan=*/false, /*full=*/false);
  }
  RunIndex(originals, copies, transforms, options, videos, repeat, /*scan=*/true, /*full=*/true);
  return 0;
}

}  // namespace
}  // namespace foryou::moderation

int main(int argc, char** argv) { return foryou::moderation::Main(argc, argv); }
