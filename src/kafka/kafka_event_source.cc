// The loop's event stream on Kafka: adapters from KafkaEventLog / KafkaEventReader to
// stream::EventSink / stream::EventSource.
#include "kafka/kafka_event_source.h"

#include <algorithm>
#include <utility>

namespace foryou::kafka {

uint64_t PositionCount(const KafkaPosition& p) {
  uint64_t n = 0;
  for (int64_t next : p.next) n += static_cast<uint64_t>(std::max<int64_t>(0, next));
  return n;
}

absl::StatusOr<std::unique_ptr<KafkaEventSink>> KafkaEventSink::Open(KafkaLogOptions options) {
  absl::StatusOr<std::unique_ptr<KafkaEventLog>> log = KafkaEventLog::Open(std::move(options));
  if (!log.ok()) return log.status();
  return std::unique_ptr<KafkaEventSink>(new KafkaEventSink(std::move(*log)));
}

absl::StatusOr<uint64_t> KafkaEventSink::Append(absl::Span<const std::string_view> records) {
  absl::StatusOr<std::vector<KafkaOffset>> acked = log_->Append(records);
  if (!acked.ok()) return acked.status();
  common::MutexLock l(&mu_);
  for (const KafkaOffset& o : *acked) {
    if (o.offset + 1 > acked_.Next(o.partition)) acked_.Set(o.partition, o.offset + 1);
  }
  const uint64_t after = PositionCount(acked_);
  return after - std::min<uint64_t>(after, records.size());
}

absl::StatusOr<std::unique_ptr<KafkaEventSource>> KafkaEventSource::Open(
    KafkaReaderOptions options, std::string_view position) {
  KafkaPosition from;
  if (!position.empty()) {
    absl::StatusOr<KafkaPosition> p = DecodeKafkaPosition(position);
    if (!p.ok()) return p.status();
    from = std::move(*p);
  }
  absl::StatusOr<std::unique_ptr<KafkaEventReader>> reader =
      KafkaEventReader::Open(std::move(options), std::move(from));
  if (!reader.ok()) return reader.status();
  return std::unique_ptr<KafkaEventSource>(new KafkaEventSource(std::move(*reader)));
}

absl::Status KafkaEventSource::Poll(size_t max_records, int timeout_ms,
                                    std::vector<stream::LogRecord>* out) {
  out->clear();
  const absl::Status s = reader_->Poll(max_records, timeout_ms, &records_);
  // Records returned before an error are in the reader's position: they are handed on too.
  out->reserve(records_.size());
  for (KafkaRecord& r : records_) {
    if (end_ && r.offset >= end_->Next(r.partition)) continue;  // at or past the end
    out->push_back({KafkaRecordId(r.partition, r.offset), std::move(r.payload), r.append_time_ms});
  }
  return s;
}

std::string KafkaEventSource::Position() const { return EncodeKafkaPosition(reader_->position()); }

uint64_t KafkaEventSource::count() const { return PositionCount(reader_->position()); }

absl::StatusOr<uint64_t> KafkaEventSource::End(int timeout_ms) {
  absl::StatusOr<KafkaPosition> end = reader_->EndPosition(timeout_ms);
  if (!end.ok()) return end.status();
  return PositionCount(*end);
}

absl::Status KafkaEventSource::SetEnd(std::string_view end) {
  absl::StatusOr<KafkaPosition> e = DecodeKafkaPosition(end);
  if (!e.ok()) return e.status();
  absl::StatusOr<KafkaPosition> start = reader_->StartPosition(/*timeout_ms=*/10000);
  if (!start.ok()) return start.status();
  end_ = std::move(*e);
  start_ = std::move(*start);
  return absl::OkStatus();
}

bool KafkaEventSource::ReachedEnd() const {
  if (!end_) return false;
  const KafkaPosition at = reader_->position();
  for (size_t p = 0; p < end_->next.size(); ++p) {
    const int32_t partition = static_cast<int32_t>(p);
    const int64_t end = end_->next[p];
    if (end <= 0 || at.Next(partition) >= end || start_.Next(partition) >= end) continue;
    return false;
  }
  return true;
}

}  // namespace foryou::kafka
