// The one place an application's id becomes a 64-bit feature key. Users, videos, creators,
// sounds, hashtags and surfaces are strings chosen by the application (stream/event.h's id
// rules); the model, the joiner, the feed and the catalog's indexes key them with these
// functions, so an id means the same row everywhere.
//
// Example:
//   uint64_t k = common::VideoKey("42");       // 42: a decimal id below 10^18 is its own key
//   uint64_t h = common::VideoKey("clip-7");   // anything else: HashId("clip-7")
#pragma once

#include <cstdint>
#include <string_view>

namespace foryou::common {

// Stable 64-bit id of a string value: XXH3-64 of its bytes, 1 where that is 0; "" -> 0 (unknown).
uint64_t HashId(std::string_view value);

// The key of an application id: a decimal number of 1-18 digits without a leading zero is its own
// key (so catalogs keyed by numeric ids, like KuaiRand's, need no mapping); any other string,
// HashId(id).
uint64_t IdKey(std::string_view id);

inline uint64_t UserKey(std::string_view user) { return IdKey(user); }
inline uint64_t VideoKey(std::string_view video) { return IdKey(video); }

}  // namespace foryou::common
