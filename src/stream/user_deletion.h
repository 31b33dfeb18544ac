// The deletion marker: the log record that `DELETE /v1/me` appends so that every consumer which
// replays the log (the trainer, the feed's start-up replay, the export) drops the deleted user's
// earlier events. It is not an event (clients cannot send it) and DecodeEvent refuses it, so a
// reader that does not know it skips it as an undecodable record. Bytes:
// docs/formats/events.md, "Deletion marker".
//
// Example:
//   std::string record;
//   EncodeUserDeletion({.user = "u42", .epochs = 2, .time_ms = now}, &record);
//   log->Append({record});
//   ...
//   if (IsUserDeletionRecord(payload)) {
//     UserDeletion d = DecodeUserDeletion(payload).value();
//     if (d.Covers(event.user)) ...  // "u42", "u42#1", "u42#2" ...
//   }
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace foryou::stream {

// The first byte of a deletion marker (an event record starts with its format version, 1).
inline constexpr unsigned char kUserDeletionKind = 0xD1;

struct UserDeletion {
  std::string user;     // the application's id, 1..128 bytes of 0x21..0x7E
  uint32_t epochs = 0;  // the user's refreshes before the deletion (model identities "<id>#<n>")
  int64_t time_ms = 0;  // when the deletion was made (server clock)

  // The model's identities of the user: "<id>", then "<id>#1" .. "<id>#<epochs>".
  std::vector<std::string> ModelIdentities() const;
  // True if a logged user id is this user: the id itself or "<id>#<anything>" (a model identity
  // written after a refresh).
  bool Covers(std::string_view logged) const;
};

// Appends the record of `d` to `*out`. `d.user` must be a valid id (checked by the caller).
void EncodeUserDeletion(const UserDeletion& d, std::string* out);
// True if `record` is a deletion marker (its first byte), valid or not.
bool IsUserDeletionRecord(std::string_view record);
// Decodes a whole record. DataLoss (message starting "deletion record: ") for a record that is
// not a deletion marker, is truncated, has trailing bytes, or names an invalid id.
absl::StatusOr<UserDeletion> DecodeUserDeletion(std::string_view record);

}  // namespace foryou::stream
