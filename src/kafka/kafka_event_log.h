// KafkaEventLog: the event log's write side on a Kafka topic partitioned by user. Append hands a
// batch of event records to an idempotent producer (acks=all) and returns only once Kafka has
// acknowledged every record of it, so the caller may acknowledge the batch to its client.
// Record layout on the topic: docs/formats/kafka_events.md. Design: docs/design/kafka.md.
//
// Example:
//   KafkaLogOptions options;
//   options.bootstrap = "kafka-1:9092,kafka-2:9092";
//   FORYOU_ASSIGN_OR_RETURN(auto log, KafkaEventLog::Open(options));
//   std::string record;
//   stream::EncodeEvent(event, &record);
//   std::vector<std::string_view> batch = {record};
//   absl::StatusOr<std::vector<KafkaOffset>> acked = log->Append(batch);
//   if (absl::IsUnavailable(acked.status())) ...  // nothing acknowledged: the client retries
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"

struct rd_kafka_s;

namespace foryou::kafka {

// Where one record landed.
struct KafkaOffset {
  int32_t partition = 0;
  int64_t offset = 0;
  friend bool operator==(const KafkaOffset&, const KafkaOffset&) = default;
};

struct KafkaLogOptions {
  std::string bootstrap;                 // bootstrap.servers; required
  std::string topic = "foryou-events";  // created by Open when missing
  int32_t partitions = 8;               // of a topic Open creates (an existing one keeps its own)
  int16_t replication_factor = 3;       // of a topic Open creates (the mock: at most its brokers)
  // How long Kafka may take to acknowledge a record, retries included (delivery.timeout.ms);
  // past it Append returns Unavailable. At least 1000.
  int64_t delivery_timeout_ms = 30000;
  uint32_t max_record_bytes = 1 << 20;  // payload limit per record (as FileEventLog's)
  // true: records are events or deletion markers, keyed by user. false: records are opaque
  // bytes (the parameter stream, docs/formats/params.md), produced without a key to partition
  // 0 only, so that the topic (of one partition) keeps them in append order.
  bool keyed_by_user = true;
  // Configuration of a topic Open creates (e.g. {"cleanup.policy", "compact"}).
  std::vector<std::pair<std::string, std::string>> topic_config;
  // Further librdkafka properties (security, client.id, linger.ms, ...), set after ours; the
  // ones the guarantees rest on (enable.idempotence, acks) are refused.
  std::vector<std::pair<std::string, std::string>> config;
};

// Counters since Open (metrics, tests).
struct KafkaLogStats {
  uint64_t appends = 0;         // Append calls acknowledged
  uint64_t records = 0;         // their records
  uint64_t failed_appends = 0;  // Append calls answered Unavailable
};

// Thread-safe: concurrent Appends share the producer (librdkafka batches their records
// together). One background thread serves the producer's delivery reports.
class KafkaEventLog {
 public:
  // Validates `options` (InvalidArgument naming the field), connects, and creates the topic with
  // `partitions` partitions if the cluster does not have it. Unavailable when no broker answers
  // within delivery_timeout_ms.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<KafkaEventLog>> Open(
      KafkaLogOptions options);
  // Waits up to delivery_timeout_ms for records still in flight (no Append may be running).
  ~KafkaEventLog();
  KafkaEventLog(const KafkaEventLog&) = delete;
  KafkaEventLog& operator=(const KafkaEventLog&) = delete;

  // Produces each record of `records` (event records of stream/event.h or deletion markers of
  // stream/user_deletion.h) keyed by its user (or, without keyed_by_user, any bytes to
  // partition 0), and waits until Kafka acknowledged all of them.
  // Returns where each landed (same order as `records`); records of one user land in one
  // partition in the order given.
  // Errors:
  //   InvalidArgument  nothing produced: an empty batch, an empty record, one over
  //                    max_record_bytes or (keyed_by_user) one that is neither an event nor a
  //                    deletion marker (the message names the record's index);
  //   Unavailable      Kafka did not acknowledge every record within delivery_timeout_ms
  //                    (broker down, partition without leader, producer queue full, fenced
  //                    producer): nothing of the batch is reported acknowledged. Records of it
  //                    may still be in the topic (at-least-once: a retry may write them twice).
  [[nodiscard]] absl::StatusOr<std::vector<KafkaOffset>> Append(
      absl::Span<const std::string_view> records);

  // One record of AppendKeyed: its key on the topic (what compaction keeps the newest value of)
  // and its value.
  struct KeyedRecord {
    std::string_view key;
    std::string_view value;
  };
  // As Append, for a log without keyed_by_user (FailedPrecondition otherwise): each record is
  // produced under its own non-empty key to partition 0, in the order given.
  [[nodiscard]] absl::StatusOr<std::vector<KafkaOffset>> AppendKeyed(
      absl::Span<const KeyedRecord> records);

  int32_t partitions() const { return partitions_; }
  const KafkaLogOptions& options() const { return options_; }
  KafkaLogStats stats() const;

 private:
  explicit KafkaEventLog(KafkaLogOptions options);
  void PollLoop();
  // Produces values[i] under keys[i] (no key when empty) to `partition` (RD_KAFKA_PARTITION_UA:
  // the partitioner's choice) and waits for every delivery report.
  absl::StatusOr<std::vector<KafkaOffset>> ProduceAndWait(absl::Span<const std::string_view> values,
                                                          const std::vector<std::string>& keys,
                                                          int32_t partition);

  const KafkaLogOptions options_;
  rd_kafka_s* rk_ = nullptr;
  int32_t partitions_ = 0;
  std::atomic<bool> stop_{false};
  std::thread poller_;
  std::atomic<uint64_t> appends_{0}, records_{0}, failed_appends_{0};
};

// The key of `record` on the topic: the user of an event record or of a deletion marker, cut
// at its first '#' (a refreshed model identity "u42#1" stays with "u42", docs/formats/
// kafka_events.md). InvalidArgument for a record that is neither.
[[nodiscard]] absl::StatusOr<std::string> RecordKey(std::string_view record);

}  // namespace foryou::kafka
