// Hashing of raw values into feature ids.
#include "embedding/feature_id.h"

#include "xxhash.h"

namespace foryou::embedding {

FeatureId HashFeature(uint32_t slot, std::string_view raw) {
  return MakeFeatureId(slot, XXH3_64bits(raw.data(), raw.size()));
}

FeatureId HashFeature(uint32_t slot, uint64_t raw) {
  return MakeFeatureId(slot, XXH3_64bits(&raw, sizeof(raw)));
}

}  // namespace foryou::embedding
