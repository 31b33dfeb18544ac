// HOW IT WORKS
// Append keys every record by its user, hands the batch to librdkafka (which batches records of
// concurrent Appends per partition leader, retries with the idempotent producer's sequence
// numbers so a retry never duplicates, and reports each record's fate once) and waits on a
// per-call Batch until every record's delivery report arrived. The reports are served by one
// poller thread calling rd_kafka_poll. A report without error means the partition leader
// wrote the record and, with acks=all, every in-sync replica has it: only then does the record
// count as acknowledged. librdkafka reports every produced record exactly once, at the latest
// when delivery.timeout.ms has passed, so the wait is bounded.
#include "kafka/kafka_event_log.h"

#include <algorithm>
#include <chrono>

#include "absl/strings/str_cat.h"
#include "common/mutex.h"
#include "kafka/kafka_internal.h"
#include "stream/event.h"
#include "stream/user_deletion.h"

namespace foryou::kafka {

namespace {

// The records of one Append call waiting for their delivery reports.
struct Batch {
  struct Slot {
    Batch* batch;
    size_t index;
  };
  common::Mutex mu;
  common::CondVar done;
  size_t pending ABSL_GUARDED_BY(mu) = 0;
  rd_kafka_resp_err_t error ABSL_GUARDED_BY(mu) = RD_KAFKA_RESP_ERR_NO_ERROR;
  std::vector<KafkaOffset> offsets ABSL_GUARDED_BY(mu);
  std::vector<Slot> slots;  // one per record, addressed by the delivery report's opaque
};

// The delivery report of one record (poller thread).
void OnDelivery(rd_kafka_t*, const rd_kafka_message_t* m, void*) {
  auto* slot = static_cast<Batch::Slot*>(m->_private);
  Batch* b = slot->batch;
  common::MutexLock lock(&b->mu);
  if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    if (b->error == RD_KAFKA_RESP_ERR_NO_ERROR) b->error = m->err;
  } else {
    b->offsets[slot->index] = {m->partition, m->offset};
  }
  // Signalled under the lock: the waiter frees the batch as soon as it sees pending == 0.
  if (--b->pending == 0) b->done.SignalAll();
}

bool IsReservedKey(const std::string& key) {
  return key == "enable.idempotence" || key == "acks" || key == "request.required.acks" ||
         key == "partitioner" || key == "enable.gapless.guarantee" ||
         key == "delivery.timeout.ms" || key == "message.timeout.ms";
}

// Creates the topic; one created meanwhile by another client is fine.
absl::Status CreateTopic(rd_kafka_t* rk, const KafkaLogOptions& o) {
  char err[512];
  rd_kafka_NewTopic_t* nt = rd_kafka_NewTopic_new(o.topic.c_str(), o.partitions,
                                                  o.replication_factor, err, sizeof(err));
  if (nt == nullptr) return absl::InvalidArgumentError(absl::StrCat("kafka topic: ", err));
  for (const auto& [name, value] : o.topic_config) {
    if (rd_kafka_NewTopic_set_config(nt, name.c_str(), value.c_str()) !=
        RD_KAFKA_RESP_ERR_NO_ERROR) {
      rd_kafka_NewTopic_destroy(nt);
      return absl::InvalidArgumentError(absl::StrCat("kafka topic config ", name, "=", value));
    }
  }
  rd_kafka_queue_t* q = rd_kafka_queue_new(rk);
  rd_kafka_CreateTopics(rk, &nt, 1, nullptr, q);
  rd_kafka_NewTopic_destroy(nt);
  rd_kafka_event_t* ev = rd_kafka_queue_poll(q, static_cast<int>(o.delivery_timeout_ms));
  rd_kafka_queue_destroy(q);
  if (ev == nullptr) return absl::UnavailableError("kafka: no answer to CreateTopics");
  absl::Status s;
  rd_kafka_resp_err_t e = rd_kafka_event_error(ev);
  if (e == RD_KAFKA_RESP_ERR_NO_ERROR) {
    size_t n = 0;
    const rd_kafka_topic_result_t** tr =
        rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &n);
    if (n > 0) e = rd_kafka_topic_result_error(tr[0]);
  }
  if (e != RD_KAFKA_RESP_ERR_NO_ERROR && e != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
    s = internal::KafkaError(absl::StrCat("create topic ", o.topic), e);
  }
  rd_kafka_event_destroy(ev);
  return s;
}

}  // namespace

