// The loop on an event stream (LoopOptions::sink / source) instead of the file log: an in-memory
// partitioned stream with the semantics the loop relies on (per-partition order, a position the
// snapshot keeps), so restart, ledger and fault handling are checked without a broker. The same
// path on Kafka, across processes: bench/kafka_kill.sh.
#include <algorithm>
#include <filesystem>
#include <map>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/clock.h"
#include "common/id_key.h"
#include "common/mutex.h"
#include "gtest/gtest.h"
#include "realtime/realtime_loop.h"
#include "realtime/test_util.h"
#include "stream/event.h"

namespace foryou::realtime {
namespace {

// Records partitioned by user; ids (partition << 40) | offset as on Kafka.
class MemoryStream {
 public:
  explicit MemoryStream(size_t partitions) : partitions_(partitions), parts_(partitions) {}
  absl::StatusOr<uint64_t> Append(absl::Span<const std::string_view> records) {
    uint64_t before = 0;  // the count before the batch (EventSink::Append)
    std::function<void()> lost_ack;
    {
      common::MutexLock l(&mu_);
      if (unavailable_) return absl::UnavailableError("stream down");
      for (const auto& part : parts_) before += part.size();
      for (std::string_view r : records) {
        absl::StatusOr<Event> e = stream::DecodeEvent(r);
        const size_t p = e.ok() ? std::hash<std::string>()(e->user) % partitions_ : 0;
        parts_[p].emplace_back(r);
      }
      lost_ack = lost_ack_;
    }
    if (lost_ack) {
      lost_ack();
      return absl::UnavailableError("stored, but the acknowledgement was lost");
    }
    return before;
  }
  void set_unavailable(bool v) {
    common::MutexLock l(&mu_);
    unavailable_ = v;
  }
  // Non-null: every batch is stored, then `fn` runs, then the append answers Unavailable (a
  // broker that took the records and timed out before acknowledging them).
  void set_lost_ack(std::function<void()> fn) {
    common::MutexLock l(&mu_);
    lost_ack_ = std::move(fn);
  }
  size_t size(size_t p) {
    common::MutexLock l(&mu_);
    return parts_[p].size();
  }
  std::string at(size_t p, size_t i) {
    common::MutexLock l(&mu_);
    return parts_[p][i];
  }
  size_t partitions() const { return partitions_; }
  // The ledger of the whole stream.
  Ledger Sum() {
    Ledger l;
    for (size_t p = 0; p < partitions_; ++p) {
      for (size_t i = 0; i < size(p); ++i) {
        ++l.events;
        l.checksum += Ledger::Hash((uint64_t{p} << 40) | i, at(p, i));
      }
    }
    return l;
  }

 private:
  const size_t partitions_;
  common::Mutex mu_;
  std::vector<std::vector<std::string>> parts_ ABSL_GUARDED_BY(mu_);
  bool unavailable_ ABSL_GUARDED_BY(mu_) = false;
  std::function<void()> lost_ack_ ABSL_GUARDED_BY(mu_);
};

class MemorySink : public stream::EventSink {
 public:
  explicit MemorySink(MemoryStream* s) : s_(s) {}
  absl::StatusOr<uint64_t> Append(absl::Span<const std::string_view> records) override {
    return s_->Append(records);
  }

 private:
  MemoryStream* s_;
};

// Position bytes: the next offsets, comma-separated.
class MemorySource : public stream::EventSource {
 public:
  MemorySource(MemoryStream* s, std::vector<uint64_t> next) : s_(s), next_(std::move(next)) {
    next_.resize(s->partitions(), 0);
  }
  absl::Status Poll(size_t max, int, std::vector<stream::LogRecord>* out) override {
    out->clear();
    for (size_t p = 0; p < next_.size(); ++p) {
      while (out->size() < max && next_[p] < s_->size(p)) {
        out->push_back({(uint64_t{p} << 40) | next_[p], s_->at(p, next_[p]), 0});
        ++next_[p];
      }
    }
    return absl::OkStatus();
  }
  std::string Position() const override { return absl::StrJoin(next_, ","); }
  uint64_t count() const override {
    uint64_t n = 0;
    for (uint64_t v : next_) n += v;
    return n;
  }
  absl::StatusOr<uint64_t> End(int) override {
    uint64_t n = 0;
    for (size_t p = 0; p < next_.size(); ++p) n += s_->size(p);
    return n;
  }

