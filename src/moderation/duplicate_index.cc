// HOW LOOKUP WORKS (multi-index hashing). Each 64-bit hash is cut into four 16-bit bands and
// every indexed frame is filed under its value in each band. If two hashes differ in at most
// d bits, then by pigeonhole some band differs in at most floor(d / 4) bits; so probing, in
// every band, the query's value with every flip of up to r = floor(d / 4) bits finds every
// frame within d, and each candidate is then checked on its full distance. With d = 10 that is
// 4 x 137 bucket reads per query frame (twice with the mirror), each bucket holding
// n / 65536 postings: the cost grows with the index but stays a small fraction of a scan.
//
// RUNS (seed and extend). A crop or a caption moves a frame's hash further than
// max_frame_distance, but a copy keeps the original's timing: its frames sit at one offset
// from the original's. Probing at radius r also meets many postings between
// max_frame_distance and aligned_frame_distance; each is a seed naming a video and an offset
// (stored position - query frame). Per seeded video and offset, query frame i is compared with
// stored frame i + offset, and the frames within aligned_frame_distance form a run; a run of at
// least min_aligned_frames lets its frames count as matched. A random hash lies within 16 bits
// of a given one with probability 3.5e-5, so one chance posting is common in a large index but
// two at one offset in one video are not: the looser distance needs no wider probe and adds
// few false matches. Each query frame is paired with one stored frame only: with any slack,
// two near-identical query frames (a still shot) could both pair with one chance posting and
// make a run of it. The check reads only the video's own hashes, min(query, video) per offset.
#include "moderation/duplicate_index.h"

#include <algorithm>
#include <bit>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "moderation/dct_hash_bits.h"
#include "nlohmann/json.hpp"

namespace foryou::moderation {
namespace {

uint16_t Band(uint64_t hash, int band) { return static_cast<uint16_t>(hash >> (16 * band)); }

std::vector<uint16_t> MasksUpTo(int radius) {
  std::vector<uint16_t> masks;
  for (uint32_t m = 0; m < (1u << 16); ++m) {
    if (std::popcount(m) <= radius) masks.push_back(static_cast<uint16_t>(m));
  }
  return masks;
}

bool ValidOptions(const DuplicateIndexOptions& o) {
  return o.max_frame_distance >= 0 && o.max_frame_distance <= 31 &&
         o.aligned_frame_distance >= o.max_frame_distance && o.aligned_frame_distance <= 31 &&
         o.min_aligned_frames >= 2 && o.min_aligned_frames <= static_cast<int>(kMaxFrameHashes) &&
         o.min_matched_share > 0 && o.min_matched_share <= 1;
}

// Offsets tried per seeded video: the seeds closest to the query first.
constexpr size_t kMaxRunsPerVideo = 16;

}  // namespace

absl::StatusOr<DuplicateIndexOptions> ParseDuplicateIndexOptions(absl::string_view json) {
  nlohmann::json j = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return absl::InvalidArgumentError("dedup options: not a JSON object");
  }
  DuplicateIndexOptions o;
  for (const auto& [key, value] : j.items()) {
    if (key == "max_frame_distance" && value.is_number_integer()) {
      o.max_frame_distance = value.get<int>();
    } else if (key == "aligned_frame_distance" && value.is_number_integer()) {
      o.aligned_frame_distance = value.get<int>();
    } else if (key == "min_aligned_frames" && value.is_number_integer()) {
      o.min_aligned_frames = value.get<int>();
    } else if (key == "min_matched_share" && value.is_number()) {
      o.min_matched_share = value.get<double>();
    } else if (key == "match_mirrored" && value.is_boolean()) {
      o.match_mirrored = value.get<bool>();
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("dedup options: unknown key or wrong type: ", key));
    }
  }
  if (!ValidOptions(o)) {
    return absl::InvalidArgumentError(
        "dedup options: max_frame_distance must be in [0, 31], aligned_frame_distance in "
        "[max_frame_distance, 31], min_aligned_frames in [2, 4096] and min_matched_share in "
        "(0, 1]");
  }
  return o;
}

DuplicateIndex::DuplicateIndex(DuplicateIndexOptions options)
    : options_(options),
      probe_radius_(options.max_frame_distance / kBands),
      probe_masks_(MasksUpTo(probe_radius_)) {
  if (!ValidOptions(options)) {
    std::fprintf(stderr, "DuplicateIndex: invalid options\n");
    std::abort();
  }
  common::WriterLock lock(&mu_);
  for (auto& band : bands_) band.resize(kBuckets);
}