absl::StatusOr<std::string> RecordKey(std::string_view record) {
  std::string user;
  if (stream::IsUserDeletionRecord(record)) {
    absl::StatusOr<stream::UserDeletion> d = stream::DecodeUserDeletion(record);
    if (!d.ok()) return absl::InvalidArgumentError(d.status().message());
    user = std::move(d->user);
  } else {
    absl::StatusOr<stream::Event> e = stream::DecodeEvent(record);
    if (!e.ok()) return absl::InvalidArgumentError(e.status().message());
    user = std::move(e->user);
  }
  if (size_t hash = user.find('#'); hash != std::string::npos && hash > 0) user.resize(hash);
  return user;
}

KafkaEventLog::KafkaEventLog(KafkaLogOptions options) : options_(std::move(options)) {}

absl::StatusOr<std::unique_ptr<KafkaEventLog>> KafkaEventLog::Open(KafkaLogOptions options) {
  if (options.bootstrap.empty()) return absl::InvalidArgumentError("bootstrap: required");
  if (options.topic.empty()) return absl::InvalidArgumentError("topic: required");
  if (options.partitions < 1) return absl::InvalidArgumentError("partitions: must be >= 1");
  if (options.replication_factor < 1) {
    return absl::InvalidArgumentError("replication_factor: must be >= 1");
  }
  if (options.delivery_timeout_ms < 1000) {
    return absl::InvalidArgumentError("delivery_timeout_ms: must be >= 1000");
  }
  if (options.max_record_bytes < 1 || options.max_record_bytes > (64u << 20)) {
    return absl::InvalidArgumentError("max_record_bytes: must be 1..64 MiB");
  }
  for (const auto& [key, value] : options.config) {
    if (IsReservedKey(key)) {
      return absl::InvalidArgumentError(
          absl::StrCat("config: ", key, " is set by KafkaEventLog (its guarantees rest on it)"));
    }
  }
  std::unique_ptr<KafkaEventLog> log(new KafkaEventLog(std::move(options)));
  const KafkaLogOptions& o = log->options_;
  const internal::Config base = {
      {"bootstrap.servers", o.bootstrap},
      {"enable.idempotence", "true"},  // no duplicate or reordering from retries; implies acks
      {"acks", "all"},
      {"delivery.timeout.ms", absl::StrCat(o.delivery_timeout_ms)},
      // The Java client's default partitioner: a user maps to the same partition from any client.
      {"partitioner", "murmur2_random"},
      {"message.max.bytes", absl::StrCat(std::max<uint64_t>(1000000, o.max_record_bytes + 4096))},
      {"linger.ms", "2"},
      {"reconnect.backoff.max.ms", "1000"},  // a broker back is used within a second
  };
  absl::StatusOr<rd_kafka_conf_t*> conf = internal::MakeConf(base, o.config);
  if (!conf.ok()) return conf.status();
  rd_kafka_conf_set_dr_msg_cb(*conf, &OnDelivery);
  absl::StatusOr<rd_kafka_t*> rk = internal::MakeHandle(RD_KAFKA_PRODUCER, *conf);
  if (!rk.ok()) return rk.status();
  log->rk_ = *rk;
  log->poller_ = std::thread([l = log.get()] { l->PollLoop(); });

  // An existing topic keeps its partitions; a missing one is created. The topic may take a
  // moment to appear in every broker's metadata after its creation.
  absl::StatusOr<int32_t> count = internal::TopicPartitionCount(
      log->rk_, o.topic, static_cast<int>(std::min<int64_t>(o.delivery_timeout_ms, 5000)));
  if (absl::IsNotFound(count.status())) {
    if (absl::Status s = CreateTopic(log->rk_, o); !s.ok()) return s;
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(o.delivery_timeout_ms);
    do {
      count = internal::TopicPartitionCount(log->rk_, o.topic, 1000);
    } while (absl::IsNotFound(count.status()) && std::chrono::steady_clock::now() < deadline);
  }
  if (!count.ok()) return count.status();
  log->partitions_ = *count;
  return log;
}

KafkaEventLog::~KafkaEventLog() {
  if (rk_ != nullptr) {
    rd_kafka_flush(rk_, static_cast<int>(options_.delivery_timeout_ms));
  }
  stop_ = true;
  if (poller_.joinable()) poller_.join();
  if (rk_ != nullptr) rd_kafka_destroy(rk_);
}

void KafkaEventLog::PollLoop() {
  while (!stop_.load(std::memory_order_relaxed)) rd_kafka_poll(rk_, 50);
}

