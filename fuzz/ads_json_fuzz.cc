// The ads engine's JSON bodies: accounts, campaigns, ad groups, ads and audiences
// (src/ads/model.h). A record a parser accepts must read back from its own *ToJson unchanged.
#include <cstdint>
#include <string>

#include "ads/model.h"
#include "fuzz/fuzz_util.h"

namespace {

template <typename Parse, typename ToJson>
void RoundTrip(absl::string_view text, Parse parse, ToJson to_json) {
  auto parsed = parse(text);
  if (!parsed.ok()) return;
  const std::string once = to_json(*parsed);
  auto back = parse(once);
  FORYOU_FUZZ_CHECK(back.ok() && to_json(*back) == once);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace foryou::ads;
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  RoundTrip(text, ParseAccount, AccountToJson);
  RoundTrip(text, ParseCampaign, CampaignToJson);
  RoundTrip(text, ParseAdGroup, AdGroupToJson);
  RoundTrip(text, ParseAd, AdToJson);
  RoundTrip(text, ParseAudience, AudienceToJson);
  return 0;
}
