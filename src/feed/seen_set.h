// The seen videos of one user as 4-byte fingerprints of their keys, and the hash set a feed
// request builds from them once to check its candidates.
//
// A seen set holds up to seen_capacity videos per user under one budget for all users
// (user_session.h): a fingerprint takes half the memory of a 64-bit video key, so the budget
// holds twice the videos. The price is a false positive: an unseen video whose fingerprint
// equals one of the user's N seen ones is treated as seen (not shown to that user while the
// other is in the window), with probability about N / 2^32 per video checked (5,000 seen:
// 1.2e-6). A seen video is never treated as unseen: no repeat comes from the fingerprint.
//
// Example:
//   SeenSet seen = {42, 7};                // video keys
//   if (seen.contains(candidate.video_key)) { /* already shown */ }
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>

#include "absl/container/flat_hash_set.h"

namespace foryou::feed {

// A 64-bit mix of the key (splitmix64's finaliser) cut to 32 bits: numeric video ids are their
// own keys, so their low bits alone would collide for ids 2^32 apart.
inline uint32_t SeenFingerprint(uint64_t key) {
  key ^= key >> 30;
  key *= 0xbf58476d1ce4e5b9ULL;
  key ^= key >> 27;
  key *= 0x94d049bb133111ebULL;
  key ^= key >> 31;
  return static_cast<uint32_t>(key);
}

class SeenSet {
 public:
  SeenSet() = default;
  SeenSet(std::initializer_list<uint64_t> keys) {
    for (uint64_t k : keys) insert(k);
  }
  void insert(uint64_t key) { fingerprints_.insert(SeenFingerprint(key)); }
  void InsertFingerprint(uint32_t fingerprint) { fingerprints_.insert(fingerprint); }
  void reserve(size_t n) { fingerprints_.reserve(n); }
  bool contains(uint64_t key) const { return fingerprints_.contains(SeenFingerprint(key)); }
  size_t size() const { return fingerprints_.size(); }
  bool empty() const { return fingerprints_.empty(); }

 private:
  absl::flat_hash_set<uint32_t> fingerprints_;
};

}  // namespace foryou::feed
