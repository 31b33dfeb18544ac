// Boost.Beast (Boost 1.74) benchmark server: GET /x. argv: PORT WORK_US THREADS.
// Asynchronous sessions on one io_context run by THREADS threads; each connection is a strand,
// so one connection's work never blocks another while a thread is free.
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <cstdio>
#include <memory>
#include <thread>
#include <vector>

#include "work.h"

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

static int64_t g_iters = 0;

class Session : public std::enable_shared_from_this<Session> {
 public:
  explicit Session(tcp::socket&& socket) : stream_(std::move(socket)) {}
  void Start() {
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->Read(); });
  }

 private:
  void Read() {
    req_ = {};
    http::async_read(stream_, buffer_, req_,
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       if (ec) return self->Close();
                       self->Respond();
                     });
  }
  void Respond() {
    res_ = {};
    if (req_.method() != http::verb::get || req_.target() != "/x") {
      res_.result(http::status::not_found);
    } else {
      res_.result(http::status::ok);
      res_.set(http::field::content_type, "application/json");
      res_.body() = bench::Body(bench::Spin(g_iters));
    }
    res_.version(req_.version());
    res_.keep_alive(req_.keep_alive());
    res_.prepare_payload();
    http::async_write(stream_, res_, [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec || !self->res_.keep_alive()) return self->Close();
      self->Read();
    });
  }
  void Close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> req_;
  http::response<http::string_body> res_;
};

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  Listener(asio::io_context& ioc, tcp::endpoint ep) : ioc_(ioc), acceptor_(ioc) {
    acceptor_.open(ep.protocol());
    acceptor_.set_option(asio::socket_base::reuse_address(true));
    acceptor_.bind(ep);
    acceptor_.listen(1024);
  }
  void Accept() {
    acceptor_.async_accept(asio::make_strand(ioc_),
                           [self = shared_from_this()](beast::error_code ec, tcp::socket s) {
                             if (!ec) {
                               s.set_option(tcp::no_delay(true));
                               std::make_shared<Session>(std::move(s))->Start();
                             }
                             self->Accept();
                           });
  }

 private:
  asio::io_context& ioc_;
  tcp::acceptor acceptor_;
};

int main(int argc, char** argv) {
  bench::Args args = bench::ParseArgs(argc, argv);
  g_iters = bench::CalibrateIters(args.work_us);
  asio::io_context ioc(args.threads);
  std::make_shared<Listener>(ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"),
                                                static_cast<unsigned short>(args.port)))
      ->Accept();
  std::fprintf(stderr, "beast port=%d work_us=%lld threads=%d\n", args.port,
               static_cast<long long>(args.work_us), args.threads);
  std::vector<std::thread> threads;
  for (int i = 1; i < args.threads; ++i) threads.emplace_back([&ioc] { ioc.run(); });
  ioc.run();
  for (auto& t : threads) t.join();
}
