// KafkaCatalogChangelog (see the header).
//
// Why one partition: a replica must apply the writes in one order that every replica shares,
// and one partition is Kafka's only total order. Why compaction: the topic is the catalog's
// history, read whole by every new replica; compaction keeps the newest value of each record
// key, and the commit messages, whose keys are unique, stay. Deletions are explicit records
// (type 'D'), not tombstones: Kafka drops a tombstone after delete.retention.ms, and a replica
// that resumes from an older position would then never see the deletion.
#include "kafka/kafka_catalog_changelog.h"

#include <chrono>
#include <random>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "kafka/kafka_position.h"

namespace foryou::kafka {

absl::StatusOr<std::unique_ptr<KafkaCatalogChangelog>> KafkaCatalogChangelog::Open(
    CatalogChangelogOptions options) {
  if (options.bootstrap.empty()) return absl::InvalidArgumentError("bootstrap: required");
  if (options.topic.empty()) return absl::InvalidArgumentError("topic: required");
  KafkaLogOptions log;
  log.bootstrap = options.bootstrap;
  log.topic = options.topic;
  log.partitions = 1;
  log.replication_factor = options.replication_factor;
  log.delivery_timeout_ms = options.delivery_timeout_ms;
  log.keyed_by_user = false;
  log.topic_config = {{"cleanup.policy", "compact"}};
  std::random_device rd;
  const uint64_t origin = ((static_cast<uint64_t>(rd()) << 32) ^ rd()) | 1;  // never 0
  std::unique_ptr<KafkaCatalogChangelog> c(new KafkaCatalogChangelog(std::move(options), origin));
  FORYOU_ASSIGN_OR_RETURN(c->log_, KafkaEventLog::Open(std::move(log)));
  return c;
}

KafkaCatalogChangelog::~KafkaCatalogChangelog() { Stop(); }

absl::Status KafkaCatalogChangelog::Append(const std::vector<catalog::ChangelogRecord>& records) {
  if (records.empty()) return absl::OkStatus();
  const std::vector<catalog::ChangelogMessage> messages =
      catalog::EncodeChangelogTransaction(origin_, ++seq_, records);
  std::vector<KafkaEventLog::KeyedRecord> keyed;
  keyed.reserve(messages.size());
  for (const catalog::ChangelogMessage& m : messages) keyed.push_back({m.key, m.value});
  absl::StatusOr<std::vector<KafkaOffset>> acked = log_->AppendKeyed(keyed);
  if (!acked.ok()) {
    return absl::Status(acked.status().code(),
                        absl::StrCat("catalog changelog: ", acked.status().message()));
  }
  return absl::OkStatus();
}

absl::Status KafkaCatalogChangelog::OpenReader() {
  reader_.reset();
  FORYOU_ASSIGN_OR_RETURN(applier_, catalog::ChangelogApplier::Open(store_, origin_));
  KafkaReaderOptions reader;
  reader.bootstrap = options_.bootstrap;
  reader.topic = options_.topic;
  reader.config = options_.reader_config;
  KafkaPosition from;
  from.Set(0, applier_->resume_offset());
  FORYOU_ASSIGN_OR_RETURN(reader_, KafkaEventReader::Open(reader, from));
  return absl::OkStatus();
}

absl::Status KafkaCatalogChangelog::PollOnce(int timeout_ms) {
  absl::Status s = reader_->Poll(1000, timeout_ms, &batch_);
  // Records returned before an error are applied: the reader's position has moved past them.
  for (const KafkaRecord& r : batch_) {
    FORYOU_RETURN_IF_ERROR(
        applier_->Add({.offset = r.offset, .key = r.key, .value = r.payload}));
  }
  return s;
}

void KafkaCatalogChangelog::NoteHealth(const absl::Status& s) {
  Health h;
  if (applier_ != nullptr) {
    h.next_offset = applier_->next_offset();
    h.applier = applier_->stats();
  }
  if (!s.ok()) h.error = s.ToString();
  common::MutexLock lock(&health_mu_);
  health_ = std::move(h);
}

absl::Status KafkaCatalogChangelog::Attach(catalog::CatalogStore* store) {
  common::MutexLock lock(&mu_);
  store_ = store;
  FORYOU_RETURN_IF_ERROR(OpenReader());
  FORYOU_ASSIGN_OR_RETURN(KafkaPosition end,
                          reader_->EndPosition(static_cast<int>(options_.delivery_timeout_ms)));
  const int64_t end_offset = end.Next(0) == KafkaPosition::kUnset ? 0 : end.Next(0);
  if (applier_->resume_offset() > end_offset) {
    return absl::FailedPreconditionError(absl::StrCat(
        "catalog ", store->dir(), " has applied the changelog topic ", options_.topic,
        " up to offset ", applier_->resume_offset(), " but the topic ends at ", end_offset,
        ": it followed another cluster's topic (start it with an empty catalog)"));
  }
  // Bounded: a topic that stops answering fails the start instead of hanging it.
  auto last_progress = std::chrono::steady_clock::now();
  while (applier_->next_offset() < end_offset) {
    const int64_t before = applier_->next_offset();
    absl::Status s = PollOnce(100);
    if (s.ok() && applier_->next_offset() == before &&
        std::chrono::steady_clock::now() - last_progress >
            std::chrono::milliseconds(options_.delivery_timeout_ms)) {
      s = absl::UnavailableError(absl::StrCat("catalog changelog ", options_.topic,
                                              ": no record read for ",
                                              options_.delivery_timeout_ms, " ms at offset ",
                                              before, " of ", end_offset));
    }
    if (!s.ok()) {
      NoteHealth(s);
      return s;
    }
    if (applier_->next_offset() != before) last_progress = std::chrono::steady_clock::now();
  }
  NoteHealth(absl::OkStatus());
  store_->SetChangelog(this);
  return absl::OkStatus();
}

void KafkaCatalogChangelog::Follow() {
  if (follower_.joinable()) return;
  follower_ = std::thread([this] { FollowLoop(); });
}

void KafkaCatalogChangelog::FollowLoop() {
  common::MutexLock lock(&mu_);
  while (!stop_.load()) {
    absl::Status s = reader_ != nullptr ? PollOnce(100) : OpenReader();
    NoteHealth(s);
    if (s.ok()) continue;
    // A store or Kafka failure: start again from what the store saved, after a pause (Stop is
    // noticed within 100 ms).
    reader_.reset();
    for (int i = 0; i < 5 && !stop_.load(); ++i) {
      lock.Unlock();
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      lock.Lock();
    }
  }
}

void KafkaCatalogChangelog::Stop() {
  stop_ = true;
  if (follower_.joinable()) follower_.join();
  common::MutexLock lock(&mu_);
  if (store_ != nullptr) store_->SetChangelog(nullptr);
  store_ = nullptr;
  reader_.reset();
}

KafkaCatalogChangelog::Health KafkaCatalogChangelog::health() const {
  common::MutexLock lock(&health_mu_);
  return health_;
}

}  // namespace foryou::kafka
