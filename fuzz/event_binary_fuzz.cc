// DecodeEvent over one binary log record (docs/formats/events.md, "Binary record"). A record it
// accepts must encode back to a record that decodes to the same event.
#include <cstdint>
#include <string>

#include "fuzz/fuzz_util.h"
#include "stream/event.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace foryou::stream;
  absl::StatusOr<Event> e = DecodeEvent(foryou::fuzz::AsView(data, size));
  if (!e.ok()) return 0;
  std::string record;
  EncodeEvent(*e, &record);
  absl::StatusOr<Event> again = DecodeEvent(record);
  FORYOU_FUZZ_CHECK(again.ok() && *again == *e);
  (void)EventToJson(*e);
  return 0;
}
