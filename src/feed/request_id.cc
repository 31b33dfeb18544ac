#include "feed/request_id.h"

#include <charconv>

#include "absl/strings/str_format.h"

namespace foryou::feed {

namespace {
uint64_t Check(uint64_t seed, uint64_t n) {
  return (RequestSeed(seed, n) * 0xBF58476D1CE4E5B9ull) >> 40;
}
}  // namespace

uint64_t RequestSeed(uint64_t seed, uint64_t n) { return seed * 0x9E3779B97F4A7C15ull + n; }

std::string MakeRequestId(uint64_t seed, uint64_t n) {
  return absl::StrFormat("r%x-%x", n, Check(seed, n));
}

bool IsOwnRequestId(std::string_view id, uint64_t seed) {
  if (id.size() < 4 || id[0] != 'r') return false;
  const size_t dash = id.find('-');
  if (dash == std::string_view::npos || dash < 2 || dash + 1 >= id.size()) return false;
  uint64_t n = 0, check = 0;
  const char* end = id.data() + id.size();
  if (std::from_chars(id.data() + 1, id.data() + dash, n, 16).ptr != id.data() + dash ||
      std::from_chars(id.data() + dash + 1, end, check, 16).ptr != end) {
    return false;
  }
  return n >= 1 && check == Check(seed, n) && id == MakeRequestId(seed, n);
}

}  // namespace foryou::feed