KafkaLogStats KafkaEventLog::stats() const {
  return {appends_.load(), records_.load(), failed_appends_.load()};
}

absl::StatusOr<std::vector<KafkaOffset>> KafkaEventLog::Append(
    absl::Span<const std::string_view> records) {
  if (records.empty()) return absl::InvalidArgumentError("records: empty batch");
  std::vector<std::string> keys(records.size());
  for (size_t i = 0; i < records.size(); ++i) {
    if (records[i].empty()) {
      return absl::InvalidArgumentError(absl::StrCat("record ", i, ": empty"));
    }
    if (records[i].size() > options_.max_record_bytes) {
      return absl::InvalidArgumentError(absl::StrCat("record ", i, ": ", records[i].size(),
                                                     " bytes is over the limit of ",
                                                     options_.max_record_bytes));
    }
    if (!options_.keyed_by_user) continue;
    absl::StatusOr<std::string> key = RecordKey(records[i]);
    if (!key.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("record ", i, ": ", key.status().message()));
    }
    keys[i] = std::move(*key);
  }
  return ProduceAndWait(records, keys,
                        options_.keyed_by_user ? RD_KAFKA_PARTITION_UA : int32_t{0});
}

absl::StatusOr<std::vector<KafkaOffset>> KafkaEventLog::AppendKeyed(
    absl::Span<const KeyedRecord> records) {
  if (options_.keyed_by_user) {
    return absl::FailedPreconditionError("AppendKeyed: the log is keyed by user");
  }
  if (records.empty()) return absl::InvalidArgumentError("records: empty batch");
  std::vector<std::string> keys(records.size());
  std::vector<std::string_view> values(records.size());
  for (size_t i = 0; i < records.size(); ++i) {
    if (records[i].key.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("record ", i, ": empty key"));
    }
    if (records[i].value.size() > options_.max_record_bytes) {
      return absl::InvalidArgumentError(absl::StrCat("record ", i, ": ", records[i].value.size(),
                                                     " bytes is over the limit of ",
                                                     options_.max_record_bytes));
    }
    keys[i] = std::string(records[i].key);
    values[i] = records[i].value;
  }
  return ProduceAndWait(values, keys, 0);
}

absl::StatusOr<std::vector<KafkaOffset>> KafkaEventLog::ProduceAndWait(
    absl::Span<const std::string_view> records, const std::vector<std::string>& keys,
    int32_t partition) {
  Batch batch;
  batch.slots.resize(records.size());
  {
    common::MutexLock lock(&batch.mu);
    batch.offsets.resize(records.size());
  }
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::milliseconds(options_.delivery_timeout_ms);
  rd_kafka_resp_err_t produce_error = RD_KAFKA_RESP_ERR_NO_ERROR;
  for (size_t i = 0; i < records.size(); ++i) {
    batch.slots[i] = {&batch, i};
    {
      common::MutexLock lock(&batch.mu);
      ++batch.pending;  // before producev: the report may come before it returns
    }
    rd_kafka_resp_err_t e;
    while (true) {
      e = rd_kafka_producev(
          rk_, RD_KAFKA_V_TOPIC(options_.topic.c_str()), RD_KAFKA_V_PARTITION(partition),
          RD_KAFKA_V_KEY(keys[i].empty() ? nullptr : keys[i].data(), keys[i].size()),
          RD_KAFKA_V_VALUE(const_cast<char*>(records[i].data()), records[i].size()),
          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_OPAQUE(&batch.slots[i]),
          RD_KAFKA_V_END);
      // A full local queue drains as Kafka acknowledges: wait for room, up to the deadline.
      if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL || std::chrono::steady_clock::now() > deadline) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
      produce_error = e;
      common::MutexLock lock(&batch.mu);
      --batch.pending;
      break;
    }
  }
  rd_kafka_resp_err_t error;
  {
    common::MutexLock lock(&batch.mu);
    while (batch.pending > 0) batch.done.Wait(&batch.mu);
    error = produce_error != RD_KAFKA_RESP_ERR_NO_ERROR ? produce_error : batch.error;
  }
  if (error != RD_KAFKA_RESP_ERR_NO_ERROR) {
    ++failed_appends_;
    return internal::KafkaError(
        absl::StrCat("kafka did not acknowledge the batch of ", records.size(),
                     " records (nothing of it is acknowledged; retry)"),
        error);
  }
  ++appends_;
  records_ += records.size();
  common::MutexLock lock(&batch.mu);
  return std::move(batch.offsets);
}

}  // namespace foryou::kafka
