// The by-original index (original_index.h): which keys a video has, and their build at Open for
// a store that predates them.
#include "catalog/original_index.h"

#include <memory>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "catalog/record_codec.h"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"

namespace foryou::catalog {
namespace {

absl::Status Rocks(const rocksdb::Status& s, std::string_view what) {
  return absl::UnavailableError(absl::StrCat("catalog: ", std::string(what), ": ", s.ToString()));
}

}  // namespace

std::vector<const std::string*> Originals(const Video& v) {
  std::vector<const std::string*> out;
  if (!v.duet_of.empty()) out.push_back(&v.duet_of);
  if (!v.stitch_of.empty() && v.stitch_of != v.duet_of) out.push_back(&v.stitch_of);
  return out;
}

absl::Status EnsureOriginalIndex(rocksdb::DB* db) {
  std::string value;
  rocksdb::Status s = db->Get(rocksdb::ReadOptions(), codec::kOriginalIndexKey, &value);
  if (s.ok()) return absl::OkStatus();
  if (!s.IsNotFound()) return Rocks(s, "read the original index marker");
  rocksdb::WriteBatch batch;
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions()));
  const std::string_view prefix = codec::kVideoPrefix;
  for (it->Seek(rocksdb::Slice(prefix.data(), prefix.size()));
       it->Valid() && it->key().starts_with(rocksdb::Slice(prefix.data(), prefix.size()));
       it->Next()) {
    const std::string_view key(it->key().data(), it->key().size());
    Video v;
    if (!codec::Decode(std::string_view(it->value().data(), it->value().size()),
                       key.substr(prefix.size()), &v)) {
      continue;
    }
    for (const std::string* original : Originals(v)) {
      s = batch.Put(codec::IndexKey(codec::kByOriginalPrefix, *original, v.upload_ms, v.id), "");
      if (!s.ok()) return Rocks(s, "batch");
    }
  }
  if (!it->status().ok()) return Rocks(it->status(), "scan videos for the original index");
  s = batch.Put(codec::kOriginalIndexKey, "");
  if (!s.ok()) return Rocks(s, "batch");
  rocksdb::WriteOptions wo;
  wo.sync = true;
  s = db->Write(wo, &batch);
  return s.ok() ? absl::OkStatus() : Rocks(s, "write the original index");
}

}  // namespace foryou::catalog
