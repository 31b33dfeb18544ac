// HttpServer over Boost.Beast (see the header). The only file that includes asio and beast: they
// compile slowly, and nothing else needs them.
//
// HOW IT WORKS. One io_context run by `threads` threads. The acceptor admits a connection if its
// address has fewer than max_connections_per_address open (else a 429 and close) and the server
// fewer than max_connections (else a 503). Each connection is a Session on its own strand, a loop
// of: wait up to idle_timeout_ms for the first bytes of a request (skipped when pipelined bytes
// are already buffered); read headers and body with request_timeout_ms for both together (the
// socket is closed when it passes: a client trickling bytes is cut off); run the handler inline
// on the io thread; write the response under write_timeout_ms; repeat while keep-alive. Requests
// are read only after the previous response is written, so pipelined requests are answered in
// order. A body over max_body_bytes (by Content-Length at the header, or while reading a chunked
// body) is answered 413 and the connection closed after a short drain, so the client reads the
// answer instead of a reset. Files are written in 64 KiB chunks read with pread, each chunk under
// the write deadline.
#include "server/http_server.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <iostream>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "common/mutex.h"

namespace foryou::server {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr size_t kChunkBytes = 64 * 1024;
constexpr int64_t kDrainMs = 2000;  // reading a refused request's rest before closing, at most

std::string AddressOf(const tcp::socket& s) {
  beast::error_code ec;
  tcp::endpoint ep = s.remote_endpoint(ec);
  if (ec) return "";
  asio::ip::address a = ep.address();
  if (a.is_v6() && a.to_v6().is_v4_mapped()) {
    a = asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6());
  }
  return a.to_string();
}

bool HasNoBody(int status) { return status < 200 || status == 204 || status == 304; }

// An open file to send (or fd -1): `length` bytes from `offset`.
struct FileReply {
  int fd = -1;
  uint64_t offset = 0;
  uint64_t length = 0;
};

}  // namespace

struct HttpServer::Impl {
  class Session;

  explicit Impl(HttpServerOptions o) : options(std::move(o)), ioc(std::max(1, options.threads)) {}

  void Accept();
  void Dispatch(HttpRequest& req, HttpResponse& res, FileReply* file);
  bool OpenFile(const Mount& mount, const HttpRequest& req, HttpResponse& res, FileReply* file);
  void FillError(const HttpRequest& req, HttpResponse& res) const;
  void Release(Session* s, const std::string& addr, bool counted);

  const HttpServerOptions options;
  std::vector<Route> routes;
  std::vector<Mount> mounts;
  HttpHandler error_handler;

  mutable common::Mutex mu;
  int open ABSL_GUARDED_BY(mu) = 0;
  absl::flat_hash_map<std::string, int> per_address ABSL_GUARDED_BY(mu);
  absl::flat_hash_map<Session*, std::weak_ptr<Session>> sessions ABSL_GUARDED_BY(mu);
  std::atomic<bool> stopping{false};

  asio::io_context ioc;
  // The acceptor and its retry timer live on one strand: Stop closes it from another thread.
  tcp::acceptor acceptor{asio::make_strand(ioc)};
  asio::steady_timer accept_retry{acceptor.get_executor()};
  std::vector<std::thread> threads;
  int port = 0;
};

class HttpServer::Impl::Session : public std::enable_shared_from_this<Session> {
 public:
  Session(Impl* impl, tcp::socket&& socket, std::string addr, bool counted)
      : impl_(impl), stream_(std::move(socket)), addr_(std::move(addr)), counted_(counted) {}
  ~Session() {
    if (fd_ >= 0) ::close(fd_);
    impl_->Release(this, addr_, counted_);
  }

  // Serves the connection, or answers `reject_status` (429, 503) and closes it.
  void Start(int reject_status) {
    asio::dispatch(stream_.get_executor(), [self = shared_from_this(), reject_status] {
      if (reject_status != 0) return self->ErrorReply(reject_status);
      self->ReadIdle();
    });
  }
  // Closes the socket; pending operations end with an error and the session is released.
  void CloseFromOutside() {
    asio::post(stream_.get_executor(), [self = shared_from_this()] { self->Close(); });
  }

