// The catalog's changelog: how a write becomes messages of a compacted topic, and how a replica
// turns the messages back into writes. Pure logic over offsets and bytes (the Kafka side is
// kafka/kafka_catalog_changelog.h). Bytes: docs/formats/catalog_changelog.md; design:
// docs/design/catalog.md, "Replication".
//
// A write of n records is n+1 messages: one per record, keyed by its store key (compaction keeps
// the newest value of each record), then a commit message keyed by the transaction's unique id
// (never compacted away). A replica applies a transaction's records when it reads its commit,
// all in one RocksDB batch, so it never applies half of one; records whose commit never came
// (the writer's Append failed) are never applied.
//
// Example:
//   FORYOU_ASSIGN_OR_RETURN(auto applier, ChangelogApplier::Open(store));
//   reader = OpenReaderAt(applier->resume_offset());
//   for (const ChangelogMessage& m : Poll(reader)) FORYOU_RETURN_IF_ERROR(applier->Add(m));
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "catalog/catalog_store.h"
#include "catalog/changelog_record.h"

namespace foryou::catalog {

inline constexpr uint8_t kChangelogVersion = 1;

// One message as produced or read: `offset` is set by the reader (its place in the topic).
struct ChangelogMessage {
  int64_t offset = -1;
  std::string key;
  std::string value;
};

// The messages of the write `seq` (>= 1, increasing per origin) of the writer `origin`: one per
// record, in order, then the commit. `records` must not be empty.
std::vector<ChangelogMessage> EncodeChangelogTransaction(uint64_t origin, uint64_t seq,
                                                         const std::vector<ChangelogRecord>& records);

struct DecodedChangelogMessage {
  bool commit = false;
  uint64_t origin = 0, seq = 0;
  uint32_t count = 0;      // a commit: how many records the write had
  ChangelogRecord record;  // a record message
};
// InvalidArgument for a message that is not exactly one of the layout's.
[[nodiscard]] absl::StatusOr<DecodedChangelogMessage> DecodeChangelogMessage(std::string_view key,
                                                                             std::string_view value);

// What a replica stored with its last applied write: read again from `resume` (records of
// writes not yet committed start there), and every commit before `next` is already applied.
struct ChangelogPosition {
  int64_t resume = 0;
  int64_t next = 0;
  friend bool operator==(const ChangelogPosition&, const ChangelogPosition&) = default;
};
std::string EncodeChangelogPosition(const ChangelogPosition& p);
// "" is the topic's start; DataLoss for other bytes that do not decode.
[[nodiscard]] absl::StatusOr<ChangelogPosition> DecodeChangelogPosition(std::string_view bytes);

struct ChangelogApplierStats {
  uint64_t transactions = 0;  // commits that changed the store
  uint64_t records = 0;       // records that changed the store
  uint64_t unchanged = 0;     // commits that changed nothing (already there, or the store's own)
  uint64_t skipped = 0;       // messages or writes that did not decode (left out, counted)
};

// Feeds the messages of the changelog, in offset order, into one store. Not thread-safe (one
// reader thread). The store must outlive it.
class ChangelogApplier {
 public:
  // Reads the store's saved position. DataLoss if it does not decode. `own_origin` (0: none) is
  // the origin id under which `store` writes to the changelog: those writes are in the store
  // already, and applying one when it comes back could undo a later write the store made
  // meanwhile, so their commits only move the position.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<ChangelogApplier>> Open(
      CatalogStore* store, uint64_t own_origin = 0);

  // Where the reader must start: the saved position's `resume`.
  int64_t resume_offset() const { return saved_.resume; }
  // The offset after the last message handled.
  int64_t next_offset() const { return next_; }

  // Handles the message at m.offset (>= every offset handled before). A commit applies its
  // transaction's records (CatalogStore::ApplyChangelog, with the new position); a record is
  // kept until its commit. A message that does not decode, or a transaction the store refuses
  // as malformed, is skipped and counted. Errors: the store's (Unavailable: nothing applied;
  // reopen from the saved position).
  [[nodiscard]] absl::Status Add(const ChangelogMessage& m);

  const ChangelogApplierStats& stats() const { return stats_; }

 private:
  struct Pending {
    uint64_t seq = 0;
    int64_t first_offset = 0;
    std::vector<ChangelogRecord> records;
  };
  ChangelogApplier(CatalogStore* store, ChangelogPosition saved, uint64_t own_origin)
      : store_(store), own_origin_(own_origin), saved_(saved), next_(saved.resume) {}

  CatalogStore* const store_;
  const uint64_t own_origin_;
  ChangelogPosition saved_;
  int64_t next_;
  // Per writer, the records of its write in progress; a writer's later write replaces it (a
  // write's records without its commit were refused to the writer's client).
  absl::flat_hash_map<uint64_t, Pending> pending_;
  ChangelogApplierStats stats_;
};

// A store's replication through a changelog (the Kafka one: kafka/kafka_catalog_changelog.h),
// as the server drives it. Thread-safe.
class CatalogChangelog {
 public:
  struct Health {
    int64_t next_offset = 0;  // after the last message applied
    ChangelogApplierStats applier;
    std::string error;  // the last failure of the follower ("" while none), retried
  };
  virtual ~CatalogChangelog() = default;
  // Applies the topic up to its end as of the call to `store` (the writes of others since the
  // store last followed it), then hands `store`'s own writes to the changelog
  // (CatalogStore::SetChangelog). `store` must outlive Stop().
  [[nodiscard]] virtual absl::Status Attach(CatalogStore* store) = 0;
  // Applies every later message on a thread of its own, as it arrives, until Stop.
  virtual void Follow() = 0;
  // Stops following and detaches the store (its writes are no longer replicated). Idempotent.
  virtual void Stop() = 0;
  virtual Health health() const = 0;
};

}  // namespace foryou::catalog
