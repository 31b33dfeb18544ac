// KafkaEventReader: the event log's read side on Kafka. A consumer group member (or, without a
// group, the single reader of every partition) that starts every partition it is assigned at the
// offset the caller's saved KafkaPosition gives (not at what the group committed), returns
// records in offset order per partition, and tracks the position after the records it returned. A consumer that saves position() with the state it derived from those
// records (its snapshot) and reopens from it after a crash neither skips nor re-applies a record.
// Design: docs/design/kafka.md.
//
// Example:
//   KafkaReaderOptions options;
//   options.bootstrap = "kafka-1:9092";
//   options.group = "trainer";
//   FORYOU_ASSIGN_OR_RETURN(auto reader, KafkaEventReader::Open(options, snapshot.position));
//   std::vector<KafkaRecord> records;
//   FORYOU_RETURN_IF_ERROR(reader->Poll(1000, 100, &records));
//   for (const KafkaRecord& r : records) Apply(r.payload);
//   snapshot.position = reader->position();  // saved atomically with what Apply built
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/mutex.h"
#include "kafka/kafka_position.h"

struct rd_kafka_s;

namespace foryou::kafka {

struct KafkaReaderOptions {
  std::string bootstrap;                 // bootstrap.servers; required
  std::string topic = "foryou-events";
  // Consumer group id: the group's coordinator shares the partitions among its members. Empty:
  // no group, this reader takes every partition the topic has at Open (one reader per topic;
  // no Commit).
  std::string group;
  // How long a silent member keeps its partitions (>= 6000, Kafka's default
  // group.min.session.timeout.ms).
  int32_t session_timeout_ms = 10000;
  // Further librdkafka properties, set after ours; the ones the position rests on
  // (enable.auto.commit, auto.offset.reset, enable.auto.offset.store) are refused.
  std::vector<std::pair<std::string, std::string>> config;
};

// One record as read from the topic.
struct KafkaRecord {
  int32_t partition = 0;
  int64_t offset = 0;
  std::string key;             // the user (RecordKey)
  std::string payload;         // the bytes given to KafkaEventLog::Append, unchanged
  int64_t append_time_ms = 0;  // the record's timestamp (producer's clock at Append)
};

// Not thread-safe for Poll/Commit (one consumer thread, as with any Kafka consumer);
// position() and assignment() may be called from any thread.
class KafkaEventReader {
 public:
  // Joins `options.group` and subscribes to the topic (the assignment arrives inside Poll), or
  // without a group assigns every partition of the topic now. Partitions are read from `from` (a
  // partition at kUnset or beyond its vector: from its beginning). InvalidArgument naming a bad
  // option; Unavailable when the topic's partitions cannot be learnt (no group).
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<KafkaEventReader>> Open(
      KafkaReaderOptions options, KafkaPosition from);
  // Leaves the group (its partitions go to the other members at once).
  ~KafkaEventReader();
  KafkaEventReader(const KafkaEventReader&) = delete;
  KafkaEventReader& operator=(const KafkaEventReader&) = delete;

  // Replaces `*out` with up to `max_records` records, waiting at most `timeout_ms` for the first
  // one (none when nothing new arrived). Joining the group and fetching happen inside Poll.
  // Errors: OutOfRange when a saved offset is no longer in the topic (deleted by retention, or
  // a position from another cluster): nothing is skipped silently; Internal for a fatal client
  // error; Unavailable when the partitions the group gave could not be assigned. Records
  // returned before an error are kept in `*out` and in position().
  [[nodiscard]] absl::Status Poll(size_t max_records, int timeout_ms,
                                  std::vector<KafkaRecord>* out);

  // The next offset of every partition after the records Poll has returned (partitions never
  // assigned keep the value given to Open).
  KafkaPosition position() const;
  // The partitions this member holds now, ascending.
  std::vector<int32_t> assignment() const;

  // Commits position() for the assigned partitions to the group (for monitoring and for tools
  // that start from the group's offsets; this reader never reads them back). Unavailable on a
  // failed commit, FailedPrecondition without a group.
  [[nodiscard]] absl::Status Commit();

  // The end of every partition (its high watermark): the position after the last record.
  [[nodiscard]] absl::StatusOr<KafkaPosition> EndPosition(int timeout_ms);
  // The beginning of every partition (its low watermark): the first record retention kept.
  [[nodiscard]] absl::StatusOr<KafkaPosition> StartPosition(int timeout_ms);

 private:
  explicit KafkaEventReader(KafkaReaderOptions options, KafkaPosition from);
  friend struct ReaderCallbacks;
  // On an assignment: Assign; on a revocation: unassigns.
  void Rebalance(int err, void* partitions);
  // Assigns `partitions` (an rd_kafka_topic_partition_list_t), each at its offset in position_.
  absl::Status Assign(void* partitions);
  // Each partition's low (`high` false) or high watermark.
  absl::StatusOr<KafkaPosition> Watermarks(bool high, int timeout_ms);

  const KafkaReaderOptions options_;
  rd_kafka_s* rk_ = nullptr;
  mutable common::Mutex mu_;
  KafkaPosition position_ ABSL_GUARDED_BY(mu_);
  std::vector<int32_t> assignment_ ABSL_GUARDED_BY(mu_);
  absl::Status assign_error_ ABSL_GUARDED_BY(mu_);  // a failed assignment, for the next Poll
};

}  // namespace foryou::kafka
