// UploadFiles: the file layer under the upload store (LevelDB's Env, in small): writing a chunk
// at an offset durably, and removing a file. Tests put a failing layer under the store to see a
// full disk refused cleanly.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace foryou::uploads {

class UploadFiles {
 public:
  virtual ~UploadFiles() = default;
  // Makes the file at `path` exactly its first `offset` bytes followed by `data` (created if
  // missing), fsynced before OK. On error the file is cut back to `offset` bytes where possible.
  // Errors: InsufficientStorage (ENOSPC, EFBIG, EDQUOT), Unavailable (other I/O errors).
  [[nodiscard]] virtual absl::Status WriteAt(const std::string& path, uint64_t offset,
                                             std::string_view data) = 0;
  // Removes the file (OK if missing).
  [[nodiscard]] virtual absl::Status Remove(const std::string& path) = 0;
};

// The real file system (POSIX pwrite + fdatasync).
std::shared_ptr<UploadFiles> PosixUploadFiles();

}  // namespace foryou::uploads