 private:
  MemoryStream* s_;
  std::vector<uint64_t> next_;
};

std::vector<Event> Views(int from, int n, int64_t now) {
  std::vector<Event> out;
  for (int i = from; i < from + n; ++i) {
    Event imp;
    imp.type = EventType::kImpression;
    imp.user = absl::StrCat("u", i % 13);
    imp.video = absl::StrCat("v", i % 7);
    imp.request_id = absl::StrCat("r", i);
    imp.surface = "foryou";
    imp.time_ms = now;
    out.push_back(imp);
    Event play = imp;
    play.surface.clear();
    play.type = EventType::kPlay;
    play.watch_ms = 1000 + i % 9000;
    out.push_back(play);
  }
  return out;
}

class EventSourceLoopTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/source_loop_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(dir_);
  }
  LoopOptions Options(bool on_stream) {
    LoopOptions o;
    o.log.dir = dir_ + "/log";
    o.snapshot_dir = dir_ + "/snapshots";
    o.joiner.late_store_dir = dir_ + "/late";
    if (on_stream) {
      o.sink = std::make_shared<MemorySink>(&stream_);
      o.source = [this](std::string_view position)
          -> absl::StatusOr<std::unique_ptr<stream::EventSource>> {
        std::vector<uint64_t> next;
        if (!position.empty()) {
          for (absl::string_view v :
               absl::StrSplit(absl::string_view(position.data(), position.size()), ',')) {
            next.push_back(std::stoull(std::string(v)));
          }
        }
        return std::make_unique<MemorySource>(&stream_, next);
      };
    }
    return o;
  }
  std::string dir_;
  MemoryStream stream_{3};
};

TEST_F(EventSourceLoopTest, RestartFromTheSnapshotPositionNeitherLosesNorRepeats) {
  const int64_t now = common::WallMs();
  uint64_t snapshot_count = 0;
  {
    auto loop = RealtimeLoop::Open(Options(true), testing::TinyConfig(), nullptr);
    ASSERT_TRUE(loop.ok()) << loop.status();
    ASSERT_TRUE((*loop)->Ingest(Views(0, 200, now), now).ok());
    ASSERT_TRUE((*loop)->ProcessAvailable().ok());
    EXPECT_EQ((*loop)->serving_offset(), 400u);
    ASSERT_TRUE((*loop)->Snapshot().ok());
    snapshot_count = (*loop)->serving_offset();
    // Applied after the snapshot, then lost with the process: replayed at the restart.
    ASSERT_TRUE((*loop)->Ingest(Views(200, 100, now), now).ok());
    ASSERT_TRUE((*loop)->ProcessAvailable().ok());
    EXPECT_EQ((*loop)->ledger().events, 600u);
    // Nothing of the stream went to the file log.
    EXPECT_EQ((*loop)->log().EndOffset(), 0u);
  }
  auto loop = RealtimeLoop::Open(Options(true), testing::TinyConfig(), nullptr);
  ASSERT_TRUE(loop.ok()) << loop.status();
  EXPECT_EQ((*loop)->restored_offset(), snapshot_count);
  EXPECT_EQ((*loop)->serving_offset(), snapshot_count);
  ASSERT_TRUE((*loop)->Ingest(Views(300, 50, now), now).ok());
  ASSERT_TRUE((*loop)->ProcessAvailable().ok());
  const Ledger want = stream_.Sum();
  EXPECT_EQ(want.events, 700u);
  EXPECT_EQ((*loop)->ledger().events, want.events);
  EXPECT_EQ((*loop)->ledger().checksum, want.checksum);
  EXPECT_EQ((*loop)->served_ledger().checksum, want.checksum);
  EXPECT_EQ((*loop)->stats().events_read, 700u - snapshot_count);
  EXPECT_EQ((*loop)->end_offset(), 700u);
}

