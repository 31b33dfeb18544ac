// Internal to the catalog store: the by-original index (a video's duets and stitches,
// record_codec.h's kByOriginalPrefix) and its one-time build for stores written before it.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "catalog/types.h"

namespace rocksdb {
class DB;
}

namespace foryou::catalog {

// The distinct non-empty originals of `v` (its duet_of, its stitch_of): one index key each.
std::vector<const std::string*> Originals(const Video& v);

// Called by Open before the store is shared. Without kOriginalIndexKey (a store written before
// the index existed, or a new one) adds the index key of every video with an original and the
// marker, in one synced batch; with it, does nothing. A video record that does not decode is
// left out (reading it reports DataLoss, as before).
[[nodiscard]] absl::Status EnsureOriginalIndex(rocksdb::DB* db);

}  // namespace foryou::catalog
