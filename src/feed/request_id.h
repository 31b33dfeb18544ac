// Feed request ids: "r<n>-<check>", n the service's request number and check a hash of n and
// the feed's seed. An impression whose request id passes IsOwnRequestId was served by this
// feed; any other (an imported log, another recommender, a client's own id) is foreign. The
// watch-next prior imitates whoever chose a user's exposures only when that was not this feed
// (docs/design/feed.md, "Whose exposures").
//
// Example:
//   const std::string id = MakeRequestId(options.seed, 42);   // "r2a-5f3c1e"
//   IsOwnRequestId(id, options.seed);                          // true
//   IsOwnRequestId("k1834", options.seed);                     // false
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace foryou::feed {

// The id of request number `n` (>= 1) of a feed whose options.seed is `seed`.
std::string MakeRequestId(uint64_t seed, uint64_t n);
// The per-request rng seed of that request (explore slots, fresh placement).
uint64_t RequestSeed(uint64_t seed, uint64_t n);
// True when `id` is MakeRequestId(seed, n) for some n.
bool IsOwnRequestId(std::string_view id, uint64_t seed);

}  // namespace foryou::feed