TEST_F(EventSourceLoopTest, SnapshotOfTheFileLogIsNotResumedOnAStream) {
  const int64_t now = common::WallMs();
  {
    auto loop = RealtimeLoop::Open(Options(false), testing::TinyConfig(), nullptr);
    ASSERT_TRUE(loop.ok()) << loop.status();
    ASSERT_TRUE((*loop)->Ingest(Views(0, 50, now), now).ok());
    ASSERT_TRUE((*loop)->ProcessAvailable().ok());
    ASSERT_TRUE((*loop)->Snapshot().ok());
  }
  auto loop = RealtimeLoop::Open(Options(true), testing::TinyConfig(), nullptr);
  ASSERT_TRUE(loop.ok()) << loop.status();
  EXPECT_EQ((*loop)->restored_offset(), 0u);
  EXPECT_EQ((*loop)->ledger().events, 0u);
}

TEST_F(EventSourceLoopTest, StreamThatDoesNotAcknowledgeIsUnavailableAndAFault) {
  const int64_t now = common::WallMs();
  auto loop = RealtimeLoop::Open(Options(true), testing::TinyConfig(), nullptr);
  ASSERT_TRUE(loop.ok()) << loop.status();
  stream_.set_unavailable(true);
  absl::StatusOr<uint64_t> r = (*loop)->Ingest(Views(0, 5, now), now);
  EXPECT_TRUE(absl::IsUnavailable(r.status())) << r.status();
  ASSERT_EQ((*loop)->storage_health().faults.size(), 1u);
  EXPECT_EQ(stream_.Sum().events, 0u);
  stream_.set_unavailable(false);
  ASSERT_TRUE((*loop)->Ingest(Views(0, 5, now), now).ok());
  EXPECT_TRUE((*loop)->storage_health().faults.empty());
  ASSERT_TRUE((*loop)->ProcessAvailable().ok());
  EXPECT_EQ((*loop)->ledger().events, 10u);
}

// What a loop's stream observer gets: every record it did not append itself with an OK answer.
class StreamObserverTest : public EventSourceLoopTest {
 protected:
  // Opens a loop on the stream whose observer counts the payloads it is given in *seen.
  std::unique_ptr<RealtimeLoop> Observed(const std::string& name,
                                         std::map<std::string, int>* seen) {
    LoopOptions o = Options(true);
    o.log.dir = dir_ + "/" + name + "/log";
    o.snapshot_dir.clear();
    o.joiner.late_store_dir = dir_ + "/" + name + "/late";
    auto loop = RealtimeLoop::Open(o, testing::TinyConfig(), nullptr);
    EXPECT_TRUE(loop.ok()) << loop.status();
    if (!loop.ok()) return nullptr;
    (*loop)->SetStreamObserver([this, seen](absl::Span<const std::string_view> payloads) {
      common::MutexLock l(&seen_mu_);
      for (std::string_view p : payloads) ++(*seen)[std::string(p)];
    });
    return std::move(*loop);
  }
  static std::vector<std::string> Encoded(const std::vector<Event>& events) {
    std::vector<std::string> out(events.size());
    for (size_t i = 0; i < events.size(); ++i) stream::EncodeEvent(events[i], &out[i]);
    return out;
  }
  // Each of `events` was passed exactly `times` times; nothing else was passed.
  void ExpectPassed(const std::map<std::string, int>& seen, const std::vector<Event>& events,
                    int times) {
    common::MutexLock l(&seen_mu_);
    EXPECT_EQ(seen.size(), times == 0 ? 0u : events.size());
    for (const std::string& p : Encoded(events)) {
      auto it = seen.find(p);
      EXPECT_EQ(it == seen.end() ? 0 : it->second, times);
    }
  }
  common::Mutex seen_mu_;
};

