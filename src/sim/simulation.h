// Simulation: the population half of `foryou simulate` (simulator.h is the public entry):
// the simulated users (Agent), their step-by-step browsing of a running service through
// ApiClient, the moderator, the rule checks and the like-rate measurement. Internal to
// src/sim/; RunSimulation owns the service it talks to.
//
// Thread-safety: Run() drives its own client threads; nothing else may call into it meanwhile.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <ostream>
#include <random>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "common/mutex.h"
#include "sim/api_client.h"
#include "sim/page_checker.h"
#include "sim/simulator.h"
#include "sim/world.h"

namespace foryou::sim {

// prefix + 32 random base-62 characters (std::random_device): API keys, directory names.
std::string RandomKey(const std::string& prefix);

// Like-rate tracking of one measured user in one phase.
struct PhaseTrack {
  int swipes = 0, likes = 0;
  std::deque<double> window;  // true p_like of the last `window` items
  double window_sum = 0;
  int reached = -1;
  double oracle = 0;       // the oracle's like rate when the last page was requested
  double first_page = -1;  // mean p_like of the phase's first page
  double second_half_sum = 0;
  int second_half = 0;
};

struct Agent {
  std::string id;
  Taste taste;
  std::mt19937_64 rng;
  std::unique_ptr<PageChecker> checker;
  absl::flat_hash_set<std::string> hidden_creators;  // as acknowledged by the service
  absl::flat_hash_set<int> following;
  std::vector<char> served;  // by world video index
  enum class Hide { kNone, kByEvent, kByPatch } hide = Hide::kNone;
  bool hid = false;
  uint64_t wait_offset = 0;  // the serving offset that covers this user's events
  int64_t last_time_ms = 0;
  int swipes_left = 0;
  double activity = 1;  // this user's share of a phase's swipes (World::RandomActivity)
  bool measured = false, done = false;
  PhaseTrack track;
  // Served but not yet posted (Serve -> Post): the page's events, its length, a creator hidden.
  nlohmann::json pending_events;
  int pending_swipes = 0;
  std::string pending_hide;
};

// How a lockstep simulation drives the service (SimOptions::live false): the service's clock,
// which only the simulation moves, and one training step (Engine::Advance) between rounds.
struct Lockstep {
  std::atomic<int64_t>* clock = nullptr;
  std::function<absl::Status()> advance;
};

// Drives the users of one simulation against the service on 127.0.0.1:port. `o` and `world`
// must outlive it.
class Simulation {
 public:
  // `lockstep`: null for a live run (wall clock, the service's own trainer thread).
  Simulation(const SimOptions& o, const World& world, int port, std::string app_key,
             std::string admin_key, const Lockstep* lockstep, std::ostream& progress)
      : o_(o), world_(world), port_(port), app_key_(std::move(app_key)),
        admin_key_(std::move(admin_key)), lockstep_(lockstep), progress_(progress),
        likes_(world.videos().size()), views_(world.videos().size()),
        removed_flag_(world.videos().size()),
        moderator_rng_(o.seed ^ 0x5EED) {}

  // Posts the catalog, runs the warm-up, the new users and the taste shift; the result's
  // counters and measurements (not `seconds` of the service start-up).
  [[nodiscard]] absl::StatusOr<SimResult> Run();

 private:
  // Runs fn(thread index, client) on `threads` threads; the first error wins.
  absl::Status Parallel(const std::function<absl::Status(int, ApiClient&)>& fn);
  absl::Status PostCatalog();
  absl::Status SignUp(ApiClient& api, Agent& a, const std::vector<std::string>& interests);
  absl::Status RunPhase(std::vector<Agent>& agents, int swipes, bool measured);
  // Live: each thread steps its users (wait for the model, Serve, Post). Lockstep: rounds of
  // one page per user, served in user order at one clock time, then posted, then Advance.
  absl::Status RunLive(std::vector<Agent>& agents);
  absl::Status RunRounds(std::vector<Agent>& agents);
  // One page for `a`: fetch, check, react; the events wait in a.pending_events. `page_ms`: the
  // page's time on the lockstep clock (its i-th item is watched at page_ms + i x swipe_ms);
  // -1 in a live run (the wall clock).
  absl::Status Serve(ApiClient& api, Agent& a, int64_t page_ms);
  absl::Status Post(ApiClient& api, Agent& a);
  int Threads() const { return lockstep_ != nullptr ? 1 : std::max(1, o_.threads); }
  absl::Status MaybeModerate(ApiClient& api);
  bool Blocked(const std::string& video, size_t removed_before) const;
  int MostLiked(const absl::flat_hash_set<int>& skip) const;
  Agent MakeAgent(const std::string& id, Taste taste, uint64_t salt);
  PhaseResult Summarize(const std::vector<Agent>& agents) const;

  const SimOptions& o_;
  const World& world_;
  const int port_;
  const std::string app_key_, admin_key_;
  const Lockstep* const lockstep_;
  std::ostream& progress_;
  absl::flat_hash_set<std::string> pending_;  // never-approved video ids (immutable once posted)

  // The world's appeal of video i at `now_ms` (its views so far, its age).
  double AppealOf(int i, int64_t now_ms) const {
    return world_.Appeal(world_.videos()[i], views_[i].load(std::memory_order_relaxed),
                         now_ms - start_ms_);
  }
  int64_t Now() const;  // the service's clock (lockstep) or the wall clock

  int64_t start_ms_ = 0;  // when the catalog was posted (the world's ages count from it)
  std::vector<std::atomic<uint32_t>> likes_;  // by world video index: likes the users gave
  std::vector<std::atomic<uint32_t>> views_;  // by world video index: times served
  std::vector<std::atomic<bool>> removed_flag_;
  std::atomic<uint64_t> feeds_{0}, swipes_{0}, events_{0}, rejected_{0};
  std::atomic<uint64_t> empty_pages_{0}, short_pages_{0}, sync_timeouts_{0}, hidden_{0};

  mutable common::Mutex mu_;
  absl::flat_hash_map<std::string, size_t> removed_at_ ABSL_GUARDED_BY(mu_);  // -> removal number
  std::atomic<size_t> removed_count_{0};  // removals completed
  // Total swipes at which to remove: filled by Run before any agent runs, read under mu_ after.
  std::vector<uint64_t> removal_schedule_;
  size_t next_removal_ ABSL_GUARDED_BY(mu_) = 0;
  std::mt19937_64 moderator_rng_ ABSL_GUARDED_BY(mu_);
  RuleViolations violations_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> examples_ ABSL_GUARDED_BY(mu_);
  // Serializes the agents' writes to progress_ (Run writes it only while no agent runs).
  common::Mutex progress_mu_;
};

}  // namespace foryou::sim
