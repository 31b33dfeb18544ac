// The deletion marker record: encoding and decoding (docs/formats/events.md, "Deletion marker").
#include "stream/user_deletion.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "stream/event.h"
#include "stream/varint.h"

namespace foryou::stream {
namespace {

// Minimal LEB128 of at most 10 bytes; false if truncated, overlong or over 64 bits.
bool GetVarint(std::string_view in, size_t* pos, uint64_t* v) {
  *v = 0;
  for (int shift = 0; shift < 70; shift += 7) {
    if (*pos >= in.size()) return false;
    const uint8_t b = static_cast<uint8_t>(in[(*pos)++]);
    if (shift == 63 && b > 1) return false;
    *v |= static_cast<uint64_t>(b & 0x7F) << shift;
    if ((b & 0x80) == 0) return b != 0 || shift == 0;
  }
  return false;
}

absl::Status Bad(const std::string& why) {
  return absl::DataLossError(absl::StrCat("deletion record: ", why));
}

}  // namespace

std::vector<std::string> UserDeletion::ModelIdentities() const {
  std::vector<std::string> ids = {user};
  for (uint32_t e = 1; e <= epochs; ++e) ids.push_back(absl::StrCat(user, "#", e));
  return ids;
}

bool UserDeletion::Covers(std::string_view logged) const {
  return logged == user || (logged.size() > user.size() && logged.starts_with(user) &&
                            logged[user.size()] == '#');
}

void EncodeUserDeletion(const UserDeletion& d, std::string* out) {
  out->push_back(static_cast<char>(kUserDeletionKind));
  PutVarint(d.epochs, out);
  // zigzag, as the event record's integers
  PutVarint((static_cast<uint64_t>(d.time_ms) << 1) ^ static_cast<uint64_t>(d.time_ms >> 63), out);
  out->append(d.user);
}

bool IsUserDeletionRecord(std::string_view record) {
  return !record.empty() && static_cast<uint8_t>(record[0]) == kUserDeletionKind;
}

absl::StatusOr<UserDeletion> DecodeUserDeletion(std::string_view record) {
  if (!IsUserDeletionRecord(record)) return Bad("not a deletion marker");
  size_t pos = 1;
  uint64_t epochs = 0, zz = 0;
  if (!GetVarint(record, &pos, &epochs)) return Bad("'epochs' truncated or overlong");
  if (epochs > UINT32_MAX) return Bad(absl::StrCat("'epochs' value ", epochs, " out of range"));
  if (!GetVarint(record, &pos, &zz)) return Bad("'time_ms' truncated or overlong");
  UserDeletion d;
  d.epochs = static_cast<uint32_t>(epochs);
  d.time_ms = static_cast<int64_t>(zz >> 1) ^ -static_cast<int64_t>(zz & 1);
  d.user.assign(record.substr(pos));
  if (d.user.empty() || d.user.size() > kMaxIdBytes) {
    return Bad(absl::StrCat("'user' must be 1..", kMaxIdBytes, " bytes, got ", d.user.size()));
  }
  for (size_t i = 0; i < d.user.size(); ++i) {
    const uint8_t c = static_cast<uint8_t>(d.user[i]);
    if (c < 0x21 || c > 0x7E) return Bad(absl::StrCat("'user' byte ", i, " is not an id character"));
  }
  return d;
}

}  // namespace foryou::stream
