// DecodeEvent and DecodeUserDeletion over one binary log record (docs/formats/events.md, "Binary
// record" and "Deletion marker"). A record either accepts must encode back to a record that
// decodes to the same value; no record is both.
#include <cstdint>
#include <string>

#include "fuzz/fuzz_util.h"
#include "stream/event.h"
#include "stream/user_deletion.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace foryou::stream;
  const auto view = foryou::fuzz::AsView(data, size);
  absl::StatusOr<UserDeletion> d = DecodeUserDeletion(view);
  if (d.ok()) {
    std::string record;
    EncodeUserDeletion(*d, &record);
    absl::StatusOr<UserDeletion> again = DecodeUserDeletion(record);
    FORYOU_FUZZ_CHECK(again.ok() && again->user == d->user && again->epochs == d->epochs &&
                      again->time_ms == d->time_ms);
    FORYOU_FUZZ_CHECK(!DecodeEvent(view).ok());
    return 0;
  }
  absl::StatusOr<Event> e = DecodeEvent(view);
  if (!e.ok()) return 0;
  std::string record;
  EncodeEvent(*e, &record);
  absl::StatusOr<Event> again = DecodeEvent(record);
  FORYOU_FUZZ_CHECK(again.ok() && *again == *e);
  (void)EventToJson(*e);
  return 0;
}
