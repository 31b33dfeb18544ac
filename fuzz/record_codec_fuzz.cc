// The catalog store's record decoders (docs/formats/catalog.md): the first input byte picks the
// record kind, the rest is a RocksDB value read under the key "<kind>/x". A value that decodes
// must encode to a value that decodes to the same record.
#include <cstdint>
#include <string>

#include "catalog/record_codec.h"
#include "catalog/types.h"
#include "fuzz/fuzz_util.h"

namespace {

template <typename Record>
void RoundTrip(std::string_view bytes) {
  Record r;
  if (!foryou::catalog::codec::Decode(bytes, "x", &r)) return;
  Record again;
  FORYOU_FUZZ_CHECK(foryou::catalog::codec::Decode(foryou::catalog::codec::Encode(r), "x", &again));
  FORYOU_FUZZ_CHECK(again == r);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace foryou::catalog;
  if (size == 0) return 0;
  const std::string_view bytes = foryou::fuzz::AsView(data + 1, size - 1);
  switch (data[0] % 6) {
    case 0: RoundTrip<User>(bytes); break;
    case 1: RoundTrip<Video>(bytes); break;
    case 2: RoundTrip<Creator>(bytes); break;
    case 3: RoundTrip<Sound>(bytes); break;
    case 4: RoundTrip<Hashtag>(bytes); break;
    default: {
      uint32_t version = 0;
      (void)codec::DecodeFormat(bytes, &version);
      break;
    }
  }
  return 0;
}
