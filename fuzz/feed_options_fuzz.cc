// ParseFeedOptions over the "feed" section of the server config (and of POST /v1/admin/feed).
#include <cstdint>
#include <string>

#include "feed/feed_options.h"
#include "fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  foryou::feed::FeedOptions options;
  (void)foryou::feed::ParseFeedOptions(std::string(foryou::fuzz::AsView(data, size)), &options);
  return 0;
}