absl::Status DuplicateIndex::Add(absl::string_view video, absl::Span<const uint64_t> hashes) {
  if (video.empty()) return absl::InvalidArgumentError("duplicate index: empty video id");
  if (hashes.size() > kMaxFrameHashes) {
    return absl::InvalidArgumentError(absl::StrCat("duplicate index: ", hashes.size(),
                                                   " frame hashes, more than ", kMaxFrameHashes));
  }
  // Frames repeated within a video (a still shot) would only lengthen the buckets: one
  // posting per distinct hash, at its first position.
  std::vector<std::pair<uint64_t, uint16_t>> distinct;
  distinct.reserve(hashes.size());
  for (size_t i = 0; i < hashes.size(); ++i) {
    distinct.emplace_back(hashes[i], static_cast<uint16_t>(i));
  }
  std::stable_sort(distinct.begin(), distinct.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  distinct.erase(std::unique(distinct.begin(), distinct.end(),
                             [](const auto& a, const auto& b) { return a.first == b.first; }),
                 distinct.end());

  common::WriterLock lock(&mu_);
  if (auto it = slot_of_.find(video); it != slot_of_.end()) {
    RemoveSlot(it->second);
    slot_of_.erase(it);
  }
  uint32_t slot;
  if (!free_slots_.empty()) {
    slot = free_slots_.back();
    free_slots_.pop_back();
  } else {
    slot = static_cast<uint32_t>(video_of_slot_.size());
    video_of_slot_.emplace_back();
    hashes_of_slot_.emplace_back();
  }
  video_of_slot_[slot] = std::string(video);
  for (const auto& [h, position] : distinct) {
    for (int b = 0; b < kBands; ++b) bands_[b][Band(h, b)].push_back(Posting{h, slot, position});
  }
  hashes_of_slot_[slot].assign(hashes.begin(), hashes.end());
  slot_of_.emplace(std::string(video), slot);
  return absl::OkStatus();
}

void DuplicateIndex::RemoveSlot(uint32_t slot) {
  for (uint64_t h : hashes_of_slot_[slot]) {
    for (int b = 0; b < kBands; ++b) {
      std::vector<Posting>& bucket = bands_[b][Band(h, b)];
      bucket.erase(std::remove_if(bucket.begin(), bucket.end(),
                                  [&](const Posting& p) { return p.slot == slot; }),
                   bucket.end());
    }
  }
  hashes_of_slot_[slot].clear();
  hashes_of_slot_[slot].shrink_to_fit();
  video_of_slot_[slot].clear();
  free_slots_.push_back(slot);
}

bool DuplicateIndex::Remove(absl::string_view video) {
  common::WriterLock lock(&mu_);
  auto it = slot_of_.find(video);
  if (it == slot_of_.end()) return false;
  RemoveSlot(it->second);
  slot_of_.erase(it);
  return true;
}

void DuplicateIndex::ProbeFrame(uint64_t query, uint32_t frame, bool mirrored,
                                std::vector<Seed>* seeds) const {
  const int max_d = options_.aligned_frame_distance;
  for (int b = 0; b < kBands; ++b) {
    const uint16_t value = Band(query, b);
    for (uint16_t mask : probe_masks_) {
      for (const Posting& p : bands_[b][value ^ mask]) {
        const int d = std::popcount(p.hash ^ query);
        if (d > max_d) continue;
        seeds->push_back(Seed{p.slot, frame, p.position, static_cast<uint8_t>(d), mirrored});
      }
    }
  }
}

DuplicateIndex::SlotMatch DuplicateIndex::MatchSlot(absl::Span<const uint64_t> query,
                                                    absl::Span<const Seed> seeds) const {
  // (query frame, distance) of every frame match, kept sparse: a long query meets thousands of
  // videos through chance seeds, and each costs only its seeds and its runs' overlaps.
  std::vector<std::pair<uint32_t, int>> hits;
  // Anywhere in the video: probing found every stored frame within max_frame_distance.
  for (const Seed& s : seeds) {
    if (s.distance <= options_.max_frame_distance) hits.emplace_back(s.frame, s.distance);
  }
  // Along a run: the offsets of the closest seeds, each checked over the whole overlap.
  const std::vector<uint64_t>& stored = hashes_of_slot_[seeds.front().slot];
  const int64_t n = static_cast<int64_t>(query.size());
  const int64_t m = static_cast<int64_t>(stored.size());
  std::vector<std::pair<int64_t, bool>> tried;  // (offset, mirrored)
  std::vector<std::pair<uint32_t, int>> run, best_run;
  int64_t best_sum = 0;
  for (const Seed& s : seeds) {
    if (tried.size() == kMaxRunsPerVideo) break;
    const std::pair<int64_t, bool> key{int64_t{s.position} - int64_t{s.frame}, s.mirrored};
    if (std::find(tried.begin(), tried.end(), key) != tried.end()) continue;
    tried.push_back(key);
    const int64_t offset = key.first;
    const uint64_t flip = s.mirrored ? kDctMirrorMask : 0;
    run.clear();
    int64_t sum = 0;
    for (int64_t i = std::max<int64_t>(0, -offset); i < std::min<int64_t>(n, m - offset); ++i) {
      const int d = std::popcount((query[i] ^ flip) ^ stored[i + offset]);
      if (d > options_.aligned_frame_distance) continue;
      run.emplace_back(static_cast<uint32_t>(i), d);
      sum += d;
    }
    if (run.size() >= static_cast<size_t>(options_.min_aligned_frames) &&
        (run.size() > best_run.size() || (run.size() == best_run.size() && sum < best_sum))) {
      best_sum = sum;
      best_run.swap(run);
    }
  }
  hits.insert(hits.end(), best_run.begin(), best_run.end());
  // Each query frame once, at its smallest distance.
  std::sort(hits.begin(), hits.end());
  SlotMatch out;
  for (size_t i = 0; i < hits.size(); ++i) {
    if (i > 0 && hits[i].first == hits[i - 1].first) continue;
    ++out.frames;
    out.distance_sum += hits[i].second;
  }
  return out;
}

std::vector<DuplicateMatch> DuplicateIndex::Lookup(absl::Span<const uint64_t> hashes) const {
  std::vector<DuplicateMatch> out;
  if (hashes.empty()) return out;
  std::vector<Seed> seeds;
  common::ReaderLock lock(&mu_);
  for (size_t i = 0; i < hashes.size(); ++i) {
    const uint32_t frame = static_cast<uint32_t>(i);
    ProbeFrame(hashes[i], frame, /*mirrored=*/false, &seeds);
    if (options_.match_mirrored) {
      ProbeFrame(hashes[i] ^ kDctMirrorMask, frame, /*mirrored=*/true, &seeds);
    }
  }
  // Per video, closest seeds first (MatchSlot tries the runs they start in that order).
  std::sort(seeds.begin(), seeds.end(), [](const Seed& a, const Seed& b) {
    if (a.slot != b.slot) return a.slot < b.slot;
    if (a.distance != b.distance) return a.distance < b.distance;
    if (a.frame != b.frame) return a.frame < b.frame;
    return a.position < b.position;
  });
  const double n = static_cast<double>(hashes.size());
  for (size_t begin = 0; begin < seeds.size();) {
    size_t end = begin + 1;
    while (end < seeds.size() && seeds[end].slot == seeds[begin].slot) ++end;
    const absl::Span<const Seed> group(seeds.data() + begin, end - begin);
    begin = end;
    const SlotMatch m = MatchSlot(hashes, group);
    const double share = m.frames / n;
    if (m.frames == 0 || share + 1e-12 < options_.min_matched_share) continue;
    out.push_back(DuplicateMatch{video_of_slot_[group.front().slot],
                                 static_cast<double>(m.distance_sum) / m.frames, share});
  }
  std::sort(out.begin(), out.end(), [](const DuplicateMatch& a, const DuplicateMatch& b) {
    if (a.matched_share != b.matched_share) return a.matched_share > b.matched_share;
    if (a.distance != b.distance) return a.distance < b.distance;
    return a.video < b.video;
  });
  return out;
}

bool DuplicateIndex::Contains(absl::string_view video) const {
  common::ReaderLock lock(&mu_);
  return slot_of_.contains(video);
}

size_t DuplicateIndex::size() const {
  common::ReaderLock lock(&mu_);
  return slot_of_.size();
}

namespace {
constexpr absl::string_view kFramePrefix = "dct64:";
}  // namespace

std::string FormatFrameHash(uint64_t hash) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i, hash >>= 4) out[i] = kHex[hash & 0xf];
  return out;
}

