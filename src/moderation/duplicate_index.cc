// HOW LOOKUP WORKS (multi-index hashing). Each 64-bit hash is cut into four 16-bit bands and
// every indexed frame is filed under its value in each band. If two hashes differ in at most
// d bits, then by pigeonhole some band differs in at most floor(d / 4) bits; so probing, in
// every band, the query's value with every flip of up to r = floor(d / 4) bits finds every
// frame within d, and each candidate is then checked on its full distance. With d = 10 that is
// 4 x 137 bucket reads per query frame (twice with the mirror), each bucket holding
// n / 65536 postings: the cost grows with the index but stays a small fraction of a scan.
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
  return o.max_frame_distance >= 0 && o.max_frame_distance <= 31 && o.min_matched_share > 0 &&
         o.min_matched_share <= 1;
}

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
        "dedup options: max_frame_distance must be in [0, 31] and min_matched_share in (0, 1]");
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
  // Frames repeated within a video (a still shot) would only lengthen the buckets.
  std::vector<uint64_t> distinct(hashes.begin(), hashes.end());
  std::sort(distinct.begin(), distinct.end());
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());

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
  for (uint64_t h : distinct) {
    for (int b = 0; b < kBands; ++b) bands_[b][Band(h, b)].push_back(Posting{h, slot});
  }
  hashes_of_slot_[slot] = std::move(distinct);
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

void DuplicateIndex::MatchFrame(uint64_t query, absl::flat_hash_map<uint32_t, int>* best) const {
  const int max_d = options_.max_frame_distance;
  for (int b = 0; b < kBands; ++b) {
    const uint16_t value = Band(query, b);
    for (uint16_t mask : probe_masks_) {
      for (const Posting& p : bands_[b][value ^ mask]) {
        const int d = std::popcount(p.hash ^ query);
        if (d > max_d) continue;
        auto [it, inserted] = best->try_emplace(p.slot, d);
        if (!inserted && d < it->second) it->second = d;
      }
    }
  }
}

std::vector<DuplicateMatch> DuplicateIndex::Lookup(absl::Span<const uint64_t> hashes) const {
  std::vector<DuplicateMatch> out;
  if (hashes.empty()) return out;
  struct Tally {
    int frames = 0;
    int64_t distance_sum = 0;
  };
  absl::flat_hash_map<uint32_t, Tally> tallies;
  absl::flat_hash_map<uint32_t, int> best;
  absl::flat_hash_map<uint32_t, int> best_mirrored;
  common::ReaderLock lock(&mu_);
  for (uint64_t q : hashes) {
    best.clear();
    MatchFrame(q, &best);
    if (options_.match_mirrored) {
      best_mirrored.clear();
      MatchFrame(q ^ kDctMirrorMask, &best_mirrored);
      for (const auto& [slot, d] : best_mirrored) {
        auto [it, inserted] = best.try_emplace(slot, d);
        if (!inserted && d < it->second) it->second = d;
      }
    }
    for (const auto& [slot, d] : best) {
      Tally& t = tallies[slot];
      ++t.frames;
      t.distance_sum += d;
    }
  }
  const double n = static_cast<double>(hashes.size());
  for (const auto& [slot, t] : tallies) {
    const double share = t.frames / n;
    if (share + 1e-12 < options_.min_matched_share) continue;
    out.push_back(DuplicateMatch{video_of_slot_[slot],
                                 static_cast<double>(t.distance_sum) / t.frames, share});
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