TEST_F(StreamObserverTest, GetsTheOtherWritersRecordsOnceAndNotItsOwn) {
  const int64_t now = common::WallMs();
  std::map<std::string, int> seen_a, seen_b;
  std::unique_ptr<RealtimeLoop> a = Observed("a", &seen_a), b = Observed("b", &seen_b);
  ASSERT_TRUE(a && b);
  const std::vector<Event> from_a = Views(0, 20, now), from_b = Views(20, 5, now);
  ASSERT_TRUE(a->Ingest(from_a, now).ok());
  ASSERT_TRUE(b->Ingest(from_b, now).ok());
  ASSERT_TRUE(a->ProcessAvailable().ok());
  ASSERT_TRUE(b->ProcessAvailable().ok());
  EXPECT_EQ(a->ledger().events, 50u);  // the loop itself still reads every record
  ExpectPassed(seen_a, from_b, 1);
  ExpectPassed(seen_b, from_a, 1);
  // Read again by a new process (a restart): its own records of before are not its own now.
  std::map<std::string, int> seen_c;
  std::unique_ptr<RealtimeLoop> c = Observed("c", &seen_c);
  ASSERT_TRUE(c);
  ASSERT_TRUE(c->ProcessAvailable().ok());
  std::vector<Event> all = from_a;
  all.insert(all.end(), from_b.begin(), from_b.end());
  ExpectPassed(seen_c, all, 1);
}

TEST_F(StreamObserverTest, RecordsOfAFailedAppendThatReachedTheStreamArePassedOnce) {
  const int64_t now = common::WallMs();
  std::map<std::string, int> seen;
  std::unique_ptr<RealtimeLoop> a = Observed("a", &seen);
  ASSERT_TRUE(a);
  // The trainer side reads the batch after the append answered Unavailable.
  const std::vector<Event> first = Views(0, 4, now);
  stream_.set_lost_ack([] {});
  EXPECT_TRUE(absl::IsUnavailable(a->Ingest(first, now).status()));
  ExpectPassed(seen, first, 0);
  stream_.set_lost_ack(nullptr);
  ASSERT_TRUE(a->ProcessAvailable().ok());
  ExpectPassed(seen, first, 1);
  // ... and before it answered: the appending thread passes it on.
  std::map<std::string, int> seen2;
  std::unique_ptr<RealtimeLoop> b = Observed("b", &seen2);
  ASSERT_TRUE(b);
  ASSERT_TRUE(b->ProcessAvailable().ok());  // b is past `first`
  const std::vector<Event> second = Views(4, 3, now);
  RealtimeLoop* reader = b.get();
  stream_.set_lost_ack([reader] { ASSERT_TRUE(reader->ProcessAvailable().ok()); });
  EXPECT_TRUE(absl::IsUnavailable(b->Ingest(second, now).status()));
  stream_.set_lost_ack(nullptr);
  ASSERT_TRUE(b->ProcessAvailable().ok());
  std::map<std::string, int> second_only = seen2;
  for (const std::string& p : Encoded(first)) second_only.erase(p);
  ExpectPassed(second_only, second, 1);
}

// A trainer and a replica in one process, sharing the event stream, a parameter stream of one
// partition and the trainer's snapshot directory (`serve --role trainer|api` on Kafka).
class RolesTest : public EventSourceLoopTest {
 protected:
  // Without `snapshots`, the trainer writes none (a replica then starts from the streams' start).
  LoopOptions Trainer(bool snapshots = true) {
    LoopOptions o = Options(true);
    if (!snapshots) o.snapshot_dir.clear();
    o.params_sink = std::make_shared<MemorySink>(&params_);
    o.params_part_bytes = 4096;  // several records per sync
    return o;
  }
  LoopOptions Replica(int n) {
    LoopOptions o = Options(true);
    o.log.dir = absl::StrCat(dir_, "/replica", n, "/log");
    o.joiner.late_store_dir = absl::StrCat(dir_, "/replica", n, "/late");
    o.params_source = [this](uint64_t first)
        -> absl::StatusOr<std::unique_ptr<stream::EventSource>> {
      return std::make_unique<MemorySource>(&params_, std::vector<uint64_t>{first});
    };
    return o;
  }
  // The serving model's predictions for a few users and videos, on the features the trainer
  // extracts (a replica's behaviour state is its own, restored from a snapshot and rebuilt from
  // the events: equal up to float rounding; this compares the served models).
  std::vector<float> Scores(RealtimeLoop& loop, int64_t now) {
    std::vector<model::Impression> imps;
    for (int u = 0; u < 13; ++u) {
      for (int v = 0; v < 7; v += 3) {
        model::Impression imp;
        imp.user_id = common::UserKey(absl::StrCat("u", u));
        imp.video_id = common::VideoKey(absl::StrCat("v", v));
        imp.time_ms = now;
        imps.push_back(imp);
      }
    }
    model::FeatureBatch batch;
    (**features_from_)->ExtractForServing(imps, &batch);
    std::vector<float> probs(imps.size() * model::kNumTasks);
    EXPECT_TRUE(loop.serving_model().Predict(batch, probs.data()).ok());
    return probs;
  }
  MemoryStream params_{1};
  absl::StatusOr<std::unique_ptr<RealtimeLoop>>* features_from_ = nullptr;  // the trainer
};

