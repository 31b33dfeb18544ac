// `foryou simulate`: the service it runs and the results it prints (see the header and
// docs/design/sim.md); the population itself is Simulation (simulation.h).
#include "sim/simulator.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <limits>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/clock.h"
#include "common/file_util.h"
#include "common/status_macros.h"
#include "server/api_keys.h"
#include "server/api_server.h"
#include "server/engine.h"
#include "sim/simulation.h"

namespace foryou::sim {

int PhaseResult::reached() const {
  return static_cast<int>(std::count_if(swipes_to_target.begin(), swipes_to_target.end(),
                                        [](int s) { return s >= 0; }));
}

std::string PhaseResult::Median(int limit) const {
  if (swipes_to_target.empty()) return "n/a";
  std::vector<int> v;
  for (int s : swipes_to_target) v.push_back(s < 0 ? std::numeric_limits<int>::max() : s);
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  const int lo = v[(n - 1) / 2], hi = v[n / 2];
  if (hi == std::numeric_limits<int>::max()) return absl::StrCat(">", limit);
  if (lo == hi) return absl::StrCat(lo);
  return absl::StrFormat("%g", (lo + hi) / 2.0);
}

std::string SimResult::Line() const {
  return absl::StrFormat(
      "simulate new_user_swipes_to_half_oracle=%s (reached %d/%d) shift_swipes_to_half_oracle=%s "
      "(reached %d/%d) feeds=%d rule_violations=%d like_rate_final=%.3f oracle_like_rate=%.3f",
      learn.Median(swipes_limit), learn.reached(), learn.swipes_to_target.size(),
      shift.Median(swipes_limit), shift.reached(), shift.swipes_to_target.size(), feeds,
      violations.total(), learn.final_like_rate, learn.final_oracle);
}

std::string SimResult::DetailLine() const {
  return absl::StrFormat(
      "simulate baselines random_like_rate=%.3f trending_like_rate=%.3f first_page_like_rate=%.3f "
      "shift_like_rate_final=%.3f shift_oracle_like_rate=%.3f swipes=%d events=%d "
      "events_rejected=%d removed=%d hidden=%d empty_pages=%d short_pages=%d sync_timeouts=%d "
      "seconds=%.1f",
      random_like_rate, trending_like_rate, learn.first_page_like_rate, shift.final_like_rate,
      shift.final_oracle, swipes, events, events_rejected, removed, hidden, empty_pages,
      short_pages, sync_timeouts, seconds);
}

namespace {
constexpr int64_t kLockstepEpochMs = 1'767'600'000'000;  // Mon 2026-01-05 08:00 UTC
}  // namespace

absl::StatusOr<SimResult> RunSimulation(const SimOptions& options, std::ostream& progress) {
  namespace fs = std::filesystem;
  std::string dir = options.data_dir;
  const bool temporary = dir.empty();
  std::error_code ec;
  if (temporary) {
    // RAM-backed when possible: the catalog store syncs every write to disk, which costs
    // seconds per thousand videos on a real disk and buys a throw-away run nothing.
    const fs::path base = fs::is_directory("/dev/shm", ec) && access("/dev/shm", W_OK) == 0
                              ? fs::path("/dev/shm")
                              : fs::temp_directory_path();
    dir = (base / absl::StrCat("foryou-sim-", getpid(), "-", RandomKey("").substr(0, 8))).string();
  } else if (fs::exists(dir, ec) && !fs::is_empty(dir, ec)) {
    return absl::FailedPreconditionError(
        absl::StrCat(dir, ": not empty (simulate needs a new or empty data directory)"));
  }
  FORYOU_RETURN_IF_ERROR(common::MakeDirs(dir));
  absl::StatusOr<SimResult> result = [&]() -> absl::StatusOr<SimResult> {
    server::EngineOptions eo;
    eo.data_dir = dir;
    eo.model_config_json = options.model_config_json;
    eo.feed = options.feed;
    eo.fsync = stream::FsyncPolicy::kNever;  // a simulation needs no durability
    eo.snapshot_interval_ms = 3600'000;
    FORYOU_ASSIGN_OR_RETURN(std::unique_ptr<server::Engine> engine,
                            server::Engine::Open(eo, progress));
    const std::string app_key = RandomKey("sim_app_"), admin_key = RandomKey("sim_admin_");
    FORYOU_ASSIGN_OR_RETURN(
        server::ApiKeys keys,
        server::ApiKeys::Parse(absl::StrCat(
            R"({"keys": [{"key": ")", app_key, R"(", "role": "app", "name": "simulate app"},)",
            R"({"key": ")", admin_key, R"(", "role": "admin", "name": "simulate admin"}]})")));
    server::ServerOptions so;
    so.port = 0;
    so.threads = options.server_threads;
    // Lockstep time starts at a fixed instant, not now: the model's hour and weekday features
    // and the hourly audience counters then see the same times in every run.
    std::atomic<int64_t> clock{options.live ? common::WallMs() : kLockstepEpochMs};
    Lockstep lockstep{.clock = &clock, .advance = [&engine] { return engine->Advance(); }};
    if (!options.live) so.clock = [&clock] { return clock.load(); };
    // The server registers the loop's sync observer: made before the trainer thread starts,
    // and the trainer stopped before the server goes (Engine::Stop below, on every path).
    server::ApiServer api(so, {&engine->feed(), &engine->loop(), &engine->store(), keys});
    if (options.live) engine->Start();
    if (absl::Status st = api.Start(); !st.ok()) {
      engine->Stop();
      return st;
    }
    progress << "simulate: service on http://127.0.0.1:" << api.port() << " (data " << dir
             << ")\n";
    FORYOU_ASSIGN_OR_RETURN(const World world, World::Generate(options.world, options.seed));
    Simulation sim(options, world, api.port(), app_key, admin_key,
                   options.live ? nullptr : &lockstep, progress);
    absl::StatusOr<SimResult> r = sim.Run();
    api.Stop();
    engine->Stop();
    if (r.ok() && !engine->loop().status().ok()) {
      return absl::InternalError(absl::StrCat("the trainer stopped: ",
                                              engine->loop().status().ToString()));
    }
    return r;
  }();
  if (temporary) fs::remove_all(dir, ec);
  return result;
}

}  // namespace foryou::sim
