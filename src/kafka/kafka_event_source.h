// KafkaEventSink and KafkaEventSource: the real-time loop's event stream (stream/event_source.h)
// on Kafka, over KafkaEventLog and KafkaEventReader. The sink acknowledges a batch once Kafka
// has; the source reads from a KafkaPosition kept in the loop's snapshot, and gives each record
// the id (partition << 40) | offset. docs/design/kafka.md, "The loop on Kafka".
//
// Example:
//   FORYOU_ASSIGN_OR_RETURN(auto sink, KafkaEventSink::Open(log_options));
//   loop_options.sink = std::move(sink);
//   loop_options.source = [=](std::string_view position) {
//     return KafkaEventSource::Open(reader_options, position);
//   };
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "common/mutex.h"
#include "kafka/kafka_event_log.h"
#include "kafka/kafka_event_reader.h"
#include "kafka/kafka_position.h"
#include "stream/event_source.h"

namespace foryou::kafka {

// The id of the record at `offset` of `partition` (LogRecord::offset of a KafkaEventSource).
inline uint64_t KafkaRecordId(int32_t partition, int64_t offset) {
  return (static_cast<uint64_t>(partition) << 40) | static_cast<uint64_t>(offset);
}
// The records before `p`, summed over its partitions (kUnset counts 0).
uint64_t PositionCount(const KafkaPosition& p);

// Thread-safe (as KafkaEventLog).
class KafkaEventSink : public stream::EventSink {
 public:
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<KafkaEventSink>> Open(
      KafkaLogOptions options);
  // KafkaEventLog::Append. Returns S - records.size(), S the sum over partitions of the ends
  // this sink has seen acknowledged, the batch included (see EventSink::Append).
  [[nodiscard]] absl::StatusOr<uint64_t> Append(
      absl::Span<const std::string_view> records) override;
  KafkaEventLog& log() { return *log_; }

 private:
  explicit KafkaEventSink(std::unique_ptr<KafkaEventLog> log) : log_(std::move(log)) {}
  std::unique_ptr<KafkaEventLog> log_;
  common::Mutex mu_;
  KafkaPosition acked_ ABSL_GUARDED_BY(mu_);  // per partition: one past the highest acked
};

// One thread (as KafkaEventReader's Poll).
class KafkaEventSource : public stream::EventSource {
 public:
  // Opens a reader from `position` (EncodeKafkaPosition bytes; empty = every partition's
  // beginning). DataLoss for bytes that do not decode; KafkaEventReader::Open's errors.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<KafkaEventSource>> Open(
      KafkaReaderOptions options, std::string_view position);
  [[nodiscard]] absl::Status Poll(size_t max_records, int timeout_ms,
                                  std::vector<stream::LogRecord>* out) override;
  std::string Position() const override;
  uint64_t count() const override;
  [[nodiscard]] absl::StatusOr<uint64_t> End(int timeout_ms) override;
  // A partition whose records before `end` retention has deleted counts as reached (its
  // beginning, the low watermark, is asked for here).
  [[nodiscard]] absl::Status SetEnd(std::string_view end) override;
  bool ReachedEnd() const override;

 private:
  explicit KafkaEventSource(std::unique_ptr<KafkaEventReader> reader)
      : reader_(std::move(reader)) {}
  std::unique_ptr<KafkaEventReader> reader_;
  std::vector<KafkaRecord> records_;
  std::optional<KafkaPosition> end_;  // SetEnd's
  KafkaPosition start_;               // each partition's beginning when SetEnd was called
};

}  // namespace foryou::kafka