 private:
  void ReadIdle() {
    if (impl_->stopping.load()) return Close();
    parser_.emplace();
    parser_->header_limit(static_cast<uint32_t>(impl_->options.max_header_bytes));
    parser_->body_limit(impl_->options.max_body_bytes);
    if (buffer_.size() > 0) return ReadHeader();  // a pipelined request is already here
    stream_.expires_after(std::chrono::milliseconds(impl_->options.idle_timeout_ms));
    stream_.async_read_some(buffer_.prepare(kChunkBytes),
                            [self = shared_from_this()](beast::error_code ec, size_t n) {
                              if (ec) return self->Close();
                              self->buffer_.commit(n);
                              self->ReadHeader();
                            });
  }

  void ReadHeader() {
    // One deadline for headers and body together, from the request's first byte.
    stream_.expires_after(std::chrono::milliseconds(impl_->options.request_timeout_ms));
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = shared_from_this()](beast::error_code ec, size_t) {
                              if (ec) return self->OnReadError(ec);
                              self->OnHeader();
                            });
  }

  void OnHeader() {
    if (beast::iequals(parser_->get()[http::field::expect], "100-continue") &&
        !parser_->is_done()) {
      static constexpr char kContinue[] = "HTTP/1.1 100 Continue\r\n\r\n";
      return asio::async_write(stream_, asio::buffer(kContinue, sizeof(kContinue) - 1),
                               [self = shared_from_this()](beast::error_code ec, size_t) {
                                 if (ec) return self->Close();
                                 self->ReadBody();
                               });
    }
    ReadBody();
  }

  void ReadBody() {
    if (parser_->is_done()) return Handle();
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       if (ec) return self->OnReadError(ec);
                       self->Handle();
                     });
  }

  void OnReadError(beast::error_code ec) {
    if (ec == http::error::body_limit) return ErrorReply(413);
    if (ec == http::error::header_limit) return ErrorReply(431);
    if (ec.category() == http::make_error_code(http::error::bad_target).category() &&
        ec != http::error::end_of_stream && ec != http::error::partial_message) {
      return ErrorReply(400);  // a malformed request
    }
    Close();  // the deadline passed (the stream closed the socket), or the peer left
  }

  void Handle() {
    http::request<http::string_body>& msg = parser_->get();
    // The request stays where it is while the handler runs: `matches` point into its `path`.
    req_ = std::make_unique<HttpRequest>();
    HttpRequest& req = *req_;
    req.method = std::string(msg.method_string());
    req.target = std::string(msg.target());
    for (const auto& field : msg) {
      req.headers.emplace(std::string(field.name_string()), std::string(field.value()));
    }
    req.body = std::move(msg.body());
    req.remote_addr = addr_;
    version_ = msg.version();
    head_ = msg.method() == http::verb::head;
    keep_alive_ = msg.keep_alive() && !impl_->stopping.load();
    HttpResponse res;
    FileReply file;
    const size_t q = req.target.find('?');
    std::optional<std::string> path = DecodePath(std::string_view(req.target).substr(0, q));
    if (!path.has_value()) {
      res.status = 400;
      impl_->FillError(req, res);
    } else {
      req.path = std::move(*path);
      if (q != std::string::npos) {
        req.params = ParseQuery(std::string_view(req.target).substr(q + 1));
      }
      impl_->Dispatch(req, res, &file);
    }
    req_.reset();
    if (file.fd >= 0) return SendFile(res, file);
    Send(res);
  }

  void ErrorReply(int status) {
    keep_alive_ = false;
    head_ = false;
    HttpRequest req;
    req.remote_addr = addr_;
    HttpResponse res;
    res.status = status;
    impl_->FillError(req, res);
    Send(res);
  }

  template <class Message>
  void SetHeaders(Message& m, const HttpResponse& res) {
    m.result(static_cast<unsigned>(res.status));
    m.version(version_);
    for (const auto& [name, value] : res.headers) m.insert(name, value);
    m.keep_alive(keep_alive_);
  }

  void Send(HttpResponse& res) {
    res_ = {};
    SetHeaders(res_, res);
    if (!HasNoBody(res.status)) res_.content_length(res.body.size());
    if (!head_ && !HasNoBody(res.status)) res_.body() = std::move(res.body);
    stream_.expires_after(std::chrono::milliseconds(impl_->options.write_timeout_ms));
    http::async_write(stream_, res_, [self = shared_from_this()](beast::error_code ec, size_t) {
      self->res_ = {};
      self->AfterWrite(ec);
    });
  }

  void SendFile(const HttpResponse& res, const FileReply& file) {
    fd_ = file.fd;
    file_pos_ = file.offset;
    file_left_ = file.length;
    file_header_ = {};
    SetHeaders(file_header_, res);
    file_header_.content_length(file.length);
    stream_.expires_after(std::chrono::milliseconds(impl_->options.write_timeout_ms));
    http::async_write(stream_, file_header_,
                      [self = shared_from_this()](beast::error_code ec, size_t) {
                        if (ec) return self->Close();
                        if (self->head_) self->file_left_ = 0;
                        self->WriteChunk();
                      });
  }

  void WriteChunk() {
    if (file_left_ == 0) {
      ::close(fd_);
      fd_ = -1;
      return AfterWrite({});
    }
    chunk_.resize(kChunkBytes);
    const size_t want = static_cast<size_t>(std::min<uint64_t>(file_left_, kChunkBytes));
    const ssize_t got = ::pread(fd_, chunk_.data(), want, static_cast<off_t>(file_pos_));
    if (got <= 0) return Close();  // the file shrank: the promised length cannot be kept
    file_pos_ += static_cast<uint64_t>(got);
    file_left_ -= static_cast<uint64_t>(got);
    stream_.expires_after(std::chrono::milliseconds(impl_->options.write_timeout_ms));
    asio::async_write(stream_, asio::buffer(chunk_.data(), static_cast<size_t>(got)),
                      [self = shared_from_this()](beast::error_code ec, size_t) {
                        if (ec) return self->Close();
                        self->WriteChunk();
                      });
  }

  void AfterWrite(beast::error_code ec) {
    if (ec) return Close();
    if (!keep_alive_) return Drain();
    ReadIdle();
  }

  // Half-closes and reads what the client still sends (a refused body) for a short while, so
  // that the answer reaches it instead of being discarded by a reset.
  void Drain() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.expires_after(std::chrono::milliseconds(
        std::min<int64_t>(kDrainMs, impl_->options.request_timeout_ms)));
    chunk_.resize(kChunkBytes);
    DrainMore();
  }
  void DrainMore() {
    stream_.async_read_some(asio::buffer(chunk_.data(), chunk_.size()),
                            [self = shared_from_this()](beast::error_code ec, size_t) {
                              if (ec) return self->Close();
                              self->DrainMore();
                            });
  }

  void Close() { stream_.close(); }

  Impl* const impl_;
  beast::tcp_stream stream_;
  const std::string addr_;
  const bool counted_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::unique_ptr<HttpRequest> req_;
  unsigned version_ = 11;
  bool head_ = false;
  bool keep_alive_ = false;
  http::response<http::string_body> res_;
  http::response<http::empty_body> file_header_;
  int fd_ = -1;
  uint64_t file_pos_ = 0;
  uint64_t file_left_ = 0;
  std::vector<char> chunk_;
};

