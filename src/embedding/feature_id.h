// Feature ids: the 64-bit keys of the embedding table.
//
// A feature id packs a slot (which field: user_id, video_id, author_id, sound, hashtag, ...) in
// its top 15 bits and a 48-bit hash of the raw value below, as Monolith does:
//   bit 63 = 0 | bits 62..48 = slot (15 bits) | bits 47..0 = hash of the raw value
// Two different raw values of one slot share a feature id only if their 48-bit hashes collide
// (about n^2 / 2^49 pairs among n values: ~0.2 pairs in 10M values); the table itself never
// puts two distinct feature ids in one row.
#pragma once

#include <cstdint>
#include <string_view>

namespace foryou::embedding {

using FeatureId = uint64_t;

inline constexpr int kSlotBits = 15;
inline constexpr int kHashBits = 48;
inline constexpr uint32_t kMaxSlot = (1u << kSlotBits) - 1;
inline constexpr uint64_t kHashMask = (uint64_t{1} << kHashBits) - 1;

// Packs `slot` (< 2^15) and the low 48 bits of `hash`.
constexpr FeatureId MakeFeatureId(uint32_t slot, uint64_t hash) {
  return (static_cast<uint64_t>(slot & kMaxSlot) << kHashBits) | (hash & kHashMask);
}

constexpr uint32_t SlotOf(FeatureId id) { return static_cast<uint32_t>(id >> kHashBits) & kMaxSlot; }

// The feature id of a raw string value (an application id, a hashtag, ...) in `slot`,
// using XXH3-64 of the bytes.
FeatureId HashFeature(uint32_t slot, std::string_view raw);

// The feature id of a raw integer value in `slot` (mixed so that dense integer ids spread).
FeatureId HashFeature(uint32_t slot, uint64_t raw);

}  // namespace foryou::embedding
