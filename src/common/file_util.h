// Small file-system helpers with Status errors: whole-file reads, and the
// write-temp + fsync + rename + fsync-directory sequence that makes a file replace atomic.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace foryou::common {

// File modes of AtomicFileWriter / WriteFileAtomically: an ordinary file, and a secret (API keys,
// the session token secret) that only the owner may read.
inline constexpr uint32_t kFileMode = 0644;
inline constexpr uint32_t kSecretFileMode = 0600;

// Reads the whole file at `path`.
[[nodiscard]] absl::StatusOr<std::string> ReadFile(const std::string& path);

// Atomically replaces `path` with `contents`: writes `path + ".tmp"`, fsyncs it, renames it over
// `path` and fsyncs the directory. A crash at any point leaves either the old or the new file.
// The file has `mode` (less the umask) from its creation on, never a wider one.
[[nodiscard]] absl::Status WriteFileAtomically(const std::string& path, std::string_view contents,
                                               uint32_t mode = kFileMode);

// Creates `dir` and its parents if missing.
[[nodiscard]] absl::Status MakeDirs(const std::string& dir);

// fsyncs a directory, making the renames and creations inside it durable.
[[nodiscard]] absl::Status SyncDir(const std::string& dir);

}  // namespace foryou::common

namespace foryou::common {

// Streams a file into `path + ".tmp"`; Commit() fsyncs it, renames it over `path` and fsyncs the
// directory. Destroying an uncommitted writer removes the temporary file, so a failed or
// interrupted write never disturbs the previous `path`. The temporary file is created afresh
// (a stale one is removed first, then O_CREAT|O_EXCL) with `mode`, so a secret written with
// kSecretFileMode is never readable by others, not even for a moment.
// Example:
//   AtomicFileWriter w;
//   FORYOU_RETURN_IF_ERROR(w.Open(path));
//   FORYOU_RETURN_IF_ERROR(w.Append(bytes));
//   FORYOU_RETURN_IF_ERROR(w.Commit());
class AtomicFileWriter {
 public:
  AtomicFileWriter() = default;
  ~AtomicFileWriter();
  AtomicFileWriter(const AtomicFileWriter&) = delete;
  AtomicFileWriter& operator=(const AtomicFileWriter&) = delete;

  [[nodiscard]] absl::Status Open(const std::string& path, uint32_t mode = kFileMode);
  // The temporary file being written (`path + ".tmp"`), for tests of its mode.
  const std::string& temp_path() const { return tmp_; }
  [[nodiscard]] absl::Status Append(std::string_view data);
  [[nodiscard]] absl::Status Commit();

 private:
  std::string path_;
  std::string tmp_;
  int fd_ = -1;
};

// A fresh directory `parent/prefix-XXXXXX` (mkdtemp), removed with everything in it on
// destruction.
class TempDir {
 public:
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<TempDir>> Make(const std::string& parent,
                                                                     std::string_view prefix);
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  explicit TempDir(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

}  // namespace foryou::common
