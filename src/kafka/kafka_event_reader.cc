// HOW IT WORKS
// The reader subscribes as a member of the consumer group, so Kafka's group coordinator gives
// each partition to one member. Group membership decides *who* reads a partition; the caller's
// saved position decides *where*: in the rebalance callback every assigned partition gets the
// offset from position_ (the one after the last record handed to the caller), never the group's
// committed offset, which may be older or newer than the caller's snapshot. Auto commit and
// auto offset reset are off: a saved offset that Kafka no longer has is an error, not a silent
// jump to either end.
#include "kafka/kafka_event_reader.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "kafka/kafka_internal.h"
#include "librdkafka/rdkafka.h"

namespace foryou::kafka {

struct ReaderCallbacks {
  static void OnRebalance(rd_kafka_t*, rd_kafka_resp_err_t err,
                          rd_kafka_topic_partition_list_t* partitions, void* opaque) {
    static_cast<KafkaEventReader*>(opaque)->Rebalance(err, partitions);
  }
};

KafkaEventReader::KafkaEventReader(KafkaReaderOptions options, KafkaPosition from)
    : options_(std::move(options)) {
  common::MutexLock lock(&mu_);
  position_ = std::move(from);
}

absl::StatusOr<std::unique_ptr<KafkaEventReader>> KafkaEventReader::Open(
    KafkaReaderOptions options, KafkaPosition from) {
  if (options.bootstrap.empty()) return absl::InvalidArgumentError("bootstrap: required");
  if (options.topic.empty()) return absl::InvalidArgumentError("topic: required");
  if (options.session_timeout_ms < 6000) {
    return absl::InvalidArgumentError("session_timeout_ms: must be >= 6000");
  }
  for (const auto& [key, value] : options.config) {
    if (key == "enable.auto.commit" || key == "auto.offset.reset" ||
        key == "enable.auto.offset.store") {
      return absl::InvalidArgumentError(
          absl::StrCat("config: ", key, " is set by KafkaEventReader (the position rests on it)"));
    }
  }
  for (size_t p = 0; p < from.next.size(); ++p) {
    if (from.next[p] < KafkaPosition::kUnset) {
      return absl::InvalidArgumentError(
          absl::StrCat("position: partition ", p, " has offset ", from.next[p]));
    }
  }
  std::unique_ptr<KafkaEventReader> r(new KafkaEventReader(std::move(options), std::move(from)));
  const KafkaReaderOptions& o = r->options_;
  internal::Config base = {
      {"bootstrap.servers", o.bootstrap},
      {"enable.auto.commit", "false"},
      {"reconnect.backoff.max.ms", "1000"},  // a broker back is used within a second
      {"enable.auto.offset.store", "false"},
      {"auto.offset.reset", "error"},
      {"isolation.level", "read_committed"},
  };
  // librdkafka assigns partitions only on a consumer with a group id; without a group the id
  // names no group this reader ever joins or commits to.
  base.push_back({"group.id", o.group.empty() ? "foryou-reader-" + o.topic : o.group});
  if (!o.group.empty()) {
    base.push_back({"session.timeout.ms", absl::StrCat(o.session_timeout_ms)});
    base.push_back({"heartbeat.interval.ms", absl::StrCat(o.session_timeout_ms / 10)});
  }
  absl::StatusOr<rd_kafka_conf_t*> conf = internal::MakeConf(base, o.config);
  if (!conf.ok()) return conf.status();
  rd_kafka_conf_set_rebalance_cb(*conf, &ReaderCallbacks::OnRebalance);
  rd_kafka_conf_set_opaque(*conf, r.get());
  absl::StatusOr<rd_kafka_t*> rk = internal::MakeHandle(RD_KAFKA_CONSUMER, *conf);
  if (!rk.ok()) return rk.status();
  r->rk_ = *rk;
  rd_kafka_poll_set_consumer(r->rk_);
  if (o.group.empty()) {
    absl::StatusOr<int32_t> count = internal::TopicPartitionCount(r->rk_, o.topic, 10000);
    if (!count.ok()) return count.status();
    std::unique_ptr<rd_kafka_topic_partition_list_t, internal::TopicPartitionListDeleter> all(
        rd_kafka_topic_partition_list_new(*count));
    for (int32_t p = 0; p < *count; ++p) {
      rd_kafka_topic_partition_list_add(all.get(), o.topic.c_str(), p);
    }
    if (absl::Status s = r->Assign(all.get()); !s.ok()) return s;
    return r;
  }
  std::unique_ptr<rd_kafka_topic_partition_list_t, internal::TopicPartitionListDeleter> topics(
      rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_list_add(topics.get(), o.topic.c_str(), RD_KAFKA_PARTITION_UA);
  if (rd_kafka_resp_err_t e = rd_kafka_subscribe(r->rk_, topics.get());
      e != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return internal::KafkaError(absl::StrCat("subscribe to ", o.topic), e);
  }
  return r;
}

KafkaEventReader::~KafkaEventReader() {
  if (rk_ == nullptr) return;
  rd_kafka_consumer_close(rk_);  // leaves the group
  rd_kafka_destroy(rk_);
}

void KafkaEventReader::Rebalance(int err, void* partitions) {
  auto* parts = static_cast<rd_kafka_topic_partition_list_t*>(partitions);
  if (err != RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    rd_kafka_assign(rk_, nullptr);
    common::MutexLock lock(&mu_);
    assignment_.clear();
    return;
  }
  // Called inside rd_kafka_consumer_poll: a failure is kept for Poll to return.
  absl::Status s = Assign(parts);
  common::MutexLock lock(&mu_);
  assign_error_ = std::move(s);
}

absl::Status KafkaEventReader::Assign(void* partitions) {
  auto* parts = static_cast<rd_kafka_topic_partition_list_t*>(partitions);
  std::vector<int32_t> assigned;
  {
    common::MutexLock lock(&mu_);
    for (int i = 0; i < parts->cnt; ++i) {
      rd_kafka_topic_partition_t& tp = parts->elems[i];
      const int64_t next = position_.Next(tp.partition);
      tp.offset = next == KafkaPosition::kUnset ? RD_KAFKA_OFFSET_BEGINNING : next;
      assigned.push_back(tp.partition);
    }
    std::sort(assigned.begin(), assigned.end());
    assignment_ = assigned;
  }
  if (rd_kafka_resp_err_t e = rd_kafka_assign(rk_, parts); e != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return internal::KafkaError(absl::StrCat("assign partitions of ", options_.topic), e);
  }
  return absl::OkStatus();
}

absl::Status KafkaEventReader::Poll(size_t max_records, int timeout_ms,
                                    std::vector<KafkaRecord>* out) {
  out->clear();
  {
    common::MutexLock lock(&mu_);
    if (!assign_error_.ok()) return std::exchange(assign_error_, absl::OkStatus());
  }
  int wait_ms = timeout_ms;
  while (out->size() < max_records) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk_, wait_ms);
    if (m == nullptr) break;
    wait_ms = 0;  // after the first record take only what has arrived
    std::unique_ptr<rd_kafka_message_t, void (*)(rd_kafka_message_t*)> msg(
        m, &rd_kafka_message_destroy);
    if (m->err == RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET ||
        m->err == RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE) {
      return absl::OutOfRangeError(absl::StrCat(
          "kafka: partition ", m->partition, " of ", options_.topic,
          ": the saved offset is not in the topic (", rd_kafka_message_errstr(m), ")"));
    }
    if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      char reason[512];
      if (rd_kafka_resp_err_t fatal = rd_kafka_fatal_error(rk_, reason, sizeof(reason));
          fatal != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return absl::InternalError(absl::StrCat("kafka consumer: fatal: ", reason));
      }
      continue;  // transient (a broker connection lost, ...): librdkafka retries by itself
    }
    common::MutexLock lock(&mu_);
    // A record below the position was already returned (a re-fetch after a rebalance).
    if (m->offset < position_.Next(m->partition)) continue;
    KafkaRecord r;
    r.partition = m->partition;
    r.offset = m->offset;
    if (m->key != nullptr) r.key.assign(static_cast<const char*>(m->key), m->key_len);
    r.payload.assign(static_cast<const char*>(m->payload), m->len);
    r.append_time_ms = rd_kafka_message_timestamp(m, nullptr);
    position_.Set(m->partition, m->offset + 1);
    out->push_back(std::move(r));
  }
  return absl::OkStatus();
}

