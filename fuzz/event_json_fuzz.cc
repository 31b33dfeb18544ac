// ParseEventBatch over a POST /v1/events body. Every accepted event must survive both of its
// round trips: EventToJson -> EventFromJson and EncodeEvent -> DecodeEvent.
#include <cstdint>
#include <string>

#include "fuzz/fuzz_util.h"
#include "nlohmann/json.hpp"
#include "stream/event.h"

namespace {
constexpr int64_t kNowMs = 1700000000000;  // a fixed clock keeps every run reproducible
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace foryou::stream;
  absl::StatusOr<BatchParseResult> batch =
      ParseEventBatch(foryou::fuzz::AsView(data, size), kNowMs, 1 << 16, 256);
  if (!batch.ok()) return 0;
  for (const Event& e : batch->accepted) {
    FORYOU_FUZZ_CHECK(ValidateEvent(e, kNowMs).ok());
    const nlohmann::json j = nlohmann::json::parse(EventToJson(e), nullptr, false);
    FORYOU_FUZZ_CHECK(!j.is_discarded());
    absl::StatusOr<Event> back = EventFromJson(j, kNowMs);
    FORYOU_FUZZ_CHECK(back.ok() && *back == e);
    std::string record;
    EncodeEvent(e, &record);
    absl::StatusOr<Event> decoded = DecodeEvent(record);
    FORYOU_FUZZ_CHECK(decoded.ok() && *decoded == e);
  }
  return 0;
}
