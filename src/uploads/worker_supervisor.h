// WorkerSupervisor: runs one media job in a child process, `<binary> media-worker --job J
// --result R` (the worker protocol, docs/design/uploads.md), with resource limits set in the child
// (address space, CPU seconds, file size, no core files) and a wall-clock limit after which the
// child's process group is killed. The server never decodes media itself: a crash, a hang or a
// memory blow-up of a decoder on a hostile file ends the child, never the server.
//
// Outcomes of Run: the parsed RESULT.json (exit 0); FailedPrecondition "worker refused the
// input: <the worker's error>" (exit 2 with {"error": ...}); Internal naming the exit status, the
// signal ("worker killed by signal 11 (SIGSEGV)") or the timeout ("worker exceeded 30 s").
//
// Thread-safety: Run may be called from several threads at once (one child each).
//
// Example:
//   WorkerSupervisor sup(WorkerOptions{});                 // runs /proc/self/exe
//   absl::StatusOr<nlohmann::json> result = sup.Run("/w/job.json", "/w/result.json");
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace foryou::uploads {

// The worker's default address-space limit. A sanitizer build's worker reserves terabytes of
// address space for its shadow memory and could not start under any limit, so there is none in
// those builds (worker_supervisor_test checks the limit with an explicit one).
#ifdef FORYOU_SANITIZED
inline constexpr uint64_t kDefaultWorkerMemoryBytes = ~uint64_t{0};  // RLIM_INFINITY
#else
inline constexpr uint64_t kDefaultWorkerMemoryBytes = 2ull << 30;
#endif

struct WorkerOptions {
  std::string binary = "/proc/self/exe";  // run as `binary media-worker --job J --result R`
  uint64_t memory_bytes = kDefaultWorkerMemoryBytes;  // RLIMIT_AS
  uint64_t cpu_seconds = 600;             // RLIMIT_CPU (SIGXCPU past it)
  uint64_t file_bytes = 2ull << 30;       // RLIMIT_FSIZE: any one output file
  int64_t wall_ms = 900'000;              // then SIGKILL to the child's process group
  size_t max_result_bytes = 1 << 20;      // a larger RESULT.json is a failure
};

class WorkerSupervisor {
 public:
  explicit WorkerSupervisor(WorkerOptions options) : options_(std::move(options)) {}

  // `cancel` (may be null): when it turns true the worker is killed and Run returns Cancelled.
  [[nodiscard]] absl::StatusOr<nlohmann::json> Run(const std::string& job_path,
                                                   const std::string& result_path,
                                                   const std::atomic<bool>* cancel = nullptr) const;
  const WorkerOptions& options() const { return options_; }

 private:
  WorkerOptions options_;
};

}  // namespace foryou::uploads
