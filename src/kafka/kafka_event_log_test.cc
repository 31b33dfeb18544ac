// KafkaEventLog and KafkaEventReader on librdkafka's mock cluster (loopback): acknowledged
// records read back in order per user, a restart from a saved position without loss or
// duplicates, a broker down and back, latency injected.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "kafka/kafka_event_log.h"
#include "kafka/kafka_event_reader.h"
#include "kafka/mock_cluster.h"
#include "stream/event.h"
#include "stream/user_deletion.h"

namespace foryou::kafka {
namespace {

constexpr char kTopic[] = "events";

// Event record number `seq` of user `user`: the video id carries seq, so every record is unique.
std::string Record(int user, int seq) {
  stream::Event e;
  e.type = stream::EventType::kLike;
  e.user = absl::StrCat("u", user);
  e.time_ms = 1700000000000 + seq;
  e.video = absl::StrCat("v", seq);
  std::string out;
  stream::EncodeEvent(e, &out);
  return out;
}

int SeqOf(const std::string& payload) {
  absl::StatusOr<stream::Event> e = stream::DecodeEvent(payload);
  EXPECT_TRUE(e.ok()) << e.status();
  return e.ok() ? std::stoi(e->video.substr(1)) : -1;
}

// A batch of `n` records numbered from `first`, users round-robin over `users`.
std::vector<std::string> Batch(int first, int n, int users) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) out.push_back(Record((first + i) % users, first + i));
  return out;
}

absl::StatusOr<std::vector<KafkaOffset>> AppendAll(KafkaEventLog& log,
                                                   const std::vector<std::string>& batch) {
  std::vector<std::string_view> views(batch.begin(), batch.end());
  return log.Append(views);
}

class KafkaEventLogTest : public ::testing::Test {
 protected:
  void StartCluster(int brokers, int partitions) {
    absl::StatusOr<std::unique_ptr<MockKafkaCluster>> c = MockKafkaCluster::Start(brokers);
    ASSERT_TRUE(c.ok()) << c.status();
    cluster_ = std::move(*c);
    ASSERT_TRUE(cluster_->CreateTopic(kTopic, partitions).ok());
  }
  std::unique_ptr<KafkaEventLog> OpenLog(int64_t delivery_timeout_ms = 10000) {
    KafkaLogOptions o;
    o.bootstrap = cluster_->bootstrap();
    o.topic = kTopic;
    o.delivery_timeout_ms = delivery_timeout_ms;
    absl::StatusOr<std::unique_ptr<KafkaEventLog>> log = KafkaEventLog::Open(o);
    EXPECT_TRUE(log.ok()) << log.status();
    return log.ok() ? std::move(*log) : nullptr;
  }
  // A reader of every partition, or with `group` a member of that consumer group (joining a
  // group on the mock cluster takes ~3 s: its initial rebalance delay).
  std::unique_ptr<KafkaEventReader> OpenReader(KafkaPosition from, std::string group = "") {
    KafkaReaderOptions o;
    o.bootstrap = cluster_->bootstrap();
    o.topic = kTopic;
    o.group = std::move(group);
    absl::StatusOr<std::unique_ptr<KafkaEventReader>> r = KafkaEventReader::Open(o, from);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? std::move(*r) : nullptr;
  }
  // Polls until the reader's position covers the topic's end, or `limit` records, or 20 s.
  std::vector<KafkaRecord> ReadToEnd(KafkaEventReader& reader, size_t limit = SIZE_MAX) {
    absl::StatusOr<KafkaPosition> end = reader.EndPosition(5000);
    EXPECT_TRUE(end.ok()) << end.status();
    std::vector<KafkaRecord> all, got;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (all.size() < limit && end.ok() && !reader.position().Covers(*end) &&
           std::chrono::steady_clock::now() < deadline) {
      absl::Status s = reader.Poll(std::min<size_t>(limit - all.size(), 500), 100, &got);
      EXPECT_TRUE(s.ok()) << s;
      for (KafkaRecord& r : got) all.push_back(std::move(r));
    }
    return all;
  }

  std::unique_ptr<MockKafkaCluster> cluster_;
};

