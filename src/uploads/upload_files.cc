// The POSIX file layer of the upload store (upload_files.h).
#include "uploads/upload_files.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstring>

#include "absl/strings/str_cat.h"
#include "uploads/errors.h"

namespace foryou::uploads {
namespace {

absl::Status IoError(const char* what, int err) {
  const std::string msg = absl::StrCat("upload file: ", what, ": ", std::strerror(err));
  if (err == ENOSPC || err == EFBIG || err == EDQUOT) {
    return InsufficientStorageError("insufficient storage: the server's disk is full; retry later");
  }
  return absl::UnavailableError(msg);
}

class PosixFiles : public UploadFiles {
 public:
  absl::Status WriteAt(const std::string& path, uint64_t offset, std::string_view data) override {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return IoError("open", errno);
    absl::Status st = Write(fd, offset, data);
    // Cut back whatever part of a failed chunk reached the file: the next try starts at `offset`.
    if (!st.ok()) (void)!::ftruncate(fd, static_cast<off_t>(offset));
    ::close(fd);
    return st;
  }

  absl::Status Remove(const std::string& path) override {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) return IoError("unlink", errno);
    return absl::OkStatus();
  }

 private:
  static absl::Status Write(int fd, uint64_t offset, std::string_view data) {
    // Bytes past `offset` from an earlier chunk that was never acknowledged are dropped.
    if (::ftruncate(fd, static_cast<off_t>(offset)) != 0) return IoError("truncate", errno);
    size_t done = 0;
    while (done < data.size()) {
      const ssize_t n = ::pwrite(fd, data.data() + done, data.size() - done,
                                 static_cast<off_t>(offset + done));
      if (n < 0) {
        if (errno == EINTR) continue;
        return IoError("write", errno);
      }
      done += static_cast<size_t>(n);
    }
    if (::fdatasync(fd) != 0) return IoError("fsync", errno);
    return absl::OkStatus();
  }
};

}  // namespace

std::shared_ptr<UploadFiles> PosixUploadFiles() { return std::make_shared<PosixFiles>(); }

}  // namespace foryou::uploads