TEST_F(RolesTest, ReplicaServesWhatTheTrainerSyncedAndCatchesUpFromItsSnapshot) {
  const int64_t now = common::WallMs();
  auto trainer = RealtimeLoop::Open(Trainer(), testing::TinyConfig(), nullptr);
  ASSERT_TRUE(trainer.ok()) << trainer.status();
  features_from_ = &trainer;
  auto replica = RealtimeLoop::Open(Replica(1), testing::TinyConfig(), nullptr);
  ASSERT_TRUE(replica.ok()) << replica.status();
  const std::vector<float> untrained = Scores(**replica, now);
  // Events posted to the replica reach the trainer through the stream, its syncs the replica.
  ASSERT_TRUE((*replica)->Ingest(Views(0, 200, now), now).ok());
  ASSERT_TRUE((*trainer)->ProcessAvailable().ok());
  ASSERT_TRUE((*replica)->ProcessAvailable().ok());
  EXPECT_EQ((*trainer)->serving_offset(), 400u);
  EXPECT_EQ((*replica)->serving_offset(), 400u);
  EXPECT_EQ((*replica)->served_ledger().checksum, (*trainer)->served_ledger().checksum);
  EXPECT_GT((*replica)->stats().params_applied, 1u);
  EXPECT_EQ((*replica)->stats().examples_trained, (*trainer)->stats().examples_trained);
  EXPECT_EQ((*replica)->serving().table().Stats().rows, (*trainer)->serving().table().Stats().rows);
  const std::vector<float> synced = Scores(**trainer, now);
  EXPECT_NE(Scores(**replica, now), untrained);
  EXPECT_EQ(Scores(**replica, now), synced);

  // The trainer snapshots (with its parameter offset) and goes on; a new replica starts from
  // the snapshot and the parameter stream after it.
  ASSERT_TRUE((*trainer)->Snapshot().ok());
  ASSERT_TRUE((*trainer)->Ingest(Views(200, 100, now), now).ok());
  ASSERT_TRUE((*trainer)->ProcessAvailable().ok());
  replica->reset();
  auto restarted = RealtimeLoop::Open(Replica(2), testing::TinyConfig(), nullptr);
  ASSERT_TRUE(restarted.ok()) << restarted.status();
  EXPECT_EQ((*restarted)->restored_offset(), 400u);
  EXPECT_EQ((*restarted)->serving_offset(), 400u);
  ASSERT_TRUE((*restarted)->ProcessAvailable().ok());
  EXPECT_EQ((*restarted)->serving_offset(), 600u);
  EXPECT_EQ((*restarted)->served_ledger().checksum, (*trainer)->served_ledger().checksum);
  EXPECT_EQ(Scores(**restarted, now), Scores(**trainer, now));
  // The replica wrote nothing into the trainer's snapshot directory.
  ASSERT_TRUE((*restarted)->Snapshot().ok());
  EXPECT_EQ((*restarted)->snapshots_written(), 0u);
}

TEST_F(RolesTest, ReplicaWithoutSnapshotReadsTheParameterStreamFromItsStart) {
  const int64_t now = common::WallMs();
  auto trainer = RealtimeLoop::Open(Trainer(/*snapshots=*/false), testing::TinyConfig(), nullptr);
  ASSERT_TRUE(trainer.ok()) << trainer.status();
  features_from_ = &trainer;
  for (int round = 0; round < 3; ++round) {
    ASSERT_TRUE((*trainer)->Ingest(Views(round * 50, 50, now), now).ok());
    ASSERT_TRUE((*trainer)->ProcessAvailable().ok());
  }
  auto replica = RealtimeLoop::Open(Replica(1), testing::TinyConfig(), nullptr);
  ASSERT_TRUE(replica.ok()) << replica.status();
  EXPECT_EQ((*replica)->restored_offset(), 0u);
  ASSERT_TRUE((*replica)->ProcessAvailable().ok());
  EXPECT_EQ((*replica)->serving_offset(), 300u);
  EXPECT_EQ((*replica)->serving().table().Stats().rows, (*trainer)->serving().table().Stats().rows);
  EXPECT_EQ(Scores(**replica, now), Scores(**trainer, now));
}