TEST_F(KafkaEventLogTest, AcknowledgedRecordsReadBackInOrderPerUser) {
  StartCluster(3, 4);
  std::unique_ptr<KafkaEventLog> log = OpenLog();
  ASSERT_NE(log, nullptr);
  EXPECT_EQ(log->partitions(), 4);
  constexpr int kUsers = 10, kBatches = 8, kPerBatch = 50;
  std::map<int, KafkaOffset> where;  // seq -> acknowledged place
  std::map<std::string, int32_t> partition_of_user;
  for (int b = 0; b < kBatches; ++b) {
    std::vector<std::string> batch = Batch(b * kPerBatch, kPerBatch, kUsers);
    absl::StatusOr<std::vector<KafkaOffset>> acked = AppendAll(*log, batch);
    ASSERT_TRUE(acked.ok()) << acked.status();
    ASSERT_EQ(acked->size(), batch.size());
    for (int i = 0; i < kPerBatch; ++i) {
      where[b * kPerBatch + i] = (*acked)[i];
      const std::string user = absl::StrCat("u", (b * kPerBatch + i) % kUsers);
      auto [it, fresh] = partition_of_user.emplace(user, (*acked)[i].partition);
      EXPECT_EQ(it->second, (*acked)[i].partition) << user << " moved partition";
    }
  }
  EXPECT_EQ(log->stats().records, static_cast<uint64_t>(kBatches * kPerBatch));

  std::unique_ptr<KafkaEventReader> reader = OpenReader({});
  ASSERT_NE(reader, nullptr);
  std::vector<KafkaRecord> read = ReadToEnd(*reader);
  ASSERT_EQ(read.size(), where.size());
  std::map<std::string, std::vector<int>> per_user;
  for (const KafkaRecord& r : read) {
    const int seq = SeqOf(r.payload);
    ASSERT_TRUE(where.count(seq)) << seq;
    EXPECT_EQ(where[seq], (KafkaOffset{r.partition, r.offset}));
    EXPECT_EQ(r.key, absl::StrCat("u", seq % kUsers));
    per_user[r.key].push_back(seq);
  }
  for (const auto& [user, seqs] : per_user) {
    EXPECT_TRUE(std::is_sorted(seqs.begin(), seqs.end())) << user << " read out of order";
    EXPECT_EQ(seqs.size(), static_cast<size_t>(kBatches * kPerBatch / kUsers));
  }
}

TEST_F(KafkaEventLogTest, OpaqueRecordsGoToPartitionZeroInOrder) {
  // The parameter stream (docs/formats/params.md): bytes that are no event, one ordered stream.
  StartCluster(1, 1);
  KafkaLogOptions o;
  o.bootstrap = cluster_->bootstrap();
  o.topic = kTopic;
  o.delivery_timeout_ms = 10000;
  o.keyed_by_user = false;
  absl::StatusOr<std::unique_ptr<KafkaEventLog>> log = KafkaEventLog::Open(o);
  ASSERT_TRUE(log.ok()) << log.status();
  const std::vector<std::string> batch = {"not an event", "second", "third"};
  absl::StatusOr<std::vector<KafkaOffset>> acked = AppendAll(**log, batch);
  ASSERT_TRUE(acked.ok()) << acked.status();
  for (size_t i = 0; i < batch.size(); ++i) {
    EXPECT_EQ((*acked)[i], (KafkaOffset{0, static_cast<int64_t>(i)}));
  }
  std::vector<std::string_view> empty_record = {""};
  EXPECT_TRUE(absl::IsInvalidArgument((*log)->Append(empty_record).status()));
  std::unique_ptr<KafkaEventReader> reader = OpenReader({});
  ASSERT_NE(reader, nullptr);
  std::vector<KafkaRecord> read = ReadToEnd(*reader);
  ASSERT_EQ(read.size(), batch.size());
  for (size_t i = 0; i < batch.size(); ++i) {
    EXPECT_EQ(read[i].payload, batch[i]);
    EXPECT_TRUE(read[i].key.empty());
  }
}

