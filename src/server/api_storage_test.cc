// The HTTP API when the event log's disk is full: POST /v1/events answers a retryable 503 with
// Retry-After (no file path in the message), /healthz and /metrics report the fault, and both
// recover by themselves once space returns. The full disk is RLIMIT_FSIZE (writes past it fail
// with EFBIG), which works unprivileged.
#include <signal.h>
#include <sys/resource.h>

#include <filesystem>
#include <string>

#include "server/api_test_harness.h"

namespace foryou::server {
namespace {

namespace fs = std::filesystem;

uint64_t NewestSegmentSize(const std::string& dir) {
  std::string newest;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() == ".log" && e.path().string() > newest) newest = e.path().string();
  }
  return fs::file_size(newest);
}

TEST(ApiStorageTest, AFullLogDiskAnswers503WithRetryAfterAndRecovers) {
  ::signal(SIGXFSZ, SIG_IGN);
  Harness h(ServerOptions{});
  ASSERT_TRUE(h.ok());
  ASSERT_EQ(h.Post("/v1/users", json({{"id", "u1"}, {"interests", {"dance"}}}).dump()).status, 201);
  ASSERT_EQ(h.Post("/v1/videos", VideoJson(0), kAdminKey).status, 201);
  const std::string batch = "[" + Event("like", "u1", "v0") + "]";
  ASSERT_EQ(h.Post("/v1/events", batch).status, 200);
  const std::string log_dir =
      dynamic_cast<stream::FileEventLog&>(h.engine().loop().log()).options().dir;

  rlimit lim;
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &lim), 0);
  const rlim_t unlimited = lim.rlim_cur;
  lim.rlim_cur = NewestSegmentSize(log_dir);
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &lim), 0);
  const uint64_t end = h.engine().loop().log().EndOffset();
  const Reply refused = h.Post("/v1/events", batch);
  const Reply health = h.Get("/healthz", "");
  const Reply metrics = h.Get("/metrics", "");
  lim.rlim_cur = unlimited;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &lim), 0);

  EXPECT_TRUE(IsError(refused, 503, "unavailable", "retry later"));
  EXPECT_EQ(refused.header("Retry-After"), "5");
  EXPECT_EQ(refused.body.find(log_dir), std::string::npos) << refused.body;
  EXPECT_EQ(h.engine().loop().log().EndOffset(), end);
  EXPECT_EQ(health.status, 503) << health.body;
  EXPECT_EQ(health.j.value("status", ""), "degraded") << health.body;
  ASSERT_TRUE(health.j.contains("storage_faults")) << health.body;
  EXPECT_NE(health.j["storage_faults"][0].get<std::string>().find("event log"), std::string::npos);
  EXPECT_EQ(MetricValue(metrics.body, "foryou_log_append_failures_total"), 1);
  EXPECT_EQ(MetricValue(metrics.body, "foryou_storage_faults"), 1);

  // Space is back: the same batch is taken and the server is healthy again.
  const Reply again = h.Post("/v1/events", batch);
  EXPECT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(again.j.value("offset", uint64_t{0}), end);
  const Reply healthy = h.Get("/healthz", "");
  EXPECT_EQ(healthy.status, 200) << healthy.body;
  EXPECT_EQ(MetricValue(h.Get("/metrics", "").body, "foryou_storage_faults"), 0);
}

}  // namespace
}  // namespace foryou::server
