// JobQueue over a real RocksDB: order per lane, persistence, recovery of running jobs at open, and
// the job that kills its worker three times.
#include "uploads/job_queue.h"

#include <unistd.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace foryou::uploads {
namespace {

namespace fs = std::filesystem;

class JobQueueTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static int n = 0;
    dir_ = (fs::temp_directory_path() / absl::StrCat("foryou_job_queue_", ::getpid(), "_", n++))
               .string();
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::unique_ptr<JobQueue> Open(int64_t now = 0) {
    auto q = JobQueue::Open(dir_, now);
    EXPECT_TRUE(q.ok()) << q.status();
    return q.ok() ? std::move(*q) : nullptr;
  }
  static JobSpec Spec(std::string video, Lane lane) {
    return JobSpec{.video = std::move(video), .owner = "alice", .input = "/in", .lane = lane};
  }
  std::string dir_;
};

TEST_F(JobQueueTest, EachLaneHandsOutItsJobsOldestFirst) {
  auto q = Open();
  ASSERT_TRUE(q->Enqueue(Spec("long1", Lane::kLong), 1).ok());
  ASSERT_TRUE(q->Enqueue(Spec("short1", Lane::kShort), 2).ok());
  ASSERT_TRUE(q->Enqueue(Spec("short2", Lane::kShort), 3).ok());
  std::optional<Job> a = q->Take(Lane::kShort, 10).value();
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->spec.video, "short1");
  EXPECT_EQ(a->state, JobState::kRunning);
  EXPECT_EQ(a->attempts, 1);
  EXPECT_EQ(q->Take(Lane::kShort, 11).value()->spec.video, "short2");
  EXPECT_FALSE(q->Take(Lane::kShort, 12).value().has_value());
  EXPECT_EQ(q->Take(Lane::kLong, 13).value()->spec.video, "long1");
  ASSERT_TRUE(q->Finish(a->id, absl::OkStatus(), 20).ok());
  Job done = q->Get(a->id).value();
  EXPECT_EQ(done.state, JobState::kDone);
  EXPECT_EQ(done.finished_ms, 20);
  // A finished job cannot finish again.
  EXPECT_EQ(q->Finish(a->id, absl::OkStatus(), 21).code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(JobQueueTest, JobsSurviveAReopenAndARunningJobIsQueuedAgain) {
  std::string queued, running, failed;
  {
    auto q = Open();
    running = q->Enqueue(Spec("v1", Lane::kShort), 1).value().id;
    queued = q->Enqueue(Spec("v2", Lane::kShort), 2).value().id;
    failed = q->Enqueue(Spec("v3", Lane::kLong), 3).value().id;
    ASSERT_EQ(q->Take(Lane::kShort, 4).value()->id, running);
    ASSERT_EQ(q->Take(Lane::kLong, 5).value()->id, failed);
    ASSERT_TRUE(q->Finish(failed, absl::InvalidArgumentError("too long: 700 s"), 6).ok());
  }
  auto q = Open(100);
  EXPECT_EQ(q->requeued_at_open(), 1);
  Job r = q->Get(running).value();
  EXPECT_EQ(r.state, JobState::kQueued);
  EXPECT_EQ(r.attempts, 1);
  Job f = q->Get(failed).value();
  EXPECT_EQ(f.state, JobState::kFailed);
  EXPECT_EQ(f.error, "too long: 700 s");
  EXPECT_EQ(q->JobOfVideo("v3").value().id, failed);
  // The re-queued job keeps its place ahead of the one queued after it.
  EXPECT_EQ(q->Take(Lane::kShort, 101).value()->id, running);
  EXPECT_EQ(q->Take(Lane::kShort, 102).value()->id, queued);
  // New jobs go after the old ones.
  std::string later = q->Enqueue(Spec("v4", Lane::kShort), 103).value().id;
  EXPECT_GT(q->Get(later).value().seq, q->Get(queued).value().seq);
}

TEST_F(JobQueueTest, AJobWhoseWorkerDiesThreeTimesFails) {
  std::string id;
  {
    auto q = Open();
    id = q->Enqueue(Spec("v1", Lane::kLong), 1).value().id;
  }
  for (int attempt = 1; attempt <= kMaxAttempts; ++attempt) {
    auto q = Open(attempt * 10);
    std::optional<Job> job = q->Take(Lane::kLong, attempt * 10 + 1).value();
    ASSERT_TRUE(job.has_value()) << "attempt " << attempt;
    EXPECT_EQ(job->attempts, attempt);
    // The process dies with the job running: the queue is closed without Finish.
  }
  auto q = Open(100);
  EXPECT_EQ(q->failed_at_open(), 1);
  Job job = q->Get(id).value();
  EXPECT_EQ(job.state, JobState::kFailed);
  EXPECT_EQ(job.error, "worker died 3 times");
  EXPECT_EQ(job.finished_ms, 100);
  EXPECT_FALSE(q->Take(Lane::kLong, 101).value().has_value());
  EXPECT_TRUE(q->List(JobState::kRunning).value().empty());
}

}  // namespace
}  // namespace foryou::uploads