TEST_F(KafkaEventLogTest, BadBatchIsRefusedWhole) {
  StartCluster(1, 2);
  std::unique_ptr<KafkaEventLog> log = OpenLog();
  ASSERT_NE(log, nullptr);
  std::vector<std::string_view> empty;
  EXPECT_TRUE(absl::IsInvalidArgument(log->Append(empty).status()));
  const std::string good = Record(1, 1);
  std::vector<std::string_view> bad = {good, "not an event"};
  absl::Status s = log->Append(bad).status();
  EXPECT_TRUE(absl::IsInvalidArgument(s)) << s;
  EXPECT_NE(s.message().find("record 1"), std::string::npos) << s;
  // Deletion markers are keyed by their user; a refreshed identity stays with its user.
  std::string marker;
  stream::EncodeUserDeletion({.user = "u7", .epochs = 1, .time_ms = 1700000000000}, &marker);
  EXPECT_EQ(*RecordKey(marker), "u7");
  stream::Event e;
  e.type = stream::EventType::kLike;
  e.user = "u7#1";
  e.time_ms = 1700000000000;
  e.video = "v1";
  std::string refreshed;
  stream::EncodeEvent(e, &refreshed);
  EXPECT_EQ(*RecordKey(refreshed), "u7");
  std::vector<std::string_view> pair = {marker, refreshed};
  absl::StatusOr<std::vector<KafkaOffset>> acked = log->Append(pair);
  ASSERT_TRUE(acked.ok()) << acked.status();
  EXPECT_EQ((*acked)[0].partition, (*acked)[1].partition);

  std::unique_ptr<KafkaEventReader> reader = OpenReader({});
  ASSERT_NE(reader, nullptr);
  std::vector<KafkaRecord> read = ReadToEnd(*reader);
  ASSERT_EQ(read.size(), 2u);  // nothing of the refused batch
  EXPECT_EQ(read[0].payload, marker);
  EXPECT_EQ(read[1].payload, refreshed);
}

// An order-independent checksum of a multiset of payloads: the sum of their FNV-1a hashes.
uint64_t Checksum(const std::vector<std::string>& payloads) {
  uint64_t sum = 0;
  for (const std::string& p : payloads) {
    uint64_t h = 1469598103934665603ull;
    for (unsigned char c : p) h = (h ^ c) * 1099511628211ull;
    sum += h;
  }
  return sum;
}

// A consumer that saved its position with what it derived from the records before it, then read
// more before it died, resumes from the saved position as a group member: each record is
// applied once, none is missed.
TEST_F(KafkaEventLogTest, RestartFromSavedPositionNeitherLosesNorDuplicates) {
  StartCluster(3, 4);
  std::unique_ptr<KafkaEventLog> log = OpenLog();
  ASSERT_NE(log, nullptr);
  std::vector<std::string> appended;
  for (int b = 0; b < 4; ++b) {
    std::vector<std::string> batch = Batch(b * 100, 100, 7);
    ASSERT_TRUE(AppendAll(*log, batch).ok());
    appended.insert(appended.end(), batch.begin(), batch.end());
  }

  std::vector<std::string> applied;  // the "snapshot": records applied up to the saved position
  std::string saved;
  {
    std::unique_ptr<KafkaEventReader> first = OpenReader({});
    ASSERT_NE(first, nullptr);
    std::vector<KafkaRecord> part = ReadToEnd(*first, 150);
    ASSERT_EQ(part.size(), 150u);
    for (const KafkaRecord& r : part) applied.push_back(r.payload);
    saved = EncodeKafkaPosition(first->position());
    // Read on past the snapshot; these are lost with the process.
    std::vector<KafkaRecord> unsaved = ReadToEnd(*first, 100);
    EXPECT_EQ(unsaved.size(), 100u);
  }
  for (int b = 4; b < 6; ++b) {  // more events while the consumer is down
    std::vector<std::string> batch = Batch(b * 100, 100, 7);
    ASSERT_TRUE(AppendAll(*log, batch).ok());
    appended.insert(appended.end(), batch.begin(), batch.end());
  }

  absl::StatusOr<KafkaPosition> from = DecodeKafkaPosition(saved);
  ASSERT_TRUE(from.ok()) << from.status();
  std::unique_ptr<KafkaEventReader> second = OpenReader(*from, "trainer");
  ASSERT_NE(second, nullptr);
  std::vector<KafkaRecord> rest = ReadToEnd(*second);
  EXPECT_EQ(second->assignment(), (std::vector<int32_t>{0, 1, 2, 3}));
  for (const KafkaRecord& r : rest) applied.push_back(r.payload);
  EXPECT_EQ(applied.size(), appended.size());
  EXPECT_EQ(Checksum(applied), Checksum(appended));
  std::set<std::string> distinct(applied.begin(), applied.end());
  EXPECT_EQ(distinct.size(), appended.size()) << "a record was applied twice";
  EXPECT_TRUE(second->Commit().ok());
}

