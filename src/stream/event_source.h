// EventSink and EventSource: the real-time loop's event stream when it is not the file log, as
// two small interfaces so that `realtime` does not depend on the stream's implementation (Kafka:
// kafka/kafka_event_source.h). A partitioned stream has no single offset: a reader's place is a
// position (opaque bytes the loop keeps in its snapshot), and a record's id is unique in the
// stream and the same at every read. docs/design/kafka.md, "The loop on Kafka".
//
// Example:
//   LoopOptions o;
//   o.sink = kafka::KafkaEventSink::Open(log_options).value();
//   o.source = [=](std::string_view position) { return kafka::KafkaEventSource::Open(reader_options, position); };
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "stream/event_log.h"

namespace foryou::stream {

// The write side. Thread-safe.
class EventSink {
 public:
  virtual ~EventSink() = default;
  // Appends `records` (event records or deletion markers); OK only once every record of the
  // batch is durable in the stream, so the caller may acknowledge it. Returns the stream's count
  // before the batch as this writer knows it, for freshness metrics: a reader whose count()
  // reaches it plus records.size() has passed the batch when the stream has one partition, and
  // usually (not always) with several. Errors: InvalidArgument (nothing written) for a bad
  // batch; Unavailable when the stream did not acknowledge it (nothing of it is acknowledged;
  // the client may retry).
  [[nodiscard]] virtual absl::StatusOr<uint64_t> Append(
      absl::Span<const std::string_view> records) = 0;
};

// The read side: one reader from one position. Poll, Position, count and End from one thread.
class EventSource {
 public:
  virtual ~EventSource() = default;
  // Replaces `*out` with up to `max_records` records after the position, waiting at most
  // `timeout_ms` for the first, and moves the position past them. Each record's `offset` is its
  // id: unique in the stream and the same at every read (the ledger's and the joiner's key).
  [[nodiscard]] virtual absl::Status Poll(size_t max_records, int timeout_ms,
                                          std::vector<LogRecord>* out) = 0;
  // The position after the records Poll returned, as bytes to keep in a snapshot and to open a
  // source from.
  virtual std::string Position() const = 0;
  // The records before the position (summed over partitions): grows with every record read.
  virtual uint64_t count() const = 0;
  // The records before the stream's end now (the count a caught-up reader has).
  [[nodiscard]] virtual absl::StatusOr<uint64_t> End(int timeout_ms) = 0;
  // Bounds the read at `end` (bytes from Position() of a source of this stream): from now on
  // Poll returns only the records before it, and ReachedEnd() tells when none before it is
  // left to read. DataLoss for bytes that are not a position; Unimplemented for a source that
  // cannot bound its read (the default).
  [[nodiscard]] virtual absl::Status SetEnd(std::string_view end) {
    (void)end;
    return absl::UnimplementedError("this event source cannot bound its read");
  }
  // With SetEnd: true once every record before the end was returned by Poll (or is no longer
  // in the stream).
  virtual bool ReachedEnd() const { return false; }
};

// Opens a source reading from `position` (bytes from EventSource::Position; empty = the stream's
// beginning). DataLoss for bytes that are not a position.
using EventSourceOpener =
    std::function<absl::StatusOr<std::unique_ptr<EventSource>>(std::string_view position)>;

}  // namespace foryou::stream
