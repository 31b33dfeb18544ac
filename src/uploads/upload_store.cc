// The upload store (upload_store.h): records as JSON in RocksDB, bytes in one file per upload.
#include "uploads/upload_store.h"

#include <cctype>
#include <filesystem>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/absl_view.h"
#include "common/file_util.h"
#include "common/rocksdb_options.h"
#include "common/status_macros.h"
#include "nlohmann/json.hpp"
#include "rocksdb/db.h"
#include "rocksdb/options.h"
#include "uploads/errors.h"
#include "uploads/ids.h"

namespace foryou::uploads {
namespace {

using json = nlohmann::json;

constexpr char kUploadPrefix[] = "upload/";
constexpr size_t kMaxTypeBytes = 64;

using common::A;

absl::Status FromRocks(const rocksdb::Status& s, std::string_view what) {
  const std::string msg = absl::StrCat("uploads: ", A(what), ": ", s.ToString());
  if (s.IsCorruption()) return absl::DataLossError(msg);
  if (s.IsNoSpace()) return InsufficientStorageError("insufficient storage: the server's disk is full; retry later");
  return absl::UnavailableError(msg);
}

std::string Encode(const Upload& u) {
  return json{{"id", u.id},           {"owner", u.owner},   {"type", u.type},
              {"size", u.size},       {"received", u.received},
              {"state", UploadStateName(u.state)},
              {"created_ms", u.created_ms}, {"updated_ms", u.updated_ms}, {"video", u.video}}
      .dump();
}

bool Decode(std::string_view bytes, Upload* out) {
  json j = json::parse(bytes, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return false;
  try {
    Upload u;
    u.id = j.at("id").get<std::string>();
    u.owner = j.at("owner").get<std::string>();
    u.type = j.at("type").get<std::string>();
    u.size = j.at("size").get<uint64_t>();
    u.received = j.at("received").get<uint64_t>();
    const std::string state = j.at("state").get<std::string>();
    if (state == "open") {
      u.state = UploadState::kOpen;
    } else if (state == "submitted") {
      u.state = UploadState::kSubmitted;
    } else {
      return false;
    }
    u.created_ms = j.at("created_ms").get<int64_t>();
    u.updated_ms = j.at("updated_ms").get<int64_t>();
    u.video = j.at("video").get<std::string>();
    if (u.received > u.size) return false;
    *out = std::move(u);
    return true;
  } catch (const json::exception&) {
    return false;
  }
}

// video/<subtype>: the subtype 1..58 bytes of letters, digits and "-+.".
bool ValidType(std::string_view type) {
  if (type.size() > kMaxTypeBytes || !absl::StartsWith(A(type), "video/")) return false;
  const std::string_view sub = type.substr(6);
  if (sub.empty()) return false;
  for (char c : sub) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '+' && c != '.') return false;
  }
  return true;
}

}  // namespace

std::string_view UploadStateName(UploadState s) {
  return s == UploadState::kOpen ? "open" : "submitted";
}

absl::StatusOr<std::unique_ptr<UploadStore>> UploadStore::Open(const std::string& dir,
                                                                UploadLimits limits,
                                                                std::shared_ptr<UploadFiles> files) {
  FORYOU_RETURN_IF_ERROR(common::MakeDirs(dir + "/files"));
  rocksdb::Options options = common::StoreOptions();
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(options, dir + "/db", &raw);
  if (!s.ok()) return FromRocks(s, "open");
  if (files == nullptr) files = PosixUploadFiles();
  return std::unique_ptr<UploadStore>(
      new UploadStore(dir, limits, std::move(files), std::unique_ptr<rocksdb::DB>(raw)));
}

UploadStore::UploadStore(std::string dir, UploadLimits limits, std::shared_ptr<UploadFiles> files,
                         std::unique_ptr<rocksdb::DB> db)
    : dir_(std::move(dir)), limits_(limits), files_(std::move(files)), db_(std::move(db)) {}

UploadStore::~UploadStore() = default;

std::string UploadStore::FilePath(std::string_view id) const {
  return absl::StrCat(dir_, "/files/", A(id));
}

absl::StatusOr<Upload> UploadStore::Read(std::string_view id) const {
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), absl::StrCat(kUploadPrefix, A(id)), &value);
  if (s.IsNotFound()) return absl::NotFoundError(absl::StrCat("upload '", A(id), "' not found"));
  if (!s.ok()) return FromRocks(s, "read");
  Upload up;
  if (!Decode(value, &up)) {
    return absl::DataLossError(absl::StrCat("uploads: record of '", A(id), "' does not decode"));
  }
  return up;
}

absl::Status UploadStore::Write(const Upload& up) {
  rocksdb::WriteOptions wo;
  wo.sync = true;
  rocksdb::Status s = db_->Put(wo, absl::StrCat(kUploadPrefix, up.id), Encode(up));
  return s.ok() ? absl::OkStatus() : FromRocks(s, "write");
}

