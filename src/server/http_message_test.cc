// The transport-free parts of HttpServer: Range selection, path and query decoding, content types.
#include "gtest/gtest.h"
#include "server/http_server.h"

namespace foryou::server {
namespace {

// The chosen range as "first-last", "whole" (200) or "416".
std::string Choose(std::string_view header, uint64_t size) {
  absl::StatusOr<std::optional<ByteRange>> r = ChooseRange(header, size);
  if (!r.ok()) return r.status().code() == absl::StatusCode::kOutOfRange ? "416" : "error";
  if (!r->has_value()) return "whole";
  return std::to_string((*r)->first) + "-" + std::to_string((*r)->last);
}

TEST(ChooseRangeTest, SingleRanges) {
  EXPECT_EQ(Choose("bytes=0-99", 1000), "0-99");
  EXPECT_EQ(Choose("bytes=900-", 1000), "900-999");
  EXPECT_EQ(Choose("bytes=900-5000", 1000), "900-999");
  EXPECT_EQ(Choose("bytes=-100", 1000), "900-999");
  EXPECT_EQ(Choose("bytes=-5000", 1000), "0-999");
  EXPECT_EQ(Choose(" BYTES = 0-1", 1000), "whole");  // "bytes =" is not the unit
  EXPECT_EQ(Choose("Bytes=0-1", 1000), "0-1");
}

TEST(ChooseRangeTest, ManyRangesMergeOrFallBackToTheWholeFile) {
  EXPECT_EQ(Choose("bytes=0-99,50-149,150-199", 1000), "0-199");
  EXPECT_EQ(Choose("bytes=0-,0-,0-", 1000), "0-999");
  EXPECT_EQ(Choose("bytes=0-9,20-29", 1000), "whole");
  std::string many = "bytes=0-0";
  for (int i = 0; i < kMaxRanges; ++i) many += ",0-0";
  EXPECT_EQ(Choose(many, 1000), "whole");
}

TEST(ChooseRangeTest, UnsatisfiableAndMalformed) {
  EXPECT_EQ(Choose("bytes=1000-", 1000), "416");
  EXPECT_EQ(Choose("bytes=-0", 1000), "416");
  EXPECT_EQ(Choose("bytes=0-", 0), "416");
  EXPECT_EQ(Choose("bytes=1000-,2000-", 1000), "416");
  EXPECT_EQ(Choose("bytes=1000-,5-6", 1000), "5-6");  // the satisfiable one
  EXPECT_EQ(Choose("bytes=9-5", 1000), "whole");
  EXPECT_EQ(Choose("bytes=x-5", 1000), "whole");
  EXPECT_EQ(Choose("bytes=5", 1000), "whole");
  EXPECT_EQ(Choose("items=0-5", 1000), "whole");
  EXPECT_EQ(Choose("bytes=99999999999999999999999-", 1000), "whole");
}

TEST(DecodePathTest, RefusesNulDotDotAndBadEscapes) {
  EXPECT_EQ(DecodePath("/media/a%20b.webm"), "/media/a b.webm");
  EXPECT_EQ(DecodePath("/a+b"), "/a+b");
  EXPECT_EQ(DecodePath("/media/x..y"), "/media/x..y");
  for (const char* bad : {"/media/tag1.webm%00.html", "/../x", "/a/%2e%2e/x", "/a/..",
                          "/a%5c..%5cb",
                          "/a%2", "/a%zz", "relative", ""}) {
    EXPECT_EQ(DecodePath(bad), std::nullopt) << bad;
  }
}

TEST(ParseQueryTest, DecodesKeysAndValues) {
  HttpParams p = ParseQuery("user=u%201&q=a+b&flag&&x=1&x=2");
  EXPECT_EQ(p.find("user")->second, "u 1");
  EXPECT_EQ(p.find("q")->second, "a b");
  EXPECT_EQ(p.find("flag")->second, "");
  EXPECT_EQ(p.count("x"), 2u);
}

TEST(ContentTypeTest, FromTheFileName) {
  EXPECT_EQ(ContentTypeOf("/m/tag1.webm"), "video/webm");
  EXPECT_EQ(ContentTypeOf("/m/INDEX.HTML"), "text/html; charset=utf-8");
  EXPECT_EQ(ContentTypeOf("/m/app.js"), "text/javascript; charset=utf-8");
  EXPECT_EQ(ContentTypeOf("/m.d/noext"), "application/octet-stream");
  EXPECT_EQ(ContentTypeOf("/m/x.exe"), "application/octet-stream");
}

TEST(HttpRequestTest, HeaderNamesIgnoreCase) {
  HttpRequest req;
  req.headers.emplace("Content-Type", "a");
  EXPECT_TRUE(req.has_header("content-type"));
  EXPECT_EQ(req.get_header_value("CONTENT-TYPE"), "a");
  EXPECT_EQ(req.get_header_value("X", "d"), "d");
  HttpResponse res;
  res.set_header("X-A", "1");
  res.set_header("x-a", "2");
  EXPECT_EQ(res.headers.size(), 1u);
  EXPECT_EQ(res.headers.begin()->second, "2");
}

}  // namespace
}  // namespace foryou::server
