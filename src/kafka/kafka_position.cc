// The consumer position and its bytes in a snapshot.
#include "kafka/kafka_position.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace foryou::kafka {

namespace {
constexpr uint8_t kPositionVersion = 1;
constexpr uint32_t kMaxPartitions = 100000;

void PutLe(uint64_t v, int bytes, std::string* out) {
  for (int i = 0; i < bytes; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
uint64_t GetLe(const char* p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= static_cast<uint64_t>(static_cast<uint8_t>(p[i])) << (8 * i);
  return v;
}
}  // namespace

void KafkaPosition::Set(int32_t partition, int64_t offset) {
  if (static_cast<size_t>(partition) >= next.size()) next.resize(partition + 1, kUnset);
  next[partition] = offset;
}

bool KafkaPosition::Covers(const KafkaPosition& other) const {
  for (size_t p = 0; p < other.next.size(); ++p) {
    const int64_t mine = std::max<int64_t>(0, Next(static_cast<int32_t>(p)));
    if (mine < std::max<int64_t>(0, other.next[p])) return false;
  }
  return true;
}

std::string EncodeKafkaPosition(const KafkaPosition& p) {
  std::string out;
  out.push_back(static_cast<char>(kPositionVersion));
  PutLe(p.next.size(), 4, &out);
  for (int64_t v : p.next) PutLe(static_cast<uint64_t>(v), 8, &out);
  return out;
}

absl::StatusOr<KafkaPosition> DecodeKafkaPosition(std::string_view bytes) {
  if (bytes.size() < 5) {
    return absl::DataLossError(absl::StrCat("kafka position: ", bytes.size(), " bytes; at least 5"));
  }
  if (static_cast<uint8_t>(bytes[0]) != kPositionVersion) {
    return absl::DataLossError(absl::StrCat("kafka position: unknown version ",
                                            static_cast<int>(static_cast<uint8_t>(bytes[0]))));
  }
  const uint64_t count = GetLe(bytes.data() + 1, 4);
  if (count > kMaxPartitions) {
    return absl::DataLossError(absl::StrCat("kafka position: ", count, " partitions; at most ",
                                            kMaxPartitions));
  }
  if (bytes.size() != 5 + 8 * count) {
    return absl::DataLossError(absl::StrCat("kafka position: ", bytes.size(), " bytes for ", count,
                                            " partitions; expected ", 5 + 8 * count));
  }
  KafkaPosition p;
  p.next.resize(count);
  for (uint64_t i = 0; i < count; ++i) {
    p.next[i] = static_cast<int64_t>(GetLe(bytes.data() + 5 + 8 * i, 8));
    if (p.next[i] < KafkaPosition::kUnset) {
      return absl::DataLossError(
          absl::StrCat("kafka position: partition ", i, " has offset ", p.next[i]));
    }
  }
  return p;
}

}  // namespace foryou::kafka
