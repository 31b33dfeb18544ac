#include "realtime/freshness_bench.h"

#include "common/id_key.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <random>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/clock.h"
#include "common/mutex.h"
#include "common/status_macros.h"
#include "model/model_config.h"
#include "realtime/realtime_loop.h"
#include "model/model_config.h"

namespace foryou::realtime {
namespace {

using Clock = std::chrono::steady_clock;

double Micros(Clock::time_point t) {
  return std::chrono::duration<double, std::micro>(t.time_since_epoch()).count();
}

using common::WallMs;

double Percentile(std::vector<double>& v, double q) {
  if (v.empty()) return 0;
  const size_t k = std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())));
  std::nth_element(v.begin(), v.begin() + k, v.end());
  return v[k];
}

// One synthetic view: the impression, sometimes a like, and the view end (play or skip).
void AddView(std::mt19937_64& rng, const FreshnessBenchOptions& o, uint64_t request, int64_t now,
             std::vector<Event>* out) {
  const uint64_t user = rng() % o.users, video = rng() % o.videos;
  Event imp;
  imp.type = EventType::kImpression;
  imp.user = absl::StrCat("u", user);
  imp.video = absl::StrCat("v", video);
  imp.request_id = absl::StrCat("r", request);
  imp.surface = "foryou";
  imp.time_ms = now;
  out->push_back(imp);
  if (rng() % 10 == 0) {
    Event like = imp;
    like.type = EventType::kLike;
    like.surface.clear();
    out->push_back(like);
  }
  Event end = imp;
  end.surface.clear();
  end.watch_ms = static_cast<int64_t>(rng() % 30000);
  end.type = end.watch_ms > 3000 ? EventType::kPlay : EventType::kSkip;
  end.completed = end.type == EventType::kPlay && rng() % 3 == 0;
  out->push_back(end);
}

absl::StatusOr<double> IngestThroughput(const FreshnessBenchOptions& o, const std::string& dir,
                                        std::ostream& out) {
  LogOptions lo;
  lo.dir = dir;
  lo.fsync = FsyncPolicy::kEveryBatch;
  FORYOU_ASSIGN_OR_RETURN(auto log, FileEventLog::Open(lo));
  std::mt19937_64 rng(o.seed);
  std::vector<Event> events;
  while (events.size() < static_cast<size_t>(o.ingest_batch)) AddView(rng, o, events.size(), WallMs(), &events);
  events.resize(o.ingest_batch);
  std::vector<std::string> encoded(events.size());
  std::vector<std::string_view> records;
  for (size_t i = 0; i < events.size(); ++i) {
    EncodeEvent(events[i], &encoded[i]);
    records.push_back(encoded[i]);
  }
  // Two appender threads (like two HTTP workers), each appending whole batches: group commit
  // shares fsyncs between them.
  const uint64_t batches = std::max<uint64_t>(2, o.ingest_events / o.ingest_batch);
  std::atomic<uint64_t> next{0};
  absl::Status error;
  common::Mutex error_mu;  // guards `error` (a local, so not annotated)
  const auto start = Clock::now();
  auto worker = [&] {
    while (next.fetch_add(1) < batches) {
      absl::StatusOr<uint64_t> r = log->Append(records);
      if (!r.ok()) {
        common::MutexLock l(&error_mu);
        error = r.status();
        return;
      }
    }
  };
  std::thread a(worker), b(worker);
  a.join();
  b.join();
  FORYOU_RETURN_IF_ERROR(error);
  const double secs = std::chrono::duration<double>(Clock::now() - start).count();
  const double rate = static_cast<double>(batches * o.ingest_batch) / secs;
  out << absl::StrFormat("freshness: ingest %d events in batches of %d, fsync per batch: %.0f events/s\n",
                         batches * o.ingest_batch, o.ingest_batch, rate);
  return rate;
}

}  // namespace