void HttpServer::Impl::Release(Session* s, const std::string& addr, bool counted) {
  common::MutexLock lock(&mu);
  sessions.erase(s);
  if (!counted) return;
  --open;
  auto it = per_address.find(addr);
  if (it != per_address.end() && --it->second <= 0) per_address.erase(it);
}

void HttpServer::Impl::Accept() {
  acceptor.async_accept(asio::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
    if (!acceptor.is_open() || stopping.load()) return;
    if (ec) {
      // Out of descriptors and the like: try again shortly instead of spinning.
      accept_retry.expires_after(std::chrono::milliseconds(50));
      accept_retry.async_wait([this](beast::error_code wait_ec) {
        if (!wait_ec) Accept();
      });
      return;
    }
    beast::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    std::string addr = AddressOf(socket);
    int reject = 0;
    std::shared_ptr<Session> session;
    {
      common::MutexLock lock(&mu);
      if (open >= options.max_connections) {
        reject = 503;
      } else if (per_address[addr] >= options.max_connections_per_address) {
        reject = 429;
      } else {
        ++open;
        ++per_address[addr];
      }
      if (reject != 0 && per_address[addr] == 0) per_address.erase(addr);
    }
    session = std::make_shared<Session>(this, std::move(socket), addr, reject == 0);
    {
      common::MutexLock lock(&mu);
      sessions[session.get()] = session;
    }
    session->Start(reject);
    Accept();
  });
}

