// KafkaEventSink / KafkaEventSource on the mock cluster: record ids, counts and a position that
// a source reopens from (the loop's side of docs/design/kafka.md, "The loop on Kafka").
#include "kafka/kafka_event_source.h"

#include <chrono>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "kafka/mock_cluster.h"
#include "stream/event.h"

namespace foryou::kafka {
namespace {

constexpr char kTopic[] = "events";

std::vector<std::string> Batch(int first, int n) {
  std::vector<std::string> out;
  for (int i = first; i < first + n; ++i) {
    stream::Event e;
    e.type = stream::EventType::kLike;
    e.user = absl::StrCat("u", i % 7);
    e.time_ms = 1700000000000 + i;
    e.video = absl::StrCat("v", i);
    out.emplace_back();
    stream::EncodeEvent(e, &out.back());
  }
  return out;
}

absl::StatusOr<uint64_t> Append(KafkaEventSink& sink, const std::vector<std::string>& batch) {
  std::vector<std::string_view> views(batch.begin(), batch.end());
  return sink.Append(views);
}

// Polls until `source` has counted `n` records (or 20 s); returns what it read.
std::vector<stream::LogRecord> ReadUntil(KafkaEventSource& source, uint64_t n) {
  std::vector<stream::LogRecord> all, got;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (source.count() < n && std::chrono::steady_clock::now() < deadline) {
    EXPECT_TRUE(source.Poll(500, 100, &got).ok());
    for (stream::LogRecord& r : got) all.push_back(std::move(r));
  }
  return all;
}

TEST(KafkaEventSourceTest, ReopenedFromItsPositionReadsOnlyWhatCameAfter) {
  absl::StatusOr<std::unique_ptr<MockKafkaCluster>> cluster = MockKafkaCluster::Start(1);
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  ASSERT_TRUE((*cluster)->CreateTopic(kTopic, 3).ok());
  KafkaLogOptions lo;
  lo.bootstrap = (*cluster)->bootstrap();
  lo.topic = kTopic;
  absl::StatusOr<std::unique_ptr<KafkaEventSink>> sink = KafkaEventSink::Open(lo);
  ASSERT_TRUE(sink.ok()) << sink.status();
  absl::StatusOr<uint64_t> first = Append(**sink, Batch(0, 40));
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(*first, 0u);
  first = Append(**sink, Batch(40, 20));
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(*first, 40u);  // one writer: its count is the topic's

  KafkaReaderOptions ro;
  ro.bootstrap = lo.bootstrap;
  ro.topic = kTopic;
  absl::StatusOr<std::unique_ptr<KafkaEventSource>> source = KafkaEventSource::Open(ro, "");
  ASSERT_TRUE(source.ok()) << source.status();
  absl::StatusOr<uint64_t> end = (*source)->End(5000);
  ASSERT_TRUE(end.ok()) << end.status();
  EXPECT_EQ(*end, 60u);
  std::vector<stream::LogRecord> read = ReadUntil(**source, 60);
  ASSERT_EQ(read.size(), 60u);
  std::set<uint64_t> ids;
  for (const stream::LogRecord& r : read) ids.insert(r.offset);
  EXPECT_EQ(ids.size(), 60u);  // ids are unique across partitions
  const std::string position = (*source)->Position();

  ASSERT_TRUE(Append(**sink, Batch(60, 15)).ok());
  absl::StatusOr<std::unique_ptr<KafkaEventSource>> again = KafkaEventSource::Open(ro, position);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ((*again)->count(), 60u);
  std::vector<stream::LogRecord> rest = ReadUntil(**again, 75);
  ASSERT_EQ(rest.size(), 15u);
  for (const stream::LogRecord& r : rest) {
    EXPECT_EQ(ids.count(r.offset), 0u);
    absl::StatusOr<stream::Event> e = stream::DecodeEvent(r.payload);
    ASSERT_TRUE(e.ok());
    EXPECT_GE(std::stoi(e->video.substr(1)), 60);
  }
  EXPECT_TRUE(absl::IsDataLoss(KafkaEventSource::Open(ro, "not a position").status()));
}

}  // namespace
}  // namespace foryou::kafka
