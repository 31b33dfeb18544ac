// The HTTP transport under hostile clients, end to end over raw sockets (what httplib::Client
// cannot send): many Range specs, bodies past the limit, slow clients and connection floods from
// one address, pipelined requests, NUL and ".." in paths, and the per-address rate limit.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <fstream>
#include <thread>

#include "server/api_test_harness.h"
#include "server/raw_http_test_util.h"

namespace foryou::server {
namespace {

class HttpHardeningTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = std::filesystem::temp_directory_path() / absl::StrCat("foryou_hardening_", ::getpid());
    std::filesystem::remove_all(root_);
    std::filesystem::create_directories(root_ / "media");
    for (int i = 0; i < 20000; ++i) clip_.push_back(static_cast<char>(i * 13 & 0xFF));
    std::ofstream(root_ / "media" / "tag1.webm", std::ios::binary) << clip_;
  }
  void TearDown() override {
    h_.reset();
    std::filesystem::remove_all(root_);
  }
  void StartServer(ServerOptions options) {
    options.media_dir = (root_ / "media").string();
    options.max_body_bytes = kMaxBody;
    h_ = std::make_unique<Harness>(options);
    ASSERT_TRUE(h_->ok());
  }

  std::filesystem::path root_;
  std::string clip_;
  std::unique_ptr<Harness> h_;
};

TEST_F(HttpHardeningTest, ManyRangesCostAtMostTheFile) {
  StartServer(ServerOptions{});
  const int size = static_cast<int>(clip_.size());
  std::string many = "bytes=0-";
  for (int i = 0; i < 1200; ++i) many += ",0-";
  RawReply r = RawCall(h_->port(), Get("/media/tag1.webm", "Range: " + many + "\r\n"));
  EXPECT_EQ(r.status, 200) << r.head;
  EXPECT_EQ(r.body, clip_);
  // Overlapping and adjacent ranges merge into one.
  r = RawCall(h_->port(), Get("/media/tag1.webm", "Range: bytes=0-99,50-199,200-299\r\n"));
  EXPECT_EQ(r.status, 206) << r.head;
  EXPECT_EQ(r.header("Content-Range"), absl::StrCat("bytes 0-299/", size));
  EXPECT_EQ(r.body, clip_.substr(0, 300));
  // Disjoint ranges: the whole file, once.
  r = RawCall(h_->port(), Get("/media/tag1.webm", "Range: bytes=0-9,100-109\r\n"));
  EXPECT_EQ(r.status, 200) << r.head;
  EXPECT_EQ(r.body.size(), clip_.size());
  // A suffix range and an unsatisfiable one.
  r = RawCall(h_->port(), Get("/media/tag1.webm", "Range: bytes=-10\r\n"));
  EXPECT_EQ(r.status, 206) << r.head;
  EXPECT_EQ(r.body, clip_.substr(clip_.size() - 10));
  r = RawCall(h_->port(), Get("/media/tag1.webm", "Range: bytes=999999-\r\n"));
  EXPECT_EQ(r.status, 416) << r.head;
  EXPECT_EQ(r.header("Content-Range"), absl::StrCat("bytes */", size));
}

TEST_F(HttpHardeningTest, BodiesPastTheLimitAre413BeforeTheyAreSent) {
  StartServer(ServerOptions{});
  for (const char* method : {"GET", "POST", "HEAD"}) {
    // Only the headers are sent: the answer must not wait for 200 MB.
    const auto start = Clock::now();
    RawReply r = RawCall(h_->port(), absl::StrCat(method, " /healthz HTTP/1.1\r\nHost: t\r\n",
                                                  "Content-Length: 200000000\r\n\r\n"));
    EXPECT_EQ(r.status, 413) << method << " " << r.head;
    EXPECT_LT(MsSince(start), 3000) << method;
  }
  // A chunked body is counted as it arrives.
  const int fd = Connect(h_->port());
  ASSERT_GE(fd, 0);
  std::string chunked = "POST /v1/events HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 4; ++i) chunked += absl::StrCat("8000\r\n", std::string(0x8000, 'x'), "\r\n");
  SendAll(fd, chunked);
  std::string pending;
  EXPECT_EQ(ReadReply(fd, &pending).status, 413);
  ::close(fd);
  // A GET body within the limit is read and the request answered.
  RawReply ok =
      RawCall(h_->port(), "GET /healthz HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello");
  EXPECT_EQ(ok.status, 200) << ok.head;
}