absl::StatusOr<Upload> UploadStore::Create(std::string_view owner, uint64_t size,
                                           std::string_view type, int64_t now_ms) {
  if (size == 0) return absl::InvalidArgumentError("size: must be at least 1 byte");
  if (size > limits_.max_bytes) {
    return TooLargeError(absl::StrCat("size: ", size, " bytes is over the upload limit of ",
                                      limits_.max_bytes, " bytes"));
  }
  if (!ValidType(type)) {
    return absl::InvalidArgumentError(
        absl::StrCat("type: '", A(type.substr(0, kMaxTypeBytes)), "' is not a video type (video/...)"));
  }
  Upload up{.id = NewId("up-"), .owner = std::string(owner), .type = std::string(type),
            .size = size, .created_ms = now_ms, .updated_ms = now_ms};
  common::MutexLock lock(&mu_);
  FORYOU_RETURN_IF_ERROR(Write(up));
  return up;
}

absl::StatusOr<Upload> UploadStore::Get(std::string_view id, std::string_view owner) const {
  FORYOU_ASSIGN_OR_RETURN(Upload up, Read(id));
  if (up.owner != owner) return absl::NotFoundError(absl::StrCat("upload '", A(id), "' not found"));
  return up;
}

absl::StatusOr<uint64_t> UploadStore::Append(std::string_view id, std::string_view owner,
                                             uint64_t offset, std::string_view data,
                                             int64_t now_ms) {
  if (data.empty()) return absl::InvalidArgumentError("body: an empty chunk");
  if (data.size() > limits_.max_chunk_bytes) {
    return TooLargeError(absl::StrCat("chunk of ", data.size(), " bytes is over the limit of ",
                                      limits_.max_chunk_bytes, " bytes"));
  }
  Upload up;
  {
    common::MutexLock lock(&mu_);
    FORYOU_ASSIGN_OR_RETURN(up, Read(id));
    if (up.owner != owner) return absl::NotFoundError(absl::StrCat("upload '", A(id), "' not found"));
    if (up.state != UploadState::kOpen) {
      return ConflictError("the upload is already complete and submitted", up.received);
    }
    if (offset != up.received) {
      return ConflictError(absl::StrCat("the chunk starts at byte ", offset, " but the server has ",
                                        up.received, " bytes: continue from there"),
                           up.received);
    }
    if (offset + data.size() > up.size) {
      return absl::InvalidArgumentError(absl::StrCat("Content-Range: the chunk ends at byte ",
                                                     offset + data.size(), ", past the size ",
                                                     up.size));
    }
    if (!writing_.insert(up.id).second) {
      return ConflictError("another chunk of this upload is being written", up.received);
    }
  }
  // The file write (and its fsync) runs outside the lock; writing_ keeps this upload's chunks
  // one at a time.
  absl::Status st = files_->WriteAt(FilePath(up.id), offset, data);
  if (st.ok() && offset == 0) st = common::SyncDir(dir_ + "/files");
  common::MutexLock lock(&mu_);
  writing_.erase(up.id);
  if (!st.ok()) return st;
  up.received = offset + data.size();
  up.updated_ms = now_ms;
  FORYOU_RETURN_IF_ERROR(Write(up));
  return up.received;
}

absl::Status UploadStore::MarkSubmitted(std::string_view id, std::string_view owner,
                                        std::string_view video, int64_t now_ms) {
  common::MutexLock lock(&mu_);
  FORYOU_ASSIGN_OR_RETURN(Upload up, Read(id));
  if (up.owner != owner) return absl::NotFoundError(absl::StrCat("upload '", A(id), "' not found"));
  if (up.state != UploadState::kOpen) {
    return ConflictError(absl::StrCat("the upload was already submitted as video '", up.video, "'"),
                         up.received);
  }
  if (!up.complete()) {
    return ConflictError(absl::StrCat("the upload has ", up.received, " of ", up.size,
                                      " bytes: send the rest first"),
                         up.received);
  }
  up.state = UploadState::kSubmitted;
  up.video = std::string(video);
  up.updated_ms = now_ms;
  return Write(up);
}

absl::StatusOr<int> UploadStore::ExpireAbandoned(int64_t now_ms) {
  std::vector<Upload> stale;
  {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
    for (it->Seek(kUploadPrefix); it->Valid() && it->key().starts_with(kUploadPrefix); it->Next()) {
      Upload up;
      if (!Decode(it->value().ToStringView(), &up)) continue;  // reported when read by id
      if (up.state == UploadState::kOpen && up.updated_ms + limits_.expire_ms <= now_ms) {
        stale.push_back(std::move(up));
      }
    }
    if (!it->status().ok()) return FromRocks(it->status(), "scan");
  }
  int removed = 0;
  for (const Upload& old : stale) {
    common::MutexLock lock(&mu_);
    if (writing_.contains(old.id)) continue;
    absl::StatusOr<Upload> now = Read(old.id);  // a chunk may have arrived since the scan
    if (!now.ok() || now->state != UploadState::kOpen ||
        now->updated_ms + limits_.expire_ms > now_ms) {
      continue;
    }
    // The record goes first: a crash between the two leaves an orphan file, never a record
    // without its bytes.
    rocksdb::WriteOptions wo;
    wo.sync = true;
    rocksdb::Status s = db_->Delete(wo, absl::StrCat(kUploadPrefix, old.id));
    if (!s.ok()) return FromRocks(s, "delete");
    FORYOU_RETURN_IF_ERROR(files_->Remove(FilePath(old.id)));
    ++removed;
  }
  return removed;
}

}  // namespace foryou::uploads
