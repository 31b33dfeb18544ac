// The simulated population of `foryou simulate` (see simulation.h and docs/design/sim.md).
//
// HOW IT WORKS
// Threads: `threads` client threads, each with its own keep-alive HTTP connection, each owning a
// fixed share of the users and stepping them round-robin one page at a time. One step of a user:
//   1. wait until the serving model has absorbed the user's previous events (/healthz), so every
//      page is ranked with everything the user did before it, as for a person swiping;
//   2. GET /v1/feed; check the page against the rules (PageChecker) as of the request's start;
//   3. the user reacts to each item in order (World::React) and the events are posted in one
//      batch: impression, then like / share / follow while watching, then play or skip, then
//      not_interested / hide_creator for a disliked video;
//   4. for a measured user, the true p_like of each item feeds the moving like-rate window,
//      judged against the oracle computed when the page was requested.
// Interleaving many users per thread hides most of the wait in step 1 behind other users' pages.
// A moderator (whichever thread crosses the next swipe-count threshold) removes the currently
// most-liked video; a page counts as a moderation violation only for a removal that completed
// before the page was requested.
#include "sim/simulation.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/clock.h"
#include "common/status_macros.h"

namespace foryou::sim {

using nlohmann::json;

namespace {

constexpr size_t kMaxViolationExamples = 10;

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

}  // namespace

std::string RandomKey(const std::string& prefix) {
  static constexpr char kChars[] =
      "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
  std::random_device rd;
  std::string key = prefix;
  for (int i = 0; i < 32; ++i) key.push_back(kChars[rd() % 62]);
  return key;
}

absl::Status Simulation::Parallel(const std::function<absl::Status(int, ApiClient&)>& fn) {
  const int n = Threads();
  std::vector<absl::Status> status(n);
  std::vector<std::thread> threads;
  for (int t = 0; t < n; ++t) {
    threads.emplace_back([&, t] {
      ApiClient api(port_, app_key_, admin_key_);
      status[t] = fn(t, api);
    });
  }
  for (auto& th : threads) th.join();
  for (const absl::Status& s : status) FORYOU_RETURN_IF_ERROR(s);
  return absl::OkStatus();
}

int64_t Simulation::Now() const {
  return lockstep_ != nullptr ? lockstep_->clock->load() : common::WallMs();
}

absl::Status Simulation::PostCatalog() {
  const int64_t now = Now();
  start_ms_ = now;
  const auto& videos = world_.videos();
  std::mt19937_64 rng(o_.seed * 31 + 5);
  std::vector<json> bodies;
  for (const SimVideo& v : videos) {
    json b = {{"id", v.id}, {"creator", world_.CreatorId(v.creator)},
              {"caption", absl::StrCat("a ", world_.CategoryTag(v.category), " video")},
              {"hashtags", v.hashtags}, {"duration_ms", v.duration_ms},
              // A catalog built over the last week: some videos are still in the fresh pool.
              {"upload_ms", now - v.age_at_start_ms},
              {"moderation", "approved"}};
    if (v.sound >= 0) b["sound"] = world_.SoundId(v.sound);
    bodies.push_back(std::move(b));
  }
  for (int i = 0; i < o_.pending_videos && !videos.empty(); ++i) {
    const SimVideo& like = videos[rng() % videos.size()];
    const std::string id = absl::StrFormat("p%04d", i);
    pending_.insert(id);
    bodies.push_back({{"id", id}, {"creator", world_.CreatorId(like.creator)},
                      {"hashtags", like.hashtags}, {"duration_ms", like.duration_ms},
                      {"moderation", "pending"}});
  }
  return Parallel([&](int t, ApiClient& api) -> absl::Status {
    for (size_t i = t; i < bodies.size(); i += static_cast<size_t>(Threads())) {
      FORYOU_RETURN_IF_ERROR(api.CreateVideo(bodies[i]));
    }
    return absl::OkStatus();
  });
}

Agent Simulation::MakeAgent(const std::string& id, Taste taste, uint64_t salt) {
  Agent a;
  a.id = id;
  a.taste = std::move(taste);
  a.rng.seed(o_.seed * 0x9E3779B97F4A7C15ull + salt);
  a.checker = std::make_unique<PageChecker>(CheckerOptions{
      .creator_once_per = o_.feed.rules.creator_once_per,
      .max_category_run = o_.feed.rules.max_category_run});
  a.served.assign(world_.videos().size(), 0);
  const double h = std::uniform_real_distribution<double>(0, 1)(a.rng);
  if (h < o_.hider_share / 2) a.hide = Agent::Hide::kByEvent;
  else if (h < o_.hider_share) a.hide = Agent::Hide::kByPatch;
  return a;
}

int Simulation::MostLiked(const absl::flat_hash_set<int>& skip) const {
  int best = -1;
  uint32_t most = 0;
  for (size_t i = 0; i < likes_.size(); ++i) {
    const uint32_t n = likes_[i].load(std::memory_order_relaxed);
    if (n > most && !removed_flag_[i].load() && !skip.contains(static_cast<int>(i))) {
      best = static_cast<int>(i);
      most = n;
    }
  }
  return best;
}

absl::Status Simulation::SignUp(ApiClient& api, Agent& a,
                                const std::vector<std::string>& interests) {
  static const char* const kDevices[] = {"ios", "android", "web"};
  json body = {{"id", a.id}, {"language", "en"}, {"country", "US"},
               {"device", kDevices[a.rng() % 3]}, {"interests", interests}};
  FORYOU_RETURN_IF_ERROR(api.CreateUser(body));
  if (a.hide == Agent::Hide::kByPatch) {
    // Hide a creator the feed would likely show: the one behind the most-liked video so far
    // (or the most prolific creator before anyone liked anything).
    const int v = MostLiked({});
    const std::string creator = world_.CreatorId(v < 0 ? 0 : world_.videos()[v].creator);
    FORYOU_RETURN_IF_ERROR(api.PatchUser(a.id, {{"hidden_creators", json::array({creator})}}));
    a.hidden_creators.insert(creator);
    a.hid = true;
    ++hidden_;
  }
  return absl::OkStatus();
}

bool Simulation::Blocked(const std::string& video, size_t removed_before) const {
  if (pending_.contains(video)) return true;
  common::MutexLock lock(&mu_);
  const auto it = removed_at_.find(video);
  return it != removed_at_.end() && it->second < removed_before;
}

absl::Status Simulation::MaybeModerate(ApiClient& api) {
  int victim = -1;
  {
    common::MutexLock lock(&mu_);
    if (next_removal_ >= removal_schedule_.size() ||
        swipes_.load() < removal_schedule_[next_removal_]) {
      return absl::OkStatus();
    }
    ++next_removal_;
    victim = MostLiked({});
    if (victim < 0) victim = static_cast<int>(moderator_rng_() % world_.videos().size());
    removed_flag_[victim].store(true);  // the oracle stops counting it at once
  }
  const std::string& id = world_.videos()[victim].id;
  FORYOU_RETURN_IF_ERROR(api.PatchVideo(id, {{"moderation", "removed"}}));
  common::MutexLock lock(&mu_);
  removed_at_[id] = removed_count_.load();
  removed_count_.fetch_add(1);
  return absl::OkStatus();
}

absl::Status Simulation::Serve(ApiClient& api, Agent& a, int64_t page_ms) {
  a.pending_events = json::array();
  a.pending_swipes = 0;
  a.pending_hide.clear();
  const size_t removed_before = removed_count_.load();
  const int count = std::min(o_.page_size, a.swipes_left);
  FORYOU_ASSIGN_OR_RETURN(json page, api.Feed(a.id, count));
  ++feeds_;
  std::vector<ServedItem> items;
  std::string request_id;
  try {
    request_id = page.at("request_id").get<std::string>();
    for (const json& it : page.at("items")) {
      ServedItem s{.video = it.at("video").get<std::string>(),
                   .creator = it.at("creator").get<std::string>(),
                   .sound = it.at("sound").get<std::string>()};
      const json& tags = it.at("hashtags");
      if (!tags.empty()) s.category = tags[0].get<std::string>();
      items.push_back(std::move(s));
    }
  } catch (const json::exception& e) {
    return absl::InternalError(absl::StrCat("/v1/feed: unexpected page: ", e.what()));
  }
  {
    RuleViolations v;
    std::vector<std::string> messages;
    a.checker->Check(items, a.hidden_creators,
                     [&](const std::string& id) { return Blocked(id, removed_before); }, &v,
                     &messages);
    if (v.total() > 0) {
      common::MutexLock lock(&mu_);
      violations_.Add(v);
      for (const std::string& m : messages) {
        if (examples_.size() < kMaxViolationExamples) examples_.push_back(absl::StrCat(a.id, ": ", m));
      }
    }
  }
  if (items.empty()) {
    ++empty_pages_;
    a.done = true;
    return absl::OkStatus();
  }
  if (static_cast<int>(items.size()) < count) ++short_pages_;
  const int64_t now = page_ms < 0 ? common::WallMs() : page_ms;
  if (a.measured) {
    a.track.oracle = world_.Oracle(
        a.taste, o_.oracle_top,
        [&](int i) {
          return !a.served[i] && !removed_flag_[i].load() &&
                 !a.hidden_creators.contains(world_.CreatorId(world_.videos()[i].creator));
        },
        [&](int i) { return AppealOf(i, now); });
  }
  const bool first_page = a.track.swipes == 0;
  double page_p = 0;
  json events = json::array();
  std::string hid_creator;
  std::uniform_real_distribution<double> u01(0, 1);
  for (size_t pos = 0; pos < items.size(); ++pos) {
    const std::string& vid = items[pos].video;
    auto event = [&](const char* type) {
      const int64_t t = page_ms < 0 ? common::WallMs()
                                    : page_ms + static_cast<int64_t>(pos) * o_.swipe_ms;
      a.last_time_ms = std::max(t, a.last_time_ms + 1);
      json e = {{"type", type}, {"user", a.id}, {"time_ms", a.last_time_ms}, {"video", vid},
                {"request_id", request_id}};
      return e;
    };
    json imp = event("impression");
    imp["position"] = pos;
    imp["surface"] = o_.feed.surface;
    events.push_back(std::move(imp));
    const int idx = world_.VideoIndex(vid);
    if (idx < 0) {  // not a world video (a pending one served by mistake): swiped away at once
      json skip = event("skip");
      skip["watch_ms"] = 500;
      events.push_back(std::move(skip));
      continue;
    }
    a.served[idx] = 1;
    const SimVideo& v = world_.videos()[idx];
    const double appeal = AppealOf(idx, now);
    views_[idx].fetch_add(1, std::memory_order_relaxed);
    const double p = world_.PLike(a.taste, v, appeal);
    const Reaction r = world_.React(a.taste, v, appeal, a.rng);
    if (r.liked) {
      events.push_back(event("like"));
      likes_[idx].fetch_add(1, std::memory_order_relaxed);
    }
    if (r.shared) events.push_back(event("share"));
    if (r.liked && !a.following.contains(v.creator) && u01(a.rng) < 0.05) {
      json f = event("follow");
      f["creator"] = world_.CreatorId(v.creator);
      events.push_back(std::move(f));
      a.following.insert(v.creator);
    }
    json view = event(r.quick_skip ? "skip" : "play");
    view["watch_ms"] = r.watch_ms;
    if (!r.quick_skip) {
      view["completed"] = r.completed;
      if (r.replays > 0) view["replays"] = r.replays;
    }
    events.push_back(std::move(view));
    if (r.quick_skip && a.taste.category[v.category] < 0.1) {
      if (a.hide == Agent::Hide::kByEvent && !a.hid && hid_creator.empty()) {
        json h = event("hide_creator");
        hid_creator = world_.CreatorId(v.creator);
        h["creator"] = hid_creator;
        events.push_back(std::move(h));
      } else if (u01(a.rng) < 0.02) {
        events.push_back(event("not_interested"));
      }
    }
    if (a.measured) {
      PhaseTrack& t = a.track;
      ++t.swipes;
      t.likes += r.liked ? 1 : 0;
      if (2 * t.swipes > o_.swipes) t.second_half_sum += p, ++t.second_half;
      page_p += p;
      t.window.push_back(p);
      t.window_sum += p;
      if (static_cast<int>(t.window.size()) > o_.window) {
        t.window_sum -= t.window.front();
        t.window.pop_front();
      }
      if (t.reached < 0 && t.swipes >= o_.min_window &&
          t.window_sum / static_cast<double>(t.window.size()) >= o_.target_fraction * t.oracle) {
        t.reached = t.swipes;
      }
    }
  }
  if (a.measured && first_page) a.track.first_page = page_p / static_cast<double>(items.size());
  a.pending_events = std::move(events);
  a.pending_swipes = static_cast<int>(items.size());
  a.pending_hide = std::move(hid_creator);
  return absl::OkStatus();
}

absl::Status Simulation::Post(ApiClient& api, Agent& a) {
  if (a.pending_swipes == 0) return absl::OkStatus();  // an empty page: nothing to post
  json events = std::move(a.pending_events);
  a.pending_events = json::array();
  FORYOU_ASSIGN_OR_RETURN(ApiClient::Posted posted, api.PostEvents(events));
  events_ += posted.accepted;
  if (posted.rejected > 0) {
    if (rejected_.fetch_add(posted.rejected) == 0) {
      common::MutexLock lock(&progress_mu_);
      progress_ << "simulate: events rejected (first: " << posted.first_rejection << ")\n";
    }
  }
  a.wait_offset = posted.offset + posted.accepted;
  if (!a.pending_hide.empty()) {
    a.hidden_creators.insert(a.pending_hide);
    a.hid = true;
    ++hidden_;
  }
  a.swipes_left -= a.pending_swipes;
  a.done = a.swipes_left <= 0;
  swipes_ += static_cast<uint64_t>(a.pending_swipes);
  a.pending_swipes = 0;
  return MaybeModerate(api);
}

absl::Status Simulation::RunPhase(std::vector<Agent>& agents, int swipes, bool measured) {
  for (Agent& a : agents) {
    a.swipes_left = swipes <= 0 ? 0 : std::max(1, static_cast<int>(std::lround(swipes * a.activity)));
    a.done = a.swipes_left <= 0;
    a.measured = measured;
    a.track = PhaseTrack();
  }
  return lockstep_ != nullptr ? RunRounds(agents) : RunLive(agents);
}

absl::Status Simulation::RunLive(std::vector<Agent>& agents) {
  const int n = Threads();
  return Parallel([&](int t, ApiClient& api) -> absl::Status {
    uint64_t known_serving = 0;
    for (bool any = true; any;) {
      any = false;
      for (size_t i = t; i < agents.size(); i += static_cast<size_t>(n)) {
        Agent& a = agents[i];
        if (a.done) continue;
        any = true;
        if (a.wait_offset > known_serving) {
          FORYOU_ASSIGN_OR_RETURN(bool absorbed, api.WaitServing(a.wait_offset, o_.sync_timeout_ms,
                                                                 &known_serving));
          if (!absorbed) ++sync_timeouts_;
        }
        FORYOU_RETURN_IF_ERROR(Serve(api, a, -1));
        FORYOU_RETURN_IF_ERROR(Post(api, a));
      }
    }
    return absl::OkStatus();
  });
}

absl::Status Simulation::RunRounds(std::vector<Agent>& agents) {
  ApiClient api(port_, app_key_, admin_key_);
  const int64_t round_ms = static_cast<int64_t>(o_.page_size) * o_.swipe_ms;
  for (bool any = true; any;) {
    any = false;
    // Every page of a round is ranked by the same model at the same time; what the users do
    // reaches the service only after the last page, then the model learns all of it.
    const int64_t start = lockstep_->clock->load();
    for (Agent& a : agents) {
      if (a.done) continue;
      any = true;
      FORYOU_RETURN_IF_ERROR(Serve(api, a, start));
    }
    if (!any) break;
    lockstep_->clock->store(start + round_ms);
    for (Agent& a : agents) FORYOU_RETURN_IF_ERROR(Post(api, a));
    FORYOU_RETURN_IF_ERROR(lockstep_->advance());
  }
  return absl::OkStatus();
}

PhaseResult Simulation::Summarize(const std::vector<Agent>& agents) const {
  PhaseResult r;
  int swipes = 0, likes = 0;
  for (const Agent& a : agents) {
    const PhaseTrack& t = a.track;
    r.swipes_to_target.push_back(t.reached);
    if (!t.window.empty()) r.final_like_rate += t.window_sum / static_cast<double>(t.window.size());
    r.final_oracle += t.oracle;
    r.first_page_like_rate += std::max(0.0, t.first_page);
    r.second_half_like_rate += t.second_half == 0 ? 0 : t.second_half_sum / t.second_half;
    swipes += t.swipes;
    likes += t.likes;
  }
  const double n = std::max<double>(1, static_cast<double>(agents.size()));
  r.final_like_rate /= n;
  r.final_oracle /= n;
  r.first_page_like_rate /= n;
  r.second_half_like_rate /= n;
  r.realized_like_rate = swipes == 0 ? 0 : static_cast<double>(likes) / swipes;
  return r;
}

absl::StatusOr<SimResult> Simulation::Run() {
  const auto start = std::chrono::steady_clock::now();
  SimResult result;
  result.swipes_limit = o_.swipes;
  FORYOU_RETURN_IF_ERROR(PostCatalog());
  progress_ << absl::StrFormat("simulate: posted %d videos (+%d pending) in %.1f s\n",
                               world_.videos().size(), pending_.size(), Seconds(start));

  // Tastes and sign-up interests come from one rng, in user order: deterministic per seed.
  std::mt19937_64 rng(o_.seed * 0xD1B54A32D192ED03ull + 3);
  std::vector<Agent> background, fresh;
  for (int i = 0; i < o_.users; ++i) {
    Taste t = world_.RandomTaste(rng, {});
    background.push_back(MakeAgent(absl::StrFormat("bg%04d", i), std::move(t), 1000 + i));
    background.back().activity = world_.RandomActivity(rng);
  }
  std::vector<std::vector<std::string>> interests(background.size());
  for (size_t i = 0; i < background.size(); ++i) {
    // Half the existing users told the app one or two of their real interests.
    if (rng() % 2 == 0) {
      const auto& main = background[i].taste.main;
      for (size_t k = 0; k < std::min<size_t>(main.size(), 1 + rng() % 2); ++k) {
        interests[i].push_back(world_.CategoryTag(main[k]));
      }
    }
  }
  const int th = Threads();
  FORYOU_RETURN_IF_ERROR(Parallel([&](int t, ApiClient& api) -> absl::Status {
    for (size_t i = t; i < background.size(); i += th) {
      FORYOU_RETURN_IF_ERROR(SignUp(api, background[i], interests[i]));
    }
    return absl::OkStatus();
  }));
  // Removals: half spread over the warm-up's swipes, half over the learning phase's.
  const uint64_t warm = static_cast<uint64_t>(o_.users) * std::max(0, o_.warmup_swipes);
  const uint64_t learn = static_cast<uint64_t>(o_.new_users) * std::max(0, o_.swipes);
  const int first_half = o_.removed_videos / 2, second_half = o_.removed_videos - first_half;
  for (int i = 0; i < first_half; ++i) removal_schedule_.push_back(warm * (i + 1) / (first_half + 1));
  for (int i = 0; i < second_half; ++i) {
    removal_schedule_.push_back(warm + learn * (i + 1) / (second_half + 1));
  }

  const auto warm_start = std::chrono::steady_clock::now();
  FORYOU_RETURN_IF_ERROR(RunPhase(background, o_.warmup_swipes, /*measured=*/false));
  result.warmup_seconds = Seconds(warm_start);
  progress_ << absl::StrFormat(
      "simulate: warm-up: %d users x %d swipes in %.1f s (%d feeds, %d events so far)\n",
      o_.users, o_.warmup_swipes, result.warmup_seconds, feeds_.load(), events_.load());

  if (lockstep_ == nullptr) {
    std::this_thread::sleep_for(std::chrono::milliseconds(std::max<int64_t>(0, o_.settle_ms)));
  }

  // New users: a taste, and maybe one sign-up interest that is NOT part of it.
  for (int i = 0; i < o_.new_users; ++i) {
    Taste t = world_.RandomTaste(rng, {});
    fresh.push_back(MakeAgent(absl::StrFormat("new%04d", i), std::move(t), 900'000 + i));
  }
  absl::flat_hash_set<int> top_set;
  std::vector<int> trending;
  for (int k = 0; k < o_.oracle_top; ++k) {
    const int v = MostLiked(top_set);
    if (v < 0) break;
    top_set.insert(v);
    trending.push_back(v);
  }
  std::vector<std::vector<std::string>> fresh_interests(fresh.size());
  for (size_t i = 0; i < fresh.size(); ++i) {
    Agent& a = fresh[i];
    if (std::uniform_real_distribution<double>(0, 1)(rng) < o_.interest_share) {
      const Taste off = world_.RandomTaste(rng, a.taste.main);
      fresh_interests[i].push_back(world_.CategoryTag(off.main[0]));
    }
  }
  FORYOU_RETURN_IF_ERROR(Parallel([&](int t, ApiClient& api) -> absl::Status {
    for (size_t i = t; i < fresh.size(); i += th) {
      FORYOU_RETURN_IF_ERROR(SignUp(api, fresh[i], fresh_interests[i]));
    }
    return absl::OkStatus();
  }));
  const int64_t signup_ms = Now();
  auto appeal = [&](int i) { return AppealOf(i, signup_ms); };
  for (Agent& a : fresh) {
    auto usable = [&](int i) {
      return !removed_flag_[i].load() &&
             !a.hidden_creators.contains(world_.CreatorId(world_.videos()[i].creator));
    };
    result.random_like_rate += world_.RandomFeedRate(a.taste, usable, appeal);
    double sum = 0;
    int n = 0;
    for (int v : trending) {
      if (usable(v)) sum += world_.PLike(a.taste, world_.videos()[v], appeal(v)), ++n;
    }
    result.trending_like_rate += n == 0 ? 0 : sum / n;
  }
  if (!fresh.empty()) {
    result.random_like_rate /= static_cast<double>(fresh.size());
    result.trending_like_rate /= static_cast<double>(fresh.size());
  }

  auto report = [&](const char* name, const PhaseResult& p, double seconds) {
    progress_ << absl::StrFormat(
        "simulate: %s: %d users x %d swipes in %.1f s: reached half the oracle %d/%d (median %s); "
        "first page %.3f, second half %.3f, last %d swipes %.3f (oracle %.3f), realized like rate "
        "%.3f\n",
        name, o_.new_users, o_.swipes, seconds, p.reached(), p.swipes_to_target.size(),
        p.Median(o_.swipes), p.first_page_like_rate, p.second_half_like_rate, o_.window,
        p.final_like_rate, p.final_oracle, p.realized_like_rate);
  };
  auto phase_start = std::chrono::steady_clock::now();
  FORYOU_RETURN_IF_ERROR(RunPhase(fresh, o_.swipes, /*measured=*/true));
  result.learn = Summarize(fresh);
  report("new users", result.learn, Seconds(phase_start));

  for (Agent& a : fresh) a.taste = world_.RandomTaste(rng, a.taste.main);  // the shift
  phase_start = std::chrono::steady_clock::now();
  FORYOU_RETURN_IF_ERROR(RunPhase(fresh, o_.swipes, /*measured=*/true));
  result.shift = Summarize(fresh);
  report("taste shift", result.shift, Seconds(phase_start));

  result.feeds = feeds_.load();
  result.swipes = swipes_.load();
  result.events = events_.load();
  result.events_rejected = rejected_.load();
  result.empty_pages = empty_pages_.load();
  result.short_pages = short_pages_.load();
  result.sync_timeouts = sync_timeouts_.load();
  result.removed = removed_count_.load();
  result.hidden = hidden_.load();
  {
    common::MutexLock lock(&mu_);
    result.violations = violations_;
    result.violation_examples = examples_;
  }
  result.seconds = Seconds(start);
  return result;
}

}  // namespace foryou::sim