TEST_F(HttpHardeningTest, SlowClientsAreCutOffWhileOthersAreServed) {
  ServerOptions options;
  options.request_timeout_ms = 1000;
  options.max_connections_per_address = 6;
  StartServer(options);
  // Six connections from one address each trickle a request a byte at a time (the Harness runs
  // the server with 4 io threads).
  std::vector<int> slow;
  for (int i = 0; i < 6; ++i) {
    slow.push_back(Connect(h_->port()));
    ASSERT_GE(slow.back(), 0);
    SendAll(slow.back(), "G");
  }
  const auto opened = Clock::now();
  // A seventh from the same address is refused at once...
  RawReply refused = RawCall(h_->port(), Get("/healthz"));
  EXPECT_EQ(refused.status, 429) << refused.head;
  // ...while another address is served promptly.
  for (int i = 0; i < 3; ++i) {
    const auto start = Clock::now();
    RawReply health = RawCall(h_->port(), Get("/healthz"), "127.0.0.2");
    EXPECT_EQ(health.status, 200) << health.head;
    EXPECT_LT(MsSince(start), 500);
  }
  // Trickling more bytes does not extend the deadline: every slow connection is closed about
  // request_timeout_ms after its first byte.
  std::vector<bool> closed(slow.size(), false);
  size_t open = slow.size();
  const std::string rest = "ET /healthz HTTP/1.1\r\n";
  for (size_t step = 0; open > 0 && MsSince(opened) < 4000; ++step) {
    for (size_t i = 0; i < slow.size(); ++i) {
      if (closed[i]) continue;
      std::string got;
      if (ReadSome(slow[i], &got, 0) == 0) {
        closed[i] = true;
        --open;
        EXPECT_GE(MsSince(opened), 900);
        continue;
      }
      SendAll(slow[i], rest.substr(step % rest.size(), 1));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(open, 0u) << "slow connections still open after " << MsSince(opened) << " ms";
  EXPECT_LT(MsSince(opened), 2500);
  for (int fd : slow) ::close(fd);
  // The address's slots are free again.
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(RawCall(h_->port(), Get("/healthz")).status, 200);
}

TEST_F(HttpHardeningTest, PipelinedRequestsAreAnsweredInOrder) {
  StartServer(ServerOptions{});
  const int fd = Connect(h_->port());
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(SendAll(fd, Get("/healthz") + Get("/v1/feed?user=u1") + Get("/no/such/route") +
                              Get("/media/tag1.webm", "Range: bytes=0-4\r\n") + Get("/healthz")));
  std::string pending;
  const int expected[] = {200, 401, 404, 206, 200};
  for (int want : expected) {
    RawReply r = ReadReply(fd, &pending);
    EXPECT_EQ(r.status, want) << r.head;
  }
  ::close(fd);
}

TEST_F(HttpHardeningTest, ContentTypeComesFromTheFileOpened) {
  StartServer(ServerOptions{});
  std::ofstream(root_ / "media" / "page.html") << "<p>";
  RawReply r = RawCall(h_->port(), Get("/media/tag1.webm"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("Content-Type"), "video/webm");
  r = RawCall(h_->port(), Get("/media/page.html"));
  EXPECT_EQ(r.header("Content-Type").rfind("text/html", 0), 0u) << r.head;
  for (const char* path : {"/media/tag1.webm%00.html", "/media/tag1.webm%00", "/media/%2e%2e/x",
                           "/media/a/../tag1.webm", "/media/..%5ctag1.webm"}) {
    r = RawCall(h_->port(), Get(path));
    EXPECT_EQ(r.status, 400) << path << " " << r.head;
    EXPECT_EQ(r.header("Content-Type"), "application/json") << path;
  }
}

TEST_F(HttpHardeningTest, ApiRequestsAreLimitedPerAddress) {
  ServerOptions options;
  options.address_limit = {.rate_per_s = 0.001, .burst = 3};
  StartServer(options);
  const std::string request =
      Get("/v1/feed?user=nobody", absl::StrCat("X-Api-Key: ", kAppKey, "\r\n"));
  for (int i = 0; i < 3; ++i) EXPECT_NE(RawCall(h_->port(), request).status, 429) << i;
  RawReply limited = RawCall(h_->port(), request);
  EXPECT_EQ(limited.status, 429) << limited.head;
  EXPECT_NE(limited.body.find("client address"), std::string::npos) << limited.body;
  EXPECT_FALSE(limited.header("Retry-After").empty());
  // Without a key too: key guessing from one address is limited.
  EXPECT_EQ(RawCall(h_->port(), Get("/v1/feed?user=nobody")).status, 429);
  // The same key from another address still has its own allowance; /healthz is not limited.
  EXPECT_NE(RawCall(h_->port(), request, "127.0.0.2").status, 429);
  EXPECT_EQ(RawCall(h_->port(), Get("/healthz")).status, 200);
}

}  // namespace
}  // namespace foryou::server