// The saved position of a partition that retention has emptied is reported, not skipped.
TEST_F(KafkaEventLogTest, PositionPastTheTopicIsAnError) {
  StartCluster(1, 2);
  std::unique_ptr<KafkaEventLog> log = OpenLog();
  ASSERT_NE(log, nullptr);
  ASSERT_TRUE(AppendAll(*log, Batch(0, 10, 3)).ok());
  KafkaPosition beyond;
  beyond.Set(0, 1000);
  beyond.Set(1, 1000);
  std::unique_ptr<KafkaEventReader> reader = OpenReader(beyond);
  ASSERT_NE(reader, nullptr);
  std::vector<KafkaRecord> got;
  absl::Status s;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (s.ok() && std::chrono::steady_clock::now() < deadline) s = reader->Poll(10, 100, &got);
  EXPECT_TRUE(absl::IsOutOfRange(s)) << s;
  EXPECT_TRUE(got.empty());
}

// Broker down: Append waits while Kafka may still take the batch, then answers Unavailable and
// reports nothing acknowledged; a broker back within the timeout lets the waiting Append
// succeed. Every acknowledged record is in the topic exactly once afterwards.
TEST_F(KafkaEventLogTest, BrokerDownNeverAcknowledgesWhatKafkaDidNot) {
  StartCluster(1, 2);
  std::unique_ptr<KafkaEventLog> log = OpenLog(/*delivery_timeout_ms=*/1500);
  ASSERT_NE(log, nullptr);
  std::vector<std::string> acked, refused;
  std::vector<std::string> batch = Batch(0, 20, 5);
  ASSERT_TRUE(AppendAll(*log, batch).ok());
  acked.insert(acked.end(), batch.begin(), batch.end());

  ASSERT_TRUE(cluster_->SetBrokerDown(1).ok());
  batch = Batch(100, 20, 5);
  const auto t0 = std::chrono::steady_clock::now();
  absl::StatusOr<std::vector<KafkaOffset>> r = AppendAll(*log, batch);
  const auto waited = std::chrono::steady_clock::now() - t0;
  EXPECT_TRUE(absl::IsUnavailable(r.status())) << r.status();
  EXPECT_NE(r.status().message().find("nothing of it is acknowledged"), std::string::npos);
  EXPECT_GE(waited, std::chrono::milliseconds(1400));  // it waited for Kafka first
  refused = batch;
  EXPECT_EQ(log->stats().failed_appends, 1u);

  // Still down; back up while the next Append waits: it succeeds.
  batch = Batch(200, 20, 5);
  std::thread revive([this] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    EXPECT_TRUE(cluster_->SetBrokerUp(1).ok());
  });
  r = AppendAll(*log, batch);
  revive.join();
  ASSERT_TRUE(r.ok()) << r.status();
  acked.insert(acked.end(), batch.begin(), batch.end());
  batch = Batch(300, 20, 5);
  ASSERT_TRUE(AppendAll(*log, batch).ok());
  acked.insert(acked.end(), batch.begin(), batch.end());

  std::unique_ptr<KafkaEventReader> reader = OpenReader({});
  ASSERT_NE(reader, nullptr);
  std::map<std::string, int> seen;
  for (const KafkaRecord& r : ReadToEnd(*reader)) ++seen[r.payload];
  for (const std::string& a : acked) EXPECT_EQ(seen[a], 1) << "acknowledged record " << SeqOf(a);
  for (const std::string& f : refused) EXPECT_LE(seen[f], 1);  // at most once, never promised
}

// Latency on every broker slows appends and reads down, and loses nothing.
TEST_F(KafkaEventLogTest, LatencyOnlySlowsDown) {
  StartCluster(3, 4);
  std::unique_ptr<KafkaEventLog> log = OpenLog();
  ASSERT_NE(log, nullptr);
  std::vector<std::string> appended = Batch(0, 50, 5);
  ASSERT_TRUE(AppendAll(*log, appended).ok());
  for (int id = 1; id <= 3; ++id) ASSERT_TRUE(cluster_->SetBrokerRtt(id, 150).ok());
  std::vector<std::string> batch = Batch(100, 50, 5);
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(AppendAll(*log, batch).ok());
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(150));
  appended.insert(appended.end(), batch.begin(), batch.end());

  std::unique_ptr<KafkaEventReader> reader = OpenReader({});
  ASSERT_NE(reader, nullptr);
  std::vector<std::string> read;
  for (const KafkaRecord& r : ReadToEnd(*reader)) read.push_back(r.payload);
  EXPECT_EQ(read.size(), appended.size());
  EXPECT_EQ(Checksum(read), Checksum(appended));
  for (int id = 1; id <= 3; ++id) ASSERT_TRUE(cluster_->SetBrokerRtt(id, 0).ok());
}

}  // namespace
}  // namespace foryou::kafka
