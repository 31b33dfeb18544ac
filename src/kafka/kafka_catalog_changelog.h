// KafkaCatalogChangelog: the catalog's changelog on a compacted Kafka topic of one partition.
// Every write of the attached store is produced (idempotent producer, acks=all) as the
// messages of catalog/changelog.h before the store commits it; a thread reads the topic and
// applies every write, its own included, to the store (catalog::ChangelogApplier). Design:
// docs/design/kafka_roles.md, "The catalog"; bytes: docs/formats/catalog_changelog.md.
//
// Example:
//   CatalogChangelogOptions options;
//   options.bootstrap = "kafka-1:9092";
//   FORYOU_ASSIGN_OR_RETURN(auto changelog, KafkaCatalogChangelog::Open(options));
//   FORYOU_RETURN_IF_ERROR(changelog->Attach(store));  // caught up with the topic
//   changelog->Follow();                                // then live
//   FORYOU_RETURN_IF_ERROR(store->PutVideo(v));         // acknowledged by Kafka, then stored
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "catalog/changelog.h"
#include "common/mutex.h"
#include "kafka/kafka_event_log.h"
#include "kafka/kafka_event_reader.h"

namespace foryou::kafka {

struct CatalogChangelogOptions {
  std::string bootstrap;                  // bootstrap.servers; required
  std::string topic = "foryou-catalog";  // created (compacted, one partition) when missing
  int16_t replication_factor = 3;        // of a topic Open creates (the mock: at most its brokers)
  // How long a catalog write waits for Kafka's acknowledgement before it is refused
  // (Unavailable). At least 1000.
  int64_t delivery_timeout_ms = 10000;
  // Further librdkafka properties of the reader (e.g. fetch.wait.max.ms).
  std::vector<std::pair<std::string, std::string>> reader_config;
};

class KafkaCatalogChangelog : public catalog::CatalogChangelog, public catalog::ChangelogWriter {
 public:
  // Connects and creates the topic if missing. InvalidArgument for bad options; Unavailable
  // when no broker answers.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<KafkaCatalogChangelog>> Open(
      CatalogChangelogOptions options);
  ~KafkaCatalogChangelog() override;  // Stop()

  // catalog::CatalogChangelog. Attach errors: Unavailable (Kafka), FailedPrecondition when the
  // store's saved position is past the topic's end (the store followed another topic), the
  // store's errors.
  [[nodiscard]] absl::Status Attach(catalog::CatalogStore* store) override;
  void Follow() override;
  void Stop() override;
  Health health() const override;

  // catalog::ChangelogWriter: one transaction (catalog::EncodeChangelogTransaction) under this
  // process's origin id and the next sequence number.
  [[nodiscard]] absl::Status Append(const std::vector<catalog::ChangelogRecord>& records) override;

 private:
  explicit KafkaCatalogChangelog(CatalogChangelogOptions options, uint64_t origin)
      : options_(std::move(options)), origin_(origin) {}
  // (Re)opens the applier at the store's saved position and a reader there.
  absl::Status OpenReader() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Reads and applies what Poll returns within `timeout_ms`.
  absl::Status PollOnce(int timeout_ms) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void NoteHealth(const absl::Status& s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void FollowLoop();

  const CatalogChangelogOptions options_;
  const uint64_t origin_;  // random per process: the writer's id in commit keys
  std::unique_ptr<KafkaEventLog> log_;
  std::atomic<uint64_t> seq_{0};

  // The read side: one thread at a time (Attach, then the follower).
  mutable common::Mutex mu_;
  catalog::CatalogStore* store_ ABSL_GUARDED_BY(mu_) = nullptr;
  std::unique_ptr<KafkaEventReader> reader_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<catalog::ChangelogApplier> applier_ ABSL_GUARDED_BY(mu_);
  std::vector<KafkaRecord> batch_ ABSL_GUARDED_BY(mu_);
  // A copy for health(), which must not wait for a poll.
  mutable common::Mutex health_mu_;
  Health health_ ABSL_GUARDED_BY(health_mu_);

  std::atomic<bool> stop_{false};
  std::thread follower_;
};

}  // namespace foryou::kafka
