// `foryou simulate`: synthetic users with hidden, drifting tastes browse a LIVE foryou service
// over HTTP, and the simulator measures how fast the feed learns them and whether every page
// obeys the feed rules (docs/design/sim.md).
//
// RunSimulation starts its own Engine on a fresh data directory and an ApiServer on a free
// port, posts a synthetic catalog (World), lets a background population browse (the warm-up:
// engagement, trending, a trained model), then signs up new users and measures, per user, the
// swipes until the feed's like rate (mean true p_like over a moving window) first reaches half
// of the oracle's (the best possible feed), then shifts each user's taste and measures again.
// Every page is re-checked against the feed rules from the client's side (PageChecker), while a
// moderator removes videos and some users hide creators mid-run. Everything after start-up goes
// through HTTP: the simulator sees only what a client app sees.
//
// Reproducible: with the default lockstep the simulation owns the service's clock and training
// steps, so a seed gives the same pages and figures on any machine. A live run (SimOptions::live)
// runs the service as in production, and its pages depend on thread timing.
//
// Example:
//   SimOptions o;
//   o.seed = 7;
//   FORYOU_ASSIGN_OR_RETURN(SimResult r, RunSimulation(o, std::cerr));
//   std::cout << r.Line() << "\n";
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "feed/feed_service.h"
#include "sim/page_checker.h"
#include "sim/world.h"

namespace foryou::sim {

struct SimOptions {
  std::string data_dir;  // "" = a temporary directory, removed at the end; else new or empty
  uint64_t seed = 1;
  WorldOptions world;        // categories, creators, sounds, videos
  int pending_videos = 20;   // posted as "pending": must never be served
  int removed_videos = 30;   // removed mid-run (half during the warm-up, half during learning)
  int users = 200;           // background users (the warm-up population)
  int warmup_swipes = 40;    // per background user
  int new_users = 20;        // measured users
  int swipes = 200;          // per new user, in each phase (learning, then after the shift)
  int page_size = 8;         // items per feed request
  int window = 20;           // swipes in the moving like-rate window
  int min_window = 10;       // swipes before the window is judged at all
  double target_fraction = 0.5;  // of the oracle's like rate
  int oracle_top = 10;       // the oracle's feed: this many best unseen videos
  double hider_share = 0.1;  // users who hide one creator (half by event, half by admin PATCH)
  double interest_share = 0.5;  // new users who pick one sign-up interest (never their taste)
  // Lockstep (the default): the simulation owns the service's clock and its training. Users
  // browse in rounds of one page each, served in user order at one clock time; then their
  // events are posted and the model trains on all of them and syncs to serving (Engine::Advance)
  // before the next round. The same seed gives the same run, whatever the machine's load.
  // Live: client threads, the wall clock and the service's own trainer thread, as in
  // production: pages depend on thread timing and how far training has got.
  bool live = false;
  int64_t swipe_ms = 10'000;  // lockstep: clock time per swipe (a round is page_size swipes)
  int threads = 8;           // live: client threads (each runs its share of the users)
  int64_t sync_timeout_ms = 5000;  // longest wait for the model to absorb a user's events
  // Pause between the warm-up and the new users, so the dense weights trained during the
  // warm-up reach the serving model (the loop syncs them every 5 s; sparse rows every 200 ms).
  int64_t settle_ms = 6000;
  // The service: model config JSON ("" = the built-in config/model.json), feed options (the
  // rule parameters the checker enforces come from here), HTTP handler threads.
  std::string model_config_json;
  feed::FeedOptions feed;
  int server_threads = 8;
};

// One measured phase over the new users.
struct PhaseResult {
  std::vector<int> swipes_to_target;  // per user; -1 = not reached within SimOptions::swipes
  double final_like_rate = 0;     // mean over users: mean p_like of the last `window` swipes
  double final_oracle = 0;        // mean over users: the oracle's like rate at the phase's end
  double realized_like_rate = 0;  // likes actually sampled / swipes, whole phase
  double first_page_like_rate = 0;  // mean p_like of each user's first page of the phase
  double second_half_like_rate = 0;  // mean p_like of the phase's second half of swipes
  int reached() const;
  // The median over every user, a user who never reached counting as infinitely slow: a
  // number ("23", "23.5"), or ">N" when the median user did not reach the target in N swipes.
  std::string Median(int limit) const;
};

struct SimResult {
  PhaseResult learn, shift;
  uint64_t feeds = 0, swipes = 0, events = 0, events_rejected = 0;
  uint64_t empty_pages = 0, short_pages = 0, sync_timeouts = 0;
  uint64_t removed = 0, hidden = 0;  // moderation removals and creator hides done
  RuleViolations violations;
  std::vector<std::string> violation_examples;  // the first few, "user u: item 3: ..."
  // Baselines for the new users at sign-up (mean over users of their p_like):
  double random_like_rate = 0;    // a random feed: the mean over all servable videos
  double trending_like_rate = 0;  // the 10 most-liked videos of the warm-up (counted by the
                                  // simulator from its own events: the API has no trending page)
  double warmup_seconds = 0, seconds = 0;
  int swipes_limit = 0;  // SimOptions::swipes, for Line()

  // The last stdout line of `foryou simulate` (docs/design/sim.md).
  std::string Line() const;
  // One line of baselines and counters, printed before Line().
  std::string DetailLine() const;
};

// Runs the whole simulation; progress lines go to `progress`. Errors: the data directory is
// not empty, the service fails to start, or an HTTP call the simulation depends on fails
// (a sign-up, a catalog write, the feed).
[[nodiscard]] absl::StatusOr<SimResult> RunSimulation(const SimOptions& options,
                                                      std::ostream& progress);

}  // namespace foryou::sim
