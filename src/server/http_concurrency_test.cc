// HttpServer under concurrent clients (run under TSan): pipelining clients, slow clients that
// the request deadline cuts off, and connection floods past the per-address cap, all at once
// against one server with few io threads. Every pipelined answer comes back in order and
// complete, every refused connection gets its 429, and every connection is closed at the end.
#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "server/http_server.h"
#include "server/raw_http_test_util.h"

namespace foryou::server {
namespace {

constexpr int kPipeliners = 6, kRounds = 8, kPipelined = 16;
constexpr int kSlowClients = 3;
constexpr int kPerAddress = 8, kFlood = 12;

TEST(HttpConcurrencyTest, PipeliningSlowClientsAndConnectionCapsTogether) {
  HttpServer http(HttpServerOptions{.bind = "127.0.0.1",
                                    .port = 0,
                                    .threads = 3,
                                    .request_timeout_ms = 300,
                                    .idle_timeout_ms = 2'000,
                                    .max_connections_per_address = kPerAddress,
                                    .max_connections = 64});
  std::atomic<int> handled{0};
  http.Get(R"(/echo/(\d+))", [&](const HttpRequest& req, HttpResponse& res) {
    handled.fetch_add(1);
    res.set_content(req.matches[1].str(), "text/plain");
  });
  http.Post("/length", [](const HttpRequest& req, HttpResponse& res) {
    res.set_content(std::to_string(req.body.size()), "text/plain");
  });
  ASSERT_TRUE(http.Start().ok());
  const int port = http.port();

  std::atomic<int> pipeline_errors{0}, slow_cut{0}, refused{0}, served_in_flood{0};
  std::vector<std::thread> threads;
  // Pipelining clients: every request of a round in one write, on one keep-alive connection.
  for (int c = 0; c < kPipeliners; ++c) {
    threads.emplace_back([&, c] {
      const int fd = Connect(port);
      if (fd < 0) {
        pipeline_errors.fetch_add(1);
        return;
      }
      std::string pending;
      for (int round = 0; round < kRounds; ++round) {
        std::string batch;
        for (int i = 0; i < kPipelined; ++i) {
          const int n = (c * kRounds + round) * kPipelined + i;
          if (i % 4 == 3) {
            const std::string body(static_cast<size_t>(n % 97 + 1), 'b');
            batch += absl::StrCat("POST /length HTTP/1.1\r\nHost: t\r\nContent-Length: ",
                                  body.size(), "\r\n\r\n", body);
          } else {
            batch += Get(absl::StrCat("/echo/", n));
          }
        }
        if (!SendAll(fd, batch)) pipeline_errors.fetch_add(1);
        for (int i = 0; i < kPipelined; ++i) {
          const int n = (c * kRounds + round) * kPipelined + i;
          RawReply r = ReadReply(fd, &pending);
          const std::string want = i % 4 == 3 ? std::to_string(n % 97 + 1) : std::to_string(n);
          if (r.status != 200 || r.body != want) pipeline_errors.fetch_add(1);
        }
      }
      ::close(fd);
    });
  }
  // Slow clients: half a request line, a byte now and then; the deadline closes them.
  for (int c = 0; c < kSlowClients; ++c) {
    threads.emplace_back([&] {
      const int fd = Connect(port, "127.0.0.3");
      if (fd < 0) return;
      std::string got;
      const std::string partial = "GET /echo/1 HTTP/1.1\r\nHost: t\r\nX-Slow: ";
      for (char ch : partial) {
        if (!SendAll(fd, std::string_view(&ch, 1))) break;
        if (ReadSome(fd, &got, 40) == 0) {  // closed by the server
          slow_cut.fetch_add(1);
          ::close(fd);
          return;
        }
      }
      if (ReadSome(fd, &got, 3'000) == 0) slow_cut.fetch_add(1);
      ::close(fd);
    });
  }
  // A flood from one address: the connections past the cap get a 429 and are closed, the others
  // are served.
  threads.emplace_back([&] {
    std::vector<int> fds;
    for (int i = 0; i < kFlood; ++i) fds.push_back(Connect(port, "127.0.0.2"));
    for (int fd : fds) {
      if (fd < 0) continue;
      std::string pending;
      if (!SendAll(fd, Get("/echo/7"))) continue;
      RawReply r = ReadReply(fd, &pending, 3'000);
      if (r.status == 429) refused.fetch_add(1);
      if (r.status == 200 && r.body == "7") served_in_flood.fetch_add(1);
    }
    for (int fd : fds) {
      if (fd >= 0) ::close(fd);
    }
  });
  for (std::thread& t : threads) t.join();

  EXPECT_EQ(pipeline_errors.load(), 0);
  EXPECT_EQ(slow_cut.load(), kSlowClients);
  EXPECT_EQ(refused.load(), kFlood - kPerAddress);
  EXPECT_EQ(served_in_flood.load(), kPerAddress);
  EXPECT_GE(handled.load(), kPipeliners * kRounds * kPipelined * 3 / 4);
  // Every connection is closed once its client is gone.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (http.open_connections() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(http.open_connections(), 0);
  http.Stop();
}

}  // namespace
}  // namespace foryou::server
