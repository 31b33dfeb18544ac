// WorkerSupervisor with real child processes: small shell scripts standing in for the media
// worker that succeed, refuse an input (exit 2), crash, hang, outgrow the memory limit, or exit
// oddly.
#include "uploads/worker_supervisor.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/file_util.h"
#include "gtest/gtest.h"

namespace foryou::uploads {
namespace {

namespace fs = std::filesystem;

class WorkerSupervisorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static int n = 0;
    dir_ = (fs::temp_directory_path() / absl::StrCat("foryou_supervisor_", ::getpid(), "_", n++))
               .string();
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    ASSERT_TRUE(common::WriteFileAtomically(dir_ + "/job.json", R"({"kind":"probe"})").ok());
  }
  void TearDown() override { fs::remove_all(dir_); }

  // A worker script: $3 is the job file, $5 the result file (`media-worker --job J --result R`).
  std::string Script(const std::string& body) {
    const std::string path = dir_ + "/worker.sh";
    std::ofstream(path) << "#!/bin/sh\n" << body << "\n";
    ::chmod(path.c_str(), 0755);
    return path;
  }
  absl::StatusOr<nlohmann::json> Run(const std::string& body, WorkerOptions o = {}) {
    o.binary = Script(body);
    if (o.wall_ms == WorkerOptions{}.wall_ms) o.wall_ms = 10'000;
    return WorkerSupervisor(o).Run(dir_ + "/job.json", dir_ + "/result.json");
  }
  std::string dir_;
};

TEST_F(WorkerSupervisorTest, ASuccessfulWorkerGivesItsResultAndSeesTheProtocolArguments) {
  auto r = Run(R"sh([ "$1" = media-worker ] && [ "$2" = --job ] && [ "$4" = --result ] || exit 9
grep -q probe "$3" || exit 8
echo '{"duration_ms": 4000, "width": 720}' > "$5")sh");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ((*r)["duration_ms"], 4000);
}

TEST_F(WorkerSupervisorTest, ExitTwoIsARefusalWithTheWorkersMessage) {
  auto r = Run(R"sh(echo '{"error": "duration 700 s is over the limit of 600 s"}' > "$5"; exit 2)sh");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(r.status().message(),
            "worker refused the input: duration 700 s is over the limit of 600 s");
}

TEST_F(WorkerSupervisorTest, ACrashIsReportedWithItsSignal) {
  auto r = Run("kill -SEGV $$");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInternal);
  EXPECT_EQ(r.status().message(), "worker killed by signal 11 (SIGSEGV)");
}

// True once process `pid` is gone or a zombie (killed, waiting for its reaper).
bool Ended(pid_t pid) {
  std::ifstream stat(absl::StrCat("/proc/", pid, "/stat"));
  std::string line;
  if (!std::getline(stat, line)) return true;
  const size_t paren = line.rfind(')');
  return paren != std::string::npos && paren + 2 < line.size() && line[paren + 2] == 'Z';
}

TEST_F(WorkerSupervisorTest, AHangIsKilledAtTheWallLimitWithItsChildren) {
  const std::string pid_file = dir_ + "/helper.pid";
  const auto start = std::chrono::steady_clock::now();
  // The worker's helper process must die with it, not outlive it.
  auto r = Run(absl::StrCat("sleep 30 & echo $! > ", pid_file, "; wait"),
               WorkerOptions{.wall_ms = 300});
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInternal);
  EXPECT_EQ(r.status().message(), "worker exceeded 0.3 s");
  EXPECT_LT(s, 5.0);
  const pid_t helper = std::stoi(common::ReadFile(pid_file).value());
  for (int i = 0; i < 200 && !Ended(helper); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(Ended(helper)) << "the worker's helper " << helper << " outlived the kill";
}

TEST_F(WorkerSupervisorTest, AWorkerOverTheMemoryLimitFails) {
  // 256 MB in one string, under a 64 MB address-space limit: perl dies, no result is written.
  auto r = Run(R"sh(perl -e '$x = "a" x (256 * 1024 * 1024); exit 0' || exit 1
echo '{"ok": true}' > "$5")sh",
               WorkerOptions{.memory_bytes = 64ull << 20});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInternal) << (r.ok() ? r->dump() : "");
  EXPECT_EQ(r.status().message(), "worker exited with status 1");
}

TEST_F(WorkerSupervisorTest, NoCoreFilesAndAStaleResultIsNotTaken) {
  // A result from an earlier run is removed before the worker starts.
  ASSERT_TRUE(common::WriteFileAtomically(dir_ + "/result.json", R"({"stale": true})").ok());
  auto r = Run(R"sh([ "$(ulimit -c)" = 0 ] || exit 7
exit 0)sh");
  EXPECT_EQ(r.status().message(), "worker exited with status 0 without a result");
  auto bad = Run(R"sh(echo 'not json' > "$5")sh");
  EXPECT_EQ(bad.status().message(), "worker result is not a JSON object");
  auto odd = Run("exit 3");
  EXPECT_EQ(odd.status().message(), "worker exited with status 3");
}

TEST_F(WorkerSupervisorTest, TheWorkerInheritsNoDescriptorButTheStandardOnes) {
  // A descriptor of the server without O_CLOEXEC (as the HTTP listener's is): were the worker to
  // keep it, a listener would stay bound after the server died and a restart could not bind.
  const std::string marker = dir_ + "/inherited_marker";
  ASSERT_TRUE(common::WriteFileAtomically(marker, "x").ok());
  const int fd = ::open(marker.c_str(), O_RDONLY);
  ASSERT_GE(fd, 3);
  auto r = Run(R"sh(ls -l /proc/$$/fd | grep -q inherited_marker && exit 9
echo '{"ok": true}' > "$5")sh");
  ::close(fd);
  EXPECT_TRUE(r.ok()) << r.status();
}

TEST_F(WorkerSupervisorTest, AWorkerDiesWithAKilledServer) {
  // A child process stands in for the server: it runs a worker that sleeps, and is SIGKILLed.
  const std::string pid_file = dir_ + "/worker.pid";
  const std::string worker = Script(absl::StrCat("echo $$ > ", pid_file, ".tmp; mv ", pid_file,
                                                 ".tmp ", pid_file, "; exec sleep 30"));
  const pid_t server = ::fork();
  ASSERT_GE(server, 0);
  if (server == 0) {
    WorkerOptions o;
    o.binary = worker;
    (void)WorkerSupervisor(o).Run(dir_ + "/job.json", dir_ + "/result.json");
    ::_exit(0);
  }
  for (int i = 0; i < 500 && !fs::exists(pid_file); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_TRUE(fs::exists(pid_file)) << "the worker did not start";
  const pid_t worker_pid = std::stoi(common::ReadFile(pid_file).value());
  ASSERT_EQ(::kill(server, SIGKILL), 0);
  ASSERT_EQ(::waitpid(server, nullptr, 0), server);
  for (int i = 0; i < 200 && !Ended(worker_pid); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  const bool ended = Ended(worker_pid);
  if (!ended) ::kill(worker_pid, SIGKILL);
  EXPECT_TRUE(ended) << "the worker " << worker_pid << " outlived the server";
}

TEST_F(WorkerSupervisorTest, AMissingBinaryIsReported) {
  WorkerOptions o;
  o.binary = dir_ + "/no_such_worker";
  auto r = WorkerSupervisor(o).Run(dir_ + "/job.json", dir_ + "/result.json");
  EXPECT_EQ(r.status().message(), absl::StrCat("worker could not be started: ", o.binary));
}

}  // namespace
}  // namespace foryou::uploads
