// UploadStore: resumable uploads of video files (docs/design/uploads.md). An upload is opened with
// its size and type, its bytes arrive as chunks at the offset the store already has, and each
// chunk is fsynced before it is acknowledged; a client that lost its connection asks for the
// offset and continues. Bytes live in <dir>/files/<id>; the records in a RocksDB at <dir>/db
// (docs/formats/uploads.md), every write synced. Uploads left open past their expiry are removed
// with their files by ExpireAbandoned.
//
// Thread-safety: every method may be called from any thread. Chunks of one upload are taken one at
// a time (a second concurrent chunk is a conflict); chunks of different uploads are written in
// parallel, each record update under one lock.
//
// Example:
//   FORYOU_ASSIGN_OR_RETURN(auto store, UploadStore::Open(dir, UploadLimits{}));
//   FORYOU_ASSIGN_OR_RETURN(Upload up, store->Create("alice", 1 << 20, "video/mp4", now));
//   FORYOU_ASSIGN_OR_RETURN(uint64_t received, store->Append(up.id, "alice", 0, bytes, now));
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/mutex.h"
#include "uploads/upload_files.h"

namespace rocksdb {
class DB;
}

namespace foryou::uploads {

struct UploadLimits {
  uint64_t max_bytes = 512ull << 20;       // one upload's size
  uint64_t max_chunk_bytes = 8ull << 20;   // one PUT's body
  int64_t expire_ms = 24ll * 3600 * 1000;  // an open upload untouched this long is removed
};

enum class UploadState : uint8_t {
  kOpen = 0,       // bytes still arriving
  kSubmitted = 1,  // completed: its video and job exist, the file belongs to the job
};
std::string_view UploadStateName(UploadState s);  // "open", "submitted"

struct Upload {
  std::string id;
  std::string owner;  // the catalog user who opened it
  std::string type;   // "video/mp4", ...
  uint64_t size = 0;
  uint64_t received = 0;
  UploadState state = UploadState::kOpen;
  int64_t created_ms = 0;
  int64_t updated_ms = 0;  // the last chunk (the expiry counts from it)
  std::string video;       // the video it became (submitted)
  bool complete() const { return received == size; }
};

class UploadStore {
 public:
  // Opens (creating) the store under `dir`. `files` null = the real file system.
  // Errors: Unavailable (RocksDB: already open, I/O), DataLoss (corrupt RocksDB).
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<UploadStore>> Open(
      const std::string& dir, UploadLimits limits, std::shared_ptr<UploadFiles> files = nullptr);
  ~UploadStore();

  // Opens an upload of `size` bytes (1..max_bytes) of `type` (video/<subtype>) for `owner`.
  // InvalidArgument naming the field, PayloadTooLarge (uploads::IsTooLarge) past max_bytes.
  [[nodiscard]] absl::StatusOr<Upload> Create(std::string_view owner, uint64_t size,
                                              std::string_view type, int64_t now_ms);
  // The upload, if `owner` owns it (NotFound otherwise: another user's upload does not exist).
  [[nodiscard]] absl::StatusOr<Upload> Get(std::string_view id, std::string_view owner) const;
  // Appends `data` at `offset` and returns the bytes received. `offset` must equal the bytes
  // the store has (Conflict carrying them otherwise, uploads::ConflictOffset); the chunk must be
  // 1..max_chunk_bytes and end within the size (InvalidArgument / PayloadTooLarge). The bytes are
  // fsynced before the record moves; a failed write (InsufficientStorage for a full disk,
  // Unavailable else) leaves the file and the record as they were.
  [[nodiscard]] absl::StatusOr<uint64_t> Append(std::string_view id, std::string_view owner,
                                                uint64_t offset, std::string_view data,
                                                int64_t now_ms);
  // Marks a complete upload submitted as video `video` (Conflict if bytes are missing or it was
  // already submitted).
  [[nodiscard]] absl::Status MarkSubmitted(std::string_view id, std::string_view owner,
                                           std::string_view video, int64_t now_ms);
  // Removes open uploads untouched for expire_ms, with their files; returns how many.
  [[nodiscard]] absl::StatusOr<int> ExpireAbandoned(int64_t now_ms);
  // The file holding upload `id`'s bytes.
  std::string FilePath(std::string_view id) const;
  const UploadLimits& limits() const { return limits_; }

 private:
  UploadStore(std::string dir, UploadLimits limits, std::shared_ptr<UploadFiles> files,
              std::unique_ptr<rocksdb::DB> db);
  absl::StatusOr<Upload> Read(std::string_view id) const;
  absl::Status Write(const Upload& up);

  const std::string dir_;
  const UploadLimits limits_;
  std::shared_ptr<UploadFiles> files_;
  std::unique_ptr<rocksdb::DB> db_;
  mutable common::Mutex mu_;  // record read-modify-writes
  absl::flat_hash_set<std::string> writing_ ABSL_GUARDED_BY(mu_);  // uploads with a chunk in flight
};

}  // namespace foryou::uploads
