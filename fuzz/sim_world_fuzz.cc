// ParseWorldCalibration over config/sim_world.json's format (docs/formats/sim_world.md).
#include <cstdint>

#include "fuzz/fuzz_util.h"
#include "sim/world.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)foryou::sim::ParseWorldCalibration(foryou::fuzz::AsView(data, size));
  return 0;
}