void HttpServer::Impl::FillError(const HttpRequest& req, HttpResponse& res) const {
  if (res.body.empty() && error_handler) error_handler(req, res);
  if (res.body.empty()) res.set_content(absl::StrCat("HTTP ", res.status, "\n"), "text/plain");
}

void HttpServer::Impl::Dispatch(HttpRequest& req, HttpResponse& res, FileReply* file) {
  const std::string method = req.method == "HEAD" ? "GET" : req.method;
  for (const Route& route : routes) {
    if (route.method != method || !std::regex_match(req.path, req.matches, route.pattern)) continue;
    try {
      route.handler(req, res);
    } catch (const std::exception& e) {
      std::cerr << "http: " << req.method << " " << req.path << ": " << e.what() << "\n";
      res = HttpResponse();
      res.status = 500;
    }
    if (res.status >= 400) FillError(req, res);
    return;
  }
  req.matches = std::smatch();
  if (method == "GET") {
    for (const Mount& mount : mounts) {
      if (OpenFile(mount, req, res, file)) return;
    }
  }
  res.status = 404;  // no route, and no file: an unknown method on a known path too
  FillError(req, res);
}

// Opens the file a mount holds for `req.path`; false if the mount does not hold one. The
// Content-Type comes from the name of the file opened (index.html for a directory).
bool HttpServer::Impl::OpenFile(const Mount& mount, const HttpRequest& req, HttpResponse& res,
                                FileReply* file) {
  if (req.path.compare(0, mount.prefix.size(), mount.prefix) != 0) return false;
  std::string name = mount.dir + "/" + req.path.substr(mount.prefix.size());
  int fd = ::open(name.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  struct stat st{};
  if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    ::close(fd);
    name += "/index.html";
    fd = ::open(name.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    if (::fstat(fd, &st) != 0) st.st_mode = 0;
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return false;
  }
  const std::string_view rest = std::string_view(req.path).substr(mount.prefix.size());
  if (mount.allow && !mount.allow(req, rest, res)) {
    ::close(fd);
    res = HttpResponse();  // nothing the filter set leaks into the 404
    return false;
  }
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  for (const auto& [k, v] : mount.headers) res.headers.emplace(k, v);
  res.set_header("Content-Type", ContentTypeOf(name));
  file->offset = 0;
  file->length = size;
  res.status = 200;
  if (req.has_header("Range")) {
    absl::StatusOr<std::optional<ByteRange>> range =
        ChooseRange(req.get_header_value("Range"), size);
    if (!range.ok()) {
      ::close(fd);
      res.headers.erase("Content-Type");
      res.status = 416;
      res.set_header("Content-Range", absl::StrCat("bytes */", size));
      FillError(req, res);
      return true;
    }
    if (range->has_value()) {
      res.status = 206;
      file->offset = (*range)->first;
      file->length = (*range)->last - (*range)->first + 1;
      res.set_header("Content-Range",
                     absl::StrCat("bytes ", (*range)->first, "-", (*range)->last, "/", size));
    }
  }
  file->fd = fd;
  return true;
}

HttpServer::HttpServer(HttpServerOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::Add(std::string method, const std::string& pattern, HttpHandler handler) {
  impl_->routes.push_back({std::move(method), std::regex(pattern), std::move(handler)});
}
void HttpServer::Get(const std::string& p, HttpHandler h) { Add("GET", p, std::move(h)); }
void HttpServer::Post(const std::string& p, HttpHandler h) { Add("POST", p, std::move(h)); }
void HttpServer::Put(const std::string& p, HttpHandler h) { Add("PUT", p, std::move(h)); }
void HttpServer::Patch(const std::string& p, HttpHandler h) { Add("PATCH", p, std::move(h)); }
void HttpServer::Delete(const std::string& p, HttpHandler h) { Add("DELETE", p, std::move(h)); }

void HttpServer::set_mount_point(const std::string& prefix, const std::string& dir,
                                 HttpHeaders headers, MountFilter allow) {
  impl_->mounts.push_back({prefix, dir, std::move(headers), std::move(allow)});
}

void HttpServer::set_error_handler(HttpHandler handler) {
  impl_->error_handler = std::move(handler);
}

absl::Status HttpServer::Start() {
  Impl& im = *impl_;
  if (!im.threads.empty()) return absl::FailedPreconditionError("server already started");
  beast::error_code ec;
  tcp::resolver resolver(im.ioc);
  auto endpoints = resolver.resolve(im.options.bind, std::to_string(im.options.port),
                                    tcp::resolver::passive | tcp::resolver::numeric_service, ec);
  if (ec || endpoints.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("bind address ", im.options.bind, ": ",
                                                   ec ? ec.message() : "no address"));
  }
  const tcp::endpoint ep = endpoints.begin()->endpoint();
  const auto fail = [&](const char* what) {
    beast::error_code ignored;
    im.acceptor.close(ignored);
    return absl::UnavailableError(absl::StrCat("cannot ", what, " ", im.options.bind, ":",
                                               im.options.port, ": ", ec.message()));
  };
  im.acceptor.open(ep.protocol(), ec);
  if (ec) return fail("open a socket for");
  im.acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  im.acceptor.bind(ep, ec);
  if (ec) return fail("bind");
  im.acceptor.listen(im.options.listen_backlog, ec);
  if (ec) return fail("listen on");
  im.port = im.acceptor.local_endpoint().port();
  im.Accept();
  for (int i = 0; i < std::max(1, im.options.threads); ++i) {
    im.threads.emplace_back([&im] {
      for (;;) {
        try {
          im.ioc.run();
          return;
        } catch (const std::exception& e) {
          std::cerr << "http: io thread: " << e.what() << "\n";
        }
      }
    });
  }
  return absl::OkStatus();
}

void HttpServer::Stop() {
  Impl& im = *impl_;
  if (im.threads.empty()) return;
  im.stopping.store(true);
  asio::post(im.acceptor.get_executor(), [&im] {
    beast::error_code ignored;
    im.acceptor.close(ignored);
    im.accept_retry.cancel();
  });
  std::vector<std::shared_ptr<Impl::Session>> open;
  {
    common::MutexLock lock(&im.mu);
    for (const auto& [ptr, weak] : im.sessions) {
      if (auto s = weak.lock()) open.push_back(std::move(s));
    }
  }
  for (const auto& s : open) s->CloseFromOutside();
  open.clear();  // outside the lock: the last reference releases the session, which locks `mu`
  for (std::thread& t : im.threads) t.join();
  im.threads.clear();
}

int HttpServer::port() const { return impl_->port; }

int HttpServer::open_connections() const {
  common::MutexLock lock(&impl_->mu);
  return impl_->open;
}

}  // namespace foryou::server