TEST_F(RolesTest, UnpublishedSyncIsSentAgainInOrder) {
  const int64_t now = common::WallMs();
  auto trainer = RealtimeLoop::Open(Trainer(), testing::TinyConfig(), nullptr);
  ASSERT_TRUE(trainer.ok()) << trainer.status();
  features_from_ = &trainer;
  ASSERT_TRUE((*trainer)->Ingest(Views(0, 50, now), now).ok());
  params_.set_unavailable(true);
  ASSERT_TRUE((*trainer)->ProcessAvailable().ok());  // training goes on
  EXPECT_GE((*trainer)->storage_health().params_failures, 1u);
  ASSERT_EQ((*trainer)->storage_health().faults.size(), 1u);
  EXPECT_EQ(params_.Sum().events, 0u);
  params_.set_unavailable(false);
  ASSERT_TRUE((*trainer)->Ingest(Views(50, 50, now), now).ok());
  ASSERT_TRUE((*trainer)->ProcessAvailable().ok());
  EXPECT_TRUE((*trainer)->storage_health().faults.empty());
  auto replica = RealtimeLoop::Open(Replica(1), testing::TinyConfig(), nullptr);
  ASSERT_TRUE(replica.ok()) << replica.status();
  ASSERT_TRUE((*replica)->ProcessAvailable().ok());
  EXPECT_EQ((*replica)->serving_offset(), 200u);
  EXPECT_EQ((*replica)->stats().params_refused, 0u);
  EXPECT_EQ(Scores(**replica, now), Scores(**trainer, now));
}

TEST_F(RolesTest, DamagedParameterRecordIsSkippedAndListed) {
  const int64_t now = common::WallMs();
  const std::string junk = "not a parameter record";
  const std::string_view view = junk;
  ASSERT_TRUE(params_.Append(absl::MakeConstSpan(&view, 1)).ok());
  auto trainer = RealtimeLoop::Open(Trainer(/*snapshots=*/false), testing::TinyConfig(), nullptr);
  ASSERT_TRUE(trainer.ok()) << trainer.status();
  features_from_ = &trainer;
  ASSERT_TRUE((*trainer)->Ingest(Views(0, 50, now), now).ok());
  ASSERT_TRUE((*trainer)->ProcessAvailable().ok());
  auto replica = RealtimeLoop::Open(Replica(1), testing::TinyConfig(), nullptr);
  ASSERT_TRUE(replica.ok()) << replica.status();
  ASSERT_TRUE((*replica)->ProcessAvailable().ok());
  EXPECT_EQ((*replica)->stats().params_refused, 1u);
  ASSERT_EQ((*replica)->storage_health().faults.size(), 1u);
  EXPECT_EQ((*replica)->serving_offset(), 100u);
  EXPECT_EQ(Scores(**replica, now), Scores(**trainer, now));
}

TEST_F(EventSourceLoopTest, ParameterStreamWithoutEventStreamIsRefused) {
  LoopOptions o = Options(false);
  o.params_source = [](uint64_t) -> absl::StatusOr<std::unique_ptr<stream::EventSource>> {
    return absl::UnavailableError("unused");
  };
  EXPECT_TRUE(absl::IsInvalidArgument(
      RealtimeLoop::Open(o, testing::TinyConfig(), nullptr).status()));
}

TEST_F(EventSourceLoopTest, SourceWithoutSinkIsRefused) {
  LoopOptions o = Options(true);
  o.sink = nullptr;
  EXPECT_TRUE(absl::IsInvalidArgument(
      RealtimeLoop::Open(o, testing::TinyConfig(), nullptr).status()));
}

}  // namespace
}  // namespace foryou::realtime
