// HttpServer: the HTTP/1.1 transport of `foryou serve` (docs/design/server.md): an asynchronous
// accept and read loop (Boost.Beast, kept inside http_server.cc) with a deadline on every request,
// bounded headers and bodies, bounded connections per client address, keep-alive with pipelined
// requests answered in order, a router (method + regex path) and files served from mount points
// with single Range requests, streamed from disk.
//
// Handlers are synchronous and run on the server's `threads` io threads; a slow client holds no
// thread (its reads and writes wait in the event loop), only its connection slot.
//
// Thread-safety: routes, mounts and the error handler are set before Start(); after it, handlers
// run concurrently on the io threads.
//
// Example:
//   HttpServer http(HttpServerOptions{.bind = "127.0.0.1", .port = 0});
//   http.Get(R"(/v1/users/([^/]+))", [](const HttpRequest& req, HttpResponse& res) {
//     res.set_content("{\"id\":\"" + req.matches[1].str() + "\"}", "application/json");
//   });
//   FORYOU_RETURN_IF_ERROR(http.Start());
//   ... http.port() ...
//   http.Stop();
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace foryou::server {

// Case-insensitive ordering of header names.
struct HeaderNameLess {
  bool operator()(const std::string& a, const std::string& b) const;
};
using HttpHeaders = std::multimap<std::string, std::string, HeaderNameLess>;
using HttpParams = std::multimap<std::string, std::string>;

// One request, as a handler sees it. `path` is the percent-decoded path of the target (no query);
// `matches` are the route pattern's captures over `path`.
struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // as received: path and query, still encoded
  std::string path;
  std::string body;
  HttpHeaders headers;
  HttpParams params;  // the query, percent-decoded ('+' = space)
  std::smatch matches;
  std::string remote_addr;  // the peer's IP address, e.g. "127.0.0.1"

  bool has_header(const std::string& name) const { return headers.count(name) > 0; }
  // The first value of header `name`, `fallback` when absent.
  std::string get_header_value(const std::string& name, const std::string& fallback = "") const;
  bool has_param(const std::string& name) const { return params.count(name) > 0; }
  // The first value of query parameter `name`, "" when absent.
  std::string get_param_value(const std::string& name) const;
};

// One response. A handler sets status, body and headers; Content-Length, Date-less framing and
// Connection are the server's.
struct HttpResponse {
  int status = 200;
  std::string body;
  HttpHeaders headers;

  void set_header(const std::string& name, const std::string& value);
  void set_content(std::string content, const std::string& content_type);
};

using HttpHandler = std::function<void(const HttpRequest&, HttpResponse&)>;

struct HttpServerOptions {
  std::string bind = "127.0.0.1";
  int port = 8080;  // 0 = any free port
  int threads = 8;  // io threads; handlers run on them
  int listen_backlog = 1024;
  size_t max_header_bytes = 16 * 1024;  // request line + headers; larger: 431
  size_t max_body_bytes = 1 << 20;      // any method's body; larger: 413 before reading it
  // A request's headers and body must all arrive within this time of its first byte, else the
  // connection is closed.
  int64_t request_timeout_ms = 10'000;
  // A keep-alive connection without a new request for this long is closed.
  int64_t idle_timeout_ms = 30'000;
  // Each write (a response, or one chunk of a file) must complete within this time.
  int64_t write_timeout_ms = 30'000;
  // Open connections at once from one client address, and in all. A connection past either bound
  // gets a 429 / 503 and is closed.
  int max_connections_per_address = 64;
  int max_connections = 10'000;
};

// The decoded form of a path, or std::nullopt for a bad percent escape, a NUL byte or a ".."
// segment (the server answers 400).
std::optional<std::string> DecodePath(std::string_view encoded);
// Query text `a=1&b=x+y` decoded into `params`.
HttpParams ParseQuery(std::string_view query);

// A byte range [first, last] of a file of `size` bytes.
struct ByteRange {
  uint64_t first = 0;
  uint64_t last = 0;
};
// How to answer a `Range` header for a file of `size` bytes: the single range to send (206);
// std::nullopt = the whole file (200: no Range, a malformed one, or ranges that stay more than one
// after merging overlapping and adjacent ones, which RFC 9110 lets a server ignore); OutOfRange =
// nothing satisfiable (416). At most kMaxRanges ranges are looked at; a header with more is
// answered with the whole file.
inline constexpr int kMaxRanges = 16;
absl::StatusOr<std::optional<ByteRange>> ChooseRange(std::string_view header, uint64_t size);
// The Content-Type of a file, from the extension of the file's own name.
std::string ContentTypeOf(std::string_view file_name);

class HttpServer {
 public:
  explicit HttpServer(HttpServerOptions options);
  ~HttpServer();  // stops

  // Routes: `pattern` is a regex matched against the whole decoded path. GET routes answer HEAD
  // too (without the body). Routes are tried in the order they were added.
  void Get(const std::string& pattern, HttpHandler handler);
  void Post(const std::string& pattern, HttpHandler handler);
  void Put(const std::string& pattern, HttpHandler handler);
  void Patch(const std::string& pattern, HttpHandler handler);
  void Delete(const std::string& pattern, HttpHandler handler);
  // Files under `dir` served at `prefix` (e.g. "/media/") for GET and HEAD requests no route
  // matched, with `headers` added to each file response; index.html for a directory. Mounts are
  // tried in the order they were added. `allow`, when set, is asked once the mount holds a file
  // (so a missing file costs it nothing), with the path after `prefix`: false = this mount does
  // not hold the file for this request (the next mount is tried, then 404, so a refused file
  // looks missing); it may add headers to the response.
  using MountFilter =
      std::function<bool(const HttpRequest& req, std::string_view rest, HttpResponse& res)>;
  void set_mount_point(const std::string& prefix, const std::string& dir, HttpHeaders headers = {},
                       MountFilter allow = nullptr);
  // Called for every response with status >= 400 the server makes itself (400, 404, 413, 416,
  // 429, 431, 500, 503) and for handlers' errors; it may fill an empty body.
  void set_error_handler(HttpHandler handler);

  // Binds, listens and starts the io threads. Errors: Unavailable if the address cannot be bound.
  [[nodiscard]] absl::Status Start();
  // Stops accepting, closes every connection and joins the io threads.
  void Stop();
  int port() const;
  // Connections open now (tests).
  int open_connections() const;

  struct Route {
    std::string method;
    std::regex pattern;
    HttpHandler handler;
  };
  struct Mount {
    std::string prefix;
    std::string dir;
    HttpHeaders headers;
    MountFilter allow;
  };

 private:
  void Add(std::string method, const std::string& pattern, HttpHandler handler);

  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace foryou::server
