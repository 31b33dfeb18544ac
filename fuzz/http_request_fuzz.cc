// One HTTP/1.1 request as the server reads it: Boost.Beast's request parser with the server's
// header and body limits, then what HttpServer does with the parsed target and headers (the
// path's percent-decoding, the query's parameters, the Range header against a file size taken
// from the input). A path that decodes must hold no NUL byte and no ".." segment; a chosen range
// must lie inside the file.
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz/fuzz_util.h"
#include "server/http_server.h"

namespace http = boost::beast::http;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace foryou::server;
  const std::string_view input = foryou::fuzz::AsView(data, size);
  http::request_parser<http::string_body> parser;
  parser.header_limit(16 * 1024);
  parser.body_limit(1 << 20);
  boost::beast::error_code ec;
  size_t used = 0;
  while (used < input.size() && !parser.is_done()) {
    const size_t n = parser.put(boost::asio::buffer(input.data() + used, input.size() - used), ec);
    if (ec == http::error::need_more) break;
    if (ec) return 0;
    if (n == 0) break;
    used += n;
  }
  if (!parser.is_header_done()) return 0;
  const auto& req = parser.get();
  const std::string_view target(req.target().data(), req.target().size());
  const size_t q = target.find('?');
  const std::optional<std::string> path = DecodePath(target.substr(0, q));
  if (path.has_value()) {
    FORYOU_FUZZ_CHECK(path->find('\0') == std::string::npos);
    FORYOU_FUZZ_CHECK(path->find("/../") == std::string::npos && !path->ends_with("/.."));
  }
  if (q != std::string_view::npos) ParseQuery(target.substr(q + 1));
  const auto range = req.find(http::field::range);
  if (range != req.end()) {
    const uint64_t file_size = input.size() * 37;  // any size, from the input
    const std::string_view header(range->value().data(), range->value().size());
    const absl::StatusOr<std::optional<ByteRange>> chosen = ChooseRange(header, file_size);
    if (chosen.ok() && chosen->has_value()) {
      FORYOU_FUZZ_CHECK((*chosen)->first <= (*chosen)->last && (*chosen)->last < file_size);
    }
  }
  if (path.has_value()) ContentTypeOf(*path);
  return 0;
}
