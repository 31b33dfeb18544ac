#include "common/id_key.h"

#include "xxhash.h"

namespace foryou::common {

uint64_t HashId(std::string_view value) {
  if (value.empty()) return 0;
  const uint64_t h = XXH3_64bits(value.data(), value.size());
  return h == 0 ? 1 : h;
}

uint64_t IdKey(std::string_view id) {
  if (!id.empty() && id.size() <= 18 && (id.size() == 1 || id[0] != '0')) {
    uint64_t v = 0;
    bool digits = true;
    for (char c : id) {
      if (c < '0' || c > '9') {
        digits = false;
        break;
      }
      v = v * 10 + static_cast<uint64_t>(c - '0');
    }
    if (digits) return v;
  }
  return HashId(id);
}

}  // namespace foryou::common