absl::Status RunFreshnessBench(const FreshnessBenchOptions& o, std::ostream& out) {
  if (o.dir.empty()) return absl::InvalidArgumentError("dir: required");
  if (!(o.seconds > 0) || !(o.events_per_s > 0) || o.users == 0 || o.videos == 0 || o.ingest_batch < 1) {
    return absl::InvalidArgumentError("seconds, events_per_s, users, videos, ingest_batch: must be > 0");
  }
  const std::string root = absl::StrCat(o.dir, "/foryou-freshness-", ::getpid());
  std::filesystem::remove_all(root);
  std::filesystem::create_directories(root);
  struct Cleanup {
    std::string dir;
    ~Cleanup() { std::filesystem::remove_all(dir); }
  } cleanup{root};

  FORYOU_ASSIGN_OR_RETURN(double ingest_rate, IngestThroughput(o, root + "/ingest", out));

  FORYOU_ASSIGN_OR_RETURN(model::ModelConfig config,
                          model::ParseModelConfig(model::DefaultModelConfigJson()));
  auto catalog = std::make_shared<model::Catalog>();
  for (uint64_t v = 0; v < o.videos; ++v) {
    model::VideoInfo& info = catalog->videos[common::VideoKey(absl::StrCat("v", v))];
    info.author_id = v % 997;
    info.duration_ms = 5000 + static_cast<uint32_t>(v % 50) * 1000;
  }
  LoopOptions lo;
  lo.log.dir = root + "/loop";
  lo.sync_interval_ms = o.sync_interval_ms;
  FORYOU_ASSIGN_OR_RETURN(auto loop, RealtimeLoop::Open(lo, config, catalog));

  // (serving offset, time) of every sync.
  common::Mutex mu;  // guards `syncs` (a local, so not annotated)
  std::vector<std::pair<uint64_t, double>> syncs;
  loop->SetSyncObserver([&](uint64_t offset) {
    const double t = Micros(Clock::now());
    common::MutexLock l(&mu);
    syncs.emplace_back(offset, t);
  });
  loop->Start();

  // The driver: one batch of views every 5 ms, sized to the offered load.
  std::mt19937_64 rng(o.seed + 1);
  std::vector<std::pair<uint64_t, double>> acks;  // (first offset, ack time) per batch
  std::vector<uint64_t> sizes;
  const auto start = Clock::now();
  const auto tick = std::chrono::milliseconds(5);
  uint64_t request = 0, events_sent = 0;
  std::vector<Event> batch;
  auto next_tick = start;
  while (Clock::now() - start < std::chrono::duration<double>(o.seconds)) {
    // Events owed so far at the offered rate (catches up after a slow tick).
    double owed = o.events_per_s * std::chrono::duration<double>(Clock::now() - start).count() -
                  static_cast<double>(events_sent);
    batch.clear();
    const int64_t now = WallMs();
    while (static_cast<double>(batch.size()) + 2.1 <= owed) AddView(rng, o, request++, now, &batch);
    if (!batch.empty()) {
      FORYOU_ASSIGN_OR_RETURN(uint64_t first, loop->Ingest(batch, now));
      acks.emplace_back(first, Micros(Clock::now()));
      sizes.push_back(batch.size());
      events_sent += batch.size();
    }
    FORYOU_RETURN_IF_ERROR(loop->status());
    next_tick += tick;
    std::this_thread::sleep_until(next_tick);
  }
  const double load_secs = std::chrono::duration<double>(Clock::now() - start).count();
  const uint64_t end = loop->log().EndOffset();
  // Let the loop drain (it must catch up for the freshness of the last events to count).
  const auto drain_deadline = Clock::now() + std::chrono::seconds(10);
  while (loop->serving_offset() < end && Clock::now() < drain_deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  loop->Stop();
  FORYOU_RETURN_IF_ERROR(loop->status());
  if (loop->serving_offset() < end) {
    return absl::DeadlineExceededError(absl::StrCat(
        "the loop did not catch up: served ", loop->serving_offset(), " of ", end, " events"));
  }

  std::vector<double> fresh_ms;
  fresh_ms.reserve(events_sent);
  {
    common::MutexLock l(&mu);
    size_t s = 0;
    for (size_t b = 0; b < acks.size(); ++b) {
      for (uint64_t i = 0; i < sizes[b]; ++i) {
        const uint64_t offset = acks[b].first + i;
        while (s < syncs.size() && syncs[s].first <= offset) ++s;  // offsets ack in order
        if (s == syncs.size()) break;
        fresh_ms.push_back(std::max(0.0, (syncs[s].second - acks[b].second) / 1000.0));
      }
    }
  }
  const LoopStats st = loop->stats();
  const double p50 = Percentile(fresh_ms, 0.50), p99 = Percentile(fresh_ms, 0.99);
  const double p999 = Percentile(fresh_ms, 0.999), max = fresh_ms.empty() ? 0 : *std::max_element(fresh_ms.begin(), fresh_ms.end());
  out << absl::StrFormat(
      "freshness: %d events in %.1f s (%d examples trained, %d syncs every %d ms, %d corrections, "
      "%d orphans); freshness p99.9 %.1f ms, max %.1f ms\n",
      events_sent, load_secs, st.examples_trained, st.syncs, o.sync_interval_ms,
      st.joiner.corrections, st.joiner.orphan_actions, p999, max);
  out << absl::StrFormat("freshness p50_ms=%.1f p99_ms=%.1f events_per_s=%.0f ingest_events_per_s=%.0f\n",
                         p50, p99, static_cast<double>(events_sent) / load_secs, ingest_rate);
  return absl::OkStatus();
}

}  // namespace foryou::realtime
