// The transport-free parts of http_server.h: request and response accessors, path and query
// decoding, Range selection and content types.
#include <algorithm>
#include <cctype>
#include <strings.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "common/absl_view.h"
#include "server/http_server.h"

namespace foryou::server {

bool HeaderNameLess::operator()(const std::string& a, const std::string& b) const {
  return ::strcasecmp(a.c_str(), b.c_str()) < 0;
}

std::string HttpRequest::get_header_value(const std::string& name,
                                          const std::string& fallback) const {
  auto it = headers.find(name);
  return it == headers.end() ? fallback : it->second;
}

std::string HttpRequest::get_param_value(const std::string& name) const {
  auto it = params.find(name);
  return it == params.end() ? "" : it->second;
}

void HttpResponse::set_header(const std::string& name, const std::string& value) {
  headers.erase(name);
  headers.emplace(name, value);
}

void HttpResponse::set_content(std::string content, const std::string& content_type) {
  body = std::move(content);
  set_header("Content-Type", content_type);
}

namespace {

// Debian's Abseil has its own string_view.
using common::A;
std::string_view S(absl::string_view s) { return std::string_view(s.data(), s.size()); }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decodes `s` ('+' = space when `plus_is_space`); std::nullopt for a bad escape.
std::optional<std::string> Decode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%') {
      if (i + 2 >= s.size()) return std::nullopt;
      const int hi = HexValue(s[i + 1]), lo = HexValue(s[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (plus_is_space && s[i] == '+') {
      out.push_back(' ');
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

}  // namespace

std::optional<std::string> DecodePath(std::string_view encoded) {
  if (encoded.empty() || encoded[0] != '/') return std::nullopt;
  std::optional<std::string> path = Decode(encoded, /*plus_is_space=*/false);
  if (!path.has_value() || path->find('\0') != std::string::npos) return std::nullopt;
  // Backslashes count as separators too: a ".." must not hide behind one.
  for (absl::string_view segment : absl::StrSplit(*path, absl::ByAnyChar("/\\"))) {
    if (segment == "..") return std::nullopt;
  }
  return path;
}

HttpParams ParseQuery(std::string_view query) {
  HttpParams params;
  for (absl::string_view split : absl::StrSplit(A(query), '&', absl::SkipEmpty())) {
    const std::string_view pair = S(split);
    const size_t eq = pair.find('=');
    std::optional<std::string> key = Decode(pair.substr(0, eq), true);
    std::optional<std::string> value = eq == std::string_view::npos
                                           ? std::optional<std::string>(std::string())
                                           : Decode(pair.substr(eq + 1), true);
    if (key.has_value() && value.has_value()) params.emplace(std::move(*key), std::move(*value));
  }
  return params;
}

absl::StatusOr<std::optional<ByteRange>> ChooseRange(std::string_view header, uint64_t size) {
  header = S(absl::StripAsciiWhitespace(A(header)));
  if (header.size() < 6 || !absl::EqualsIgnoreCase(A(header.substr(0, 6)), "bytes=")) {
    return std::optional<ByteRange>();  // another unit: ignored
  }
  std::vector<absl::string_view> specs = absl::StrSplit(A(header.substr(6)), ',');
  if (specs.size() > static_cast<size_t>(kMaxRanges)) return std::optional<ByteRange>();
  std::vector<ByteRange> ranges;
  for (absl::string_view spec : specs) {
    spec = absl::StripAsciiWhitespace(spec);
    const size_t dash = spec.find('-');
    if (dash == absl::string_view::npos) return std::optional<ByteRange>();  // malformed: ignored
    const absl::string_view a = spec.substr(0, dash), b = spec.substr(dash + 1);
    uint64_t first = 0, last = 0;
    if (a.empty()) {  // suffix: the last b bytes
      uint64_t n = 0;
      if (b.empty() || !absl::SimpleAtoi(b, &n)) return std::optional<ByteRange>();
      if (n == 0 || size == 0) continue;  // unsatisfiable
      first = n >= size ? 0 : size - n;
      last = size - 1;
    } else {
      if (!absl::SimpleAtoi(a, &first)) return std::optional<ByteRange>();
      if (b.empty()) {
        last = UINT64_MAX;
      } else if (!absl::SimpleAtoi(b, &last) || last < first) {
        return std::optional<ByteRange>();
      }
      if (first >= size) continue;  // unsatisfiable
      last = std::min(last, size - 1);
    }
    ranges.push_back({first, last});
  }
  if (ranges.empty()) {
    return absl::OutOfRangeError("no satisfiable range");
  }
  std::sort(ranges.begin(), ranges.end(),
            [](const ByteRange& x, const ByteRange& y) { return x.first < y.first; });
  ByteRange merged = ranges[0];
  for (size_t i = 1; i < ranges.size(); ++i) {
    if (ranges[i].first > merged.last + 1) return std::optional<ByteRange>();  // disjoint: whole
    merged.last = std::max(merged.last, ranges[i].last);
  }
  return std::optional<ByteRange>(merged);
}

std::string ContentTypeOf(std::string_view file_name) {
  const size_t slash = file_name.find_last_of('/');
  const std::string_view base =
      slash == std::string_view::npos ? file_name : file_name.substr(slash + 1);
  const size_t dot = base.find_last_of('.');
  const std::string ext =
      dot == std::string_view::npos ? "" : absl::AsciiStrToLower(A(base.substr(dot + 1)));
  static const std::pair<const char*, const char*> kTypes[] = {
      {"html", "text/html; charset=utf-8"},
      {"htm", "text/html; charset=utf-8"},
      {"js", "text/javascript; charset=utf-8"},
      {"mjs", "text/javascript; charset=utf-8"},
      {"css", "text/css; charset=utf-8"},
      {"json", "application/json"},
      {"txt", "text/plain; charset=utf-8"},
      {"svg", "image/svg+xml"},
      {"png", "image/png"},
      {"jpg", "image/jpeg"},
      {"jpeg", "image/jpeg"},
      {"gif", "image/gif"},
      {"webp", "image/webp"},
      {"ico", "image/x-icon"},
      {"webm", "video/webm"},
      {"mp4", "video/mp4"},
      {"m4v", "video/mp4"},
      {"mp3", "audio/mpeg"},
      {"wasm", "application/wasm"},
      {"woff2", "font/woff2"},
      {"map", "application/json"},
  };
  for (const auto& [e, type] : kTypes) {
    if (ext == e) return type;
  }
  return "application/octet-stream";
}

}  // namespace foryou::server
