// KafkaPosition: a consumer's place in the partitioned event topic, the offset of the next record
// to read in each partition. Kafka orders records within a partition only, so this vector takes
// the place of the file log's single offset: a consumer keeps it in its snapshot and resumes
// from it (docs/design/kafka.md, "Offsets"). Bytes: docs/formats/kafka_events.md.
//
// Example:
//   std::string bytes = EncodeKafkaPosition(reader->position());  // into the snapshot
//   FORYOU_ASSIGN_OR_RETURN(KafkaPosition from, DecodeKafkaPosition(bytes));
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace foryou::kafka {

struct KafkaPosition {
  static constexpr int64_t kUnset = -1;  // nothing read yet: start at the partition's beginning
  std::vector<int64_t> next;             // indexed by partition number; >= 0 or kUnset

  // The next offset of `partition` (kUnset beyond the vector).
  int64_t Next(int32_t partition) const {
    return partition >= 0 && static_cast<size_t>(partition) < next.size() ? next[partition]
                                                                          : kUnset;
  }
  // Sets it, growing the vector with kUnset as needed.
  void Set(int32_t partition, int64_t offset);
  // True if every partition's next offset is at least `other`'s (kUnset counts as 0).
  bool Covers(const KafkaPosition& other) const;

  friend bool operator==(const KafkaPosition&, const KafkaPosition&) = default;
};

// Version byte 1, u32 partition count, then each next offset as an i64, little-endian.
std::string EncodeKafkaPosition(const KafkaPosition& p);
// DataLoss ("kafka position: ...") for a wrong version, a size that does not match the count, a
// count over 100000 or an offset below kUnset.
[[nodiscard]] absl::StatusOr<KafkaPosition> DecodeKafkaPosition(std::string_view bytes);

}  // namespace foryou::kafka
