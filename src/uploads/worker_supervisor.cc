// The worker supervisor (worker_supervisor.h). HOW IT WORKS: fork, then in the child only
// async-signal-safe calls (setpgid, setrlimit, prctl, close_range, execv, _exit: the parent has
// other threads, whose locks the child must not touch; argv is built before the fork). The child
// keeps only stdin, stdout and stderr: an inherited listening socket would keep the server's port
// bound after the server died, so a restart could not bind it. It asks for SIGKILL when the
// server dies (PR_SET_PDEATHSIG), so no worker outlives a killed server and writes into the work
// directory of the job's next run. The parent polls waitpid every few ms until the child ends or
// the wall limit passes; then it SIGKILLs the child's process group (a worker that started
// processes of its own takes them with it) and reaps the child.
#include "uploads/worker_supervisor.h"

#include <algorithm>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/file_util.h"

namespace foryou::uploads {
namespace {

std::string SignalName(int sig) {
  switch (sig) {
    case SIGSEGV: return "SIGSEGV";
    case SIGABRT: return "SIGABRT";
    case SIGKILL: return "SIGKILL";
    case SIGBUS: return "SIGBUS";
    case SIGFPE: return "SIGFPE";
    case SIGILL: return "SIGILL";
    case SIGXCPU: return "SIGXCPU";
    case SIGXFSZ: return "SIGXFSZ";
    case SIGTERM: return "SIGTERM";
    default: return absl::StrCat("signal ", sig);
  }
}

void Limit(int resource, uint64_t value) {
  rlimit lim{static_cast<rlim_t>(value), static_cast<rlim_t>(value)};
  (void)::setrlimit(resource, &lim);
}

}  // namespace

absl::StatusOr<nlohmann::json> WorkerSupervisor::Run(const std::string& job_path,
                                                     const std::string& result_path,
                                                     const std::atomic<bool>* cancel) const {
  ::unlink(result_path.c_str());  // a stale result must not pass for this run's
  std::vector<std::string> args = {options_.binary, "media-worker", "--job", job_path, "--result",
                                   result_path};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  const pid_t parent = ::getpid();
  rlimit files{};
  ::getrlimit(RLIMIT_NOFILE, &files);
  const int max_fd = files.rlim_cur == RLIM_INFINITY ? 1 << 20 : static_cast<int>(files.rlim_cur);
  const pid_t pid = ::fork();
  if (pid < 0) return absl::UnavailableError(absl::StrCat("fork: ", std::strerror(errno)));
  if (pid == 0) {
    ::setpgid(0, 0);
    // PDEATHSIG follows the forking thread: a pipeline thread outlives every worker it runs.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);  // the server died before prctl
    if (::close_range(3, ~0U, 0) != 0) {
      for (int fd = 3; fd < max_fd; ++fd) ::close(fd);
    }
    Limit(RLIMIT_AS, options_.memory_bytes);
    Limit(RLIMIT_CPU, options_.cpu_seconds);
    Limit(RLIMIT_FSIZE, options_.file_bytes);
    Limit(RLIMIT_CORE, 0);
    // The server ignores SIGXFSZ / SIGPIPE; the worker gets the default actions back.
    ::signal(SIGXFSZ, SIG_DFL);
    ::signal(SIGPIPE, SIG_DFL);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::setpgid(pid, pid);  // also from the parent: the group exists before any kill below

  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.wall_ms);
  int status = 0;
  bool timed_out = false, cancelled = false;
  auto wait_step = std::chrono::milliseconds(1);
  for (;;) {
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) break;
    if (r < 0 && errno != EINTR) {
      return absl::InternalError(absl::StrCat("waitpid: ", std::strerror(errno)));
    }
    cancelled = cancel != nullptr && cancel->load();
    if (cancelled || std::chrono::steady_clock::now() >= deadline) {
      timed_out = !cancelled;
      ::kill(-pid, SIGKILL);
      ::kill(pid, SIGKILL);
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      break;
    }
    std::this_thread::sleep_for(wait_step);
    wait_step = std::min(wait_step * 2, std::chrono::milliseconds(20));
  }
  // Helpers the worker left behind in its group go too.
  ::kill(-pid, SIGKILL);

  if (cancelled) return absl::CancelledError("worker stopped: the server is shutting down");
  if (timed_out) {
    return absl::InternalError(
        absl::StrFormat("worker exceeded %g s", static_cast<double>(options_.wall_ms) / 1000.0));
  }
  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    return absl::InternalError(
        absl::StrCat("worker killed by signal ", sig, " (", SignalName(sig), ")"));
  }
  const int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  if (code == 127) {
    return absl::InternalError(absl::StrCat("worker could not be started: ", options_.binary));
  }
  if (code != 0 && code != 2) return absl::InternalError(absl::StrCat("worker exited with status ", code));

  struct stat st;
  if (::stat(result_path.c_str(), &st) != 0) {
    return absl::InternalError(absl::StrCat("worker exited with status ", code, " without a result"));
  }
  if (static_cast<uint64_t>(st.st_size) > options_.max_result_bytes) {
    return absl::InternalError("worker result is too large");
  }
  absl::StatusOr<std::string> text = common::ReadFile(result_path);
  if (!text.ok()) return absl::InternalError(absl::StrCat("worker result: ", text.status().message()));
  nlohmann::json result = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (!result.is_object()) return absl::InternalError("worker result is not a JSON object");
  if (code == 2) {
    const auto it = result.find("error");
    const std::string why = it != result.end() && it->is_string() ? it->get<std::string>()
                                                                   : "no reason given";
    return absl::FailedPreconditionError(absl::StrCat("worker refused the input: ", why));
  }
  return result;
}

}  // namespace foryou::uploads