absl::StatusOr<uint64_t> ParseFrameHash(absl::string_view hex) {
  if (hex.size() != 16) {
    return absl::InvalidArgumentError(
        absl::StrCat("frame hash \"", hex.substr(0, 40), "\" is not 16 hex digits"));
  }
  uint64_t value = 0;
  for (char c : hex) {
    int digit;
    if (c >= '0' && c <= '9') {
      digit = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      digit = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      digit = c - 'A' + 10;
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("frame hash \"", hex, "\" has a character that is not a hex digit"));
    }
    value = (value << 4) | static_cast<uint64_t>(digit);
  }
  return value;
}

std::string SerializeFrameHashes(absl::Span<const uint64_t> hashes) {
  std::string out(kFramePrefix);
  out.reserve(kFramePrefix.size() + hashes.size() * 17);
  for (size_t i = 0; i < hashes.size(); ++i) {
    if (i > 0) out.push_back(',');
    out += FormatFrameHash(hashes[i]);
  }
  return out;
}

absl::StatusOr<std::vector<uint64_t>> ParseFrameHashes(absl::string_view text) {
  if (text.substr(0, kFramePrefix.size()) != kFramePrefix) {
    return absl::InvalidArgumentError(
        "frame hashes: missing the \"dct64:\" prefix (unknown hash kind or not a hash list)");
  }
  text.remove_prefix(kFramePrefix.size());
  std::vector<uint64_t> out;
  if (text.empty()) return out;
  if (text.size() > kMaxFrameHashes * 17) {
    return absl::InvalidArgumentError(
        absl::StrCat("frame hashes: more than ", kMaxFrameHashes, " hashes"));
  }
  for (absl::string_view part : absl::StrSplit(text, ',')) {
    absl::StatusOr<uint64_t> h = ParseFrameHash(part);
    if (!h.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("frame hashes: item ", out.size() + 1, ": ", h.status().message()));
    }
    out.push_back(*h);
  }
  if (out.size() > kMaxFrameHashes) {
    return absl::InvalidArgumentError(
        absl::StrCat("frame hashes: more than ", kMaxFrameHashes, " hashes"));
  }
  return out;
}

}  // namespace foryou::moderation