KafkaPosition KafkaEventReader::position() const {
  common::MutexLock lock(&mu_);
  return position_;
}

std::vector<int32_t> KafkaEventReader::assignment() const {
  common::MutexLock lock(&mu_);
  return assignment_;
}

absl::Status KafkaEventReader::Commit() {
  if (options_.group.empty()) {
    return absl::FailedPreconditionError("kafka commit: the reader has no consumer group");
  }
  std::unique_ptr<rd_kafka_topic_partition_list_t, internal::TopicPartitionListDeleter> list(
      rd_kafka_topic_partition_list_new(8));
  {
    common::MutexLock lock(&mu_);
    for (int32_t p : assignment_) {
      const int64_t next = position_.Next(p);
      if (next == KafkaPosition::kUnset) continue;
      rd_kafka_topic_partition_list_add(list.get(), options_.topic.c_str(), p)->offset = next;
    }
  }
  if (list->cnt == 0) return absl::OkStatus();
  if (rd_kafka_resp_err_t e = rd_kafka_commit(rk_, list.get(), 0);
      e != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return internal::KafkaError("kafka commit", e);
  }
  return absl::OkStatus();
}

absl::StatusOr<KafkaPosition> KafkaEventReader::EndPosition(int timeout_ms) {
  return Watermarks(/*high=*/true, timeout_ms);
}

absl::StatusOr<KafkaPosition> KafkaEventReader::StartPosition(int timeout_ms) {
  return Watermarks(/*high=*/false, timeout_ms);
}

absl::StatusOr<KafkaPosition> KafkaEventReader::Watermarks(bool high_side, int timeout_ms) {
  absl::StatusOr<int32_t> count = internal::TopicPartitionCount(rk_, options_.topic, timeout_ms);
  if (!count.ok()) return count.status();
  KafkaPosition end;
  end.next.assign(*count, 0);
  for (int32_t p = 0; p < *count; ++p) {
    int64_t low = 0, high = 0;
    if (rd_kafka_resp_err_t e = rd_kafka_query_watermark_offsets(rk_, options_.topic.c_str(), p,
                                                                 &low, &high, timeout_ms);
        e != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return internal::KafkaError(
          absl::StrCat(high_side ? "end" : "beginning", " of partition ", p), e);
    }
    end.next[p] = high_side ? high : low;
  }
  return end;
}

}  // namespace foryou::kafka
