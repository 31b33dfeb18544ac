// What a committed catalog write hands to a replication log (docs/design/catalog.md,
// "Replication"; bytes on the topic: docs/formats/catalog_changelog.md): the primary records
// the write put or deleted, each under its store key, and the interface the log implements.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"

namespace foryou::catalog {

// One record of a write: `key` is the store key ("u/ID", "v/ID", "c/ID", "s/ID", "g/NAME"),
// `value` its encoding (docs/formats/catalog.md), empty when `deleted`. Derived rows (hashtag
// counts, index keys) are never sent: a replica derives them as the writer did.
struct ChangelogRecord {
  std::string key;
  std::string value;
  bool deleted = false;
  friend bool operator==(const ChangelogRecord&, const ChangelogRecord&) = default;
};

// Where a store sends its writes before committing them (CatalogStore::SetChangelog).
class ChangelogWriter {
 public:
  virtual ~ChangelogWriter() = default;
  // Makes the records of one write durable in the log as one transaction (a replica applies all
  // of them or none), in order. Called under the store's write lock, one call at a time per
  // store. OK only once the log acknowledged every record; an error (Unavailable: retry) means
  // the write is refused: the store writes nothing and returns the error to its caller.
  [[nodiscard]] virtual absl::Status Append(const std::vector<ChangelogRecord>& records) = 0;
};

}  // namespace foryou::catalog
