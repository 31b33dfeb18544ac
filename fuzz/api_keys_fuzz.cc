// ApiKeys::Parse over a keys file (`{"keys": [...]}`, server/api_keys.h). Every key it accepts must be found
// with the role the file gives it.
#include <cstdint>

#include "fuzz/fuzz_util.h"
#include "server/api_keys.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace foryou::server;
  absl::StatusOr<ApiKeys> keys = ApiKeys::Parse(foryou::fuzz::AsView(data, size));
  if (!keys.ok()) return 0;
  for (const ApiKeys::Entry& e : keys->entries()) {
    FORYOU_FUZZ_CHECK(keys->Find(e.key) == e.role);
  }
  return 0;
}
