// CatalogStore on RocksDB.
//
// HOW A WRITE WORKS. Every write (one API call, or one bulk Batch) runs under mu_ as a Txn: it
// reads what it needs (the old video, hashtag counts, whether a creator / sound exists) from
// RocksDB or from what the same Txn already staged, queues every record, index key and count
// change into one rocksdb::WriteBatch, and only then writes that batch. A check that fails
// returns before anything reached RocksDB, and a WriteBatch is applied atomically, so a write
// is all or nothing; mu_ makes the read-modify-write of counts safe against other writers.
// Reads take no lock: a Get sees either the whole batch or none of it, and scans pin a
// snapshot so a page never mixes two states.
#include "catalog/catalog_store.h"

#include <optional>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "catalog/catalog_json.h"
#include "catalog/internal.h"
#include "catalog/original_index.h"
#include "catalog/record_codec.h"
#include "common/absl_view.h"
#include "common/file_util.h"
#include "common/rocksdb_options.h"
#include "common/status_macros.h"
#include "rocksdb/db.h"
#include "rocksdb/options.h"
#include "rocksdb/write_batch.h"

namespace foryou::catalog {
namespace {

using common::A;

bool StartsWith(const rocksdb::Slice& s, std::string_view prefix) {
  return s.size() >= prefix.size() && std::string_view(s.data(), prefix.size()) == prefix;
}

std::string_view View(const rocksdb::Slice& s) { return std::string_view(s.data(), s.size()); }

using internal::FromRocks;

absl::Status Undecodable(std::string_view key) {
  return absl::DataLossError(
      absl::StrCat("catalog: record '", absl::CHexEscape(A(key)), "' does not decode"));
}

// The kind of record under a key prefix, for messages ("user 'x' not found").
std::string_view KindOf(std::string_view prefix) {
  if (prefix == codec::kUserPrefix) return "user";
  if (prefix == codec::kVideoPrefix) return "video";
  if (prefix == codec::kCreatorPrefix) return "creator";
  if (prefix == codec::kSoundPrefix) return "sound";
  return "hashtag";
}

absl::Status NotFound(std::string_view prefix, std::string_view id) {
  return absl::NotFoundError(
      absl::StrCat(A(KindOf(prefix)), " '", absl::CHexEscape(A(id)), "' not found"));
}

// Reads and decodes the record `prefix + id`; nullopt if absent.
template <typename T>
absl::StatusOr<std::optional<T>> Find(rocksdb::DB* db, const rocksdb::ReadOptions& ro,
                                      std::string_view prefix, std::string_view id) {
  const std::string key = codec::Key(prefix, id);
  std::string value;
  rocksdb::Status s = db->Get(ro, key, &value);
  if (s.IsNotFound()) return std::optional<T>();
  if (!s.ok()) return FromRocks(s, absl::StrCat("read ", absl::CHexEscape(A(key))));
  T record;
  if (!codec::Decode(value, id, &record)) return Undecodable(key);
  return std::optional<T>(std::move(record));
}

template <typename T>
absl::StatusOr<T> Get(rocksdb::DB* db, std::string_view prefix, std::string_view id) {
  FORYOU_ASSIGN_OR_RETURN(std::optional<T> found, Find<T>(db, rocksdb::ReadOptions(), prefix, id));
  if (!found.has_value()) return NotFound(prefix, id);
  return std::move(*found);
}

// Distinct hashtags of a video, in its order (its originals: original_index.h).
std::vector<std::string_view> DistinctTags(const Video& v) {
  std::vector<std::string_view> out;
  absl::flat_hash_set<absl::string_view> seen;
  for (const std::string& t : v.hashtags) {
    if (seen.insert(t).second) out.push_back(t);
  }
  return out;
}

absl::Status CheckOptionalId(std::string_view field, const std::string& id) {
  return id.empty() ? absl::OkStatus() : ValidateId(field, id);
}

// The record rules the store itself relies on (keys, index separators, enum range).
absl::Status CheckVideo(const Video& v) {
  FORYOU_RETURN_IF_ERROR(ValidateId("id", v.id));
  FORYOU_RETURN_IF_ERROR(ValidateId("creator", v.creator));
  FORYOU_RETURN_IF_ERROR(CheckOptionalId("sound", v.sound));
  FORYOU_RETURN_IF_ERROR(CheckOptionalId("duet_of", v.duet_of));
  FORYOU_RETURN_IF_ERROR(CheckOptionalId("stitch_of", v.stitch_of));
  if (v.duet_of == v.id || v.stitch_of == v.id) {
    return absl::InvalidArgumentError(
        absl::StrCat(v.duet_of == v.id ? "duet_of" : "stitch_of", ": a video cannot name itself"));
  }
  for (size_t i = 0; i < v.hashtags.size(); ++i) {
    const std::string field = absl::StrCat("hashtags[", i, "]");
    FORYOU_ASSIGN_OR_RETURN(std::string canonical, NormalizeHashtag(field, v.hashtags[i]));
    if (canonical != v.hashtags[i]) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": not canonical (want '", canonical, "')"));
    }
  }
  if (static_cast<uint8_t>(v.moderation) > static_cast<uint8_t>(Moderation::kRemoved)) {
    return absl::InvalidArgumentError("moderation: unknown state");
  }
  return absl::OkStatus();
}

// Pins a snapshot for the lifetime of a scan.
class ScopedSnapshot {
 public:
  explicit ScopedSnapshot(rocksdb::DB* db) : db_(db), snap_(db->GetSnapshot()) {
    options_.snapshot = snap_;
  }
  ~ScopedSnapshot() { db_->ReleaseSnapshot(snap_); }
  const rocksdb::ReadOptions& options() const { return options_; }

 private:
  rocksdb::DB* db_;
  const rocksdb::Snapshot* snap_;
  rocksdb::ReadOptions options_;
};

// Decodes every record under `prefix` from `start` (skipping a key equal to `start` when
// `exclusive`), calling fn(record) until it returns false.
template <typename T, typename Fn>
absl::Status Scan(rocksdb::DB* db, std::string_view prefix, std::string_view start_id,
                  bool exclusive, Fn&& fn) {
  ScopedSnapshot snap(db);
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(snap.options()));
  const std::string start = codec::Key(prefix, start_id);
  for (it->Seek(start); it->Valid() && StartsWith(it->key(), prefix); it->Next()) {
    const std::string_view key = View(it->key());
    if (exclusive && key == start) continue;
    T record;
    if (!codec::Decode(View(it->value()), key.substr(prefix.size()), &record)) {
      return Undecodable(key);
    }
    if (!fn(record)) break;
  }
  if (!it->status().ok()) return FromRocks(it->status(), "scan");
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> CountKeys(rocksdb::DB* db, std::string_view prefix) {
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions()));
  uint64_t n = 0;
  for (it->Seek(rocksdb::Slice(prefix.data(), prefix.size()));
       it->Valid() && StartsWith(it->key(), prefix); it->Next()) {
    ++n;
  }
  if (!it->status().ok()) return FromRocks(it->status(), "count");
  return n;
}

}  // namespace

// ---- Txn ----

class CatalogStore::Txn {
 public:
  explicit Txn(rocksdb::DB* db) : db_(db) {}

  rocksdb::WriteBatch& batch() { return batch_; }
  uint64_t new_users() const { return new_users_; }
  uint64_t new_videos() const { return new_videos_; }
  // The ids this Txn wrote (for the listener).
  CatalogChange Change() const {
    CatalogChange c;
    c.users.assign(users_.begin(), users_.end());
    for (const auto& [id, v] : videos_) c.videos.push_back(id);
    c.creators.assign(creators_.begin(), creators_.end());
    c.sounds.assign(sounds_.begin(), sounds_.end());
    for (const auto& [tag, count] : tag_counts_) c.hashtags.push_back(tag);
    c.challenges.assign(challenges_.begin(), challenges_.end());
    return c;
  }
  void NoteDeletedUser(std::string_view id) {
    users_.insert(std::string(id));
    records_.push_back({.key = codec::Key(codec::kUserPrefix, id), .deleted = true});
  }
  // The primary records staged, in order: what the changelog writer is given.
  const std::vector<ChangelogRecord>& records() const { return records_; }
  uint64_t removed_users() const { return removed_users_; }

  // Stages one replicated record (CatalogStore::ApplyChangelog) as the write that made it did.
  absl::Status StageRecord(const ChangelogRecord& r) {
    const std::string_view key = r.key;
    auto undecodable = [&] {
      return absl::InvalidArgumentError(
          absl::StrCat("changelog record '", absl::CHexEscape(A(key)), "' does not decode"));
    };
    if (key.starts_with(codec::kUserPrefix)) {
      const std::string_view id = key.substr(codec::kUserPrefix.size());
      if (r.deleted) {
        FORYOU_ASSIGN_OR_RETURN(bool exists, Exists(codec::kUserPrefix, id, {}));
        if (exists && !users_.contains(A(id))) ++removed_users_;
        NoteDeletedUser(id);
        return Delete(std::string(key));
      }
      User u;
      if (!codec::Decode(r.value, id, &u)) return undecodable();
      return StageUser(u, /*must_be_new=*/false);
    }
    if (r.deleted) {
      return absl::InvalidArgumentError(
          absl::StrCat("changelog record '", absl::CHexEscape(A(key)), "': only users are deleted"));
    }
    if (key.starts_with(codec::kVideoPrefix)) {
      Video v;
      if (!codec::Decode(r.value, key.substr(codec::kVideoPrefix.size()), &v)) {
        return undecodable();
      }
      return StageVideo(v, /*must_be_new=*/false, /*check_originals=*/false);
    }
    if (key.starts_with(codec::kCreatorPrefix)) {
      Creator c;
      if (!codec::Decode(r.value, key.substr(codec::kCreatorPrefix.size()), &c)) {
        return undecodable();
      }
      return StageCreator(c);
    }
    if (key.starts_with(codec::kSoundPrefix)) {
      Sound snd;
      if (!codec::Decode(r.value, key.substr(codec::kSoundPrefix.size()), &snd)) {
        return undecodable();
      }
      return StageSound(snd);
    }
    if (key.starts_with(codec::kChallengePrefix)) {
      Challenge c;
      if (!codec::Decode(r.value, key.substr(codec::kChallengePrefix.size()), &c)) {
        return undecodable();
      }
      FORYOU_RETURN_IF_ERROR(ValidateChallenge(c));
      challenges_.insert(c.name);
      return Put(std::string(key), r.value);
    }
    return absl::InvalidArgumentError(
        absl::StrCat("changelog record '", absl::CHexEscape(A(key)), "': unknown kind"));
  }

  absl::Status StageUser(const User& u, bool must_be_new) {
    FORYOU_RETURN_IF_ERROR(ValidateId("id", u.id));
    FORYOU_ASSIGN_OR_RETURN(bool exists, Exists(codec::kUserPrefix, u.id, users_));
    if (exists && must_be_new) {
      return absl::AlreadyExistsError(absl::StrCat("user '", u.id, "' already exists"));
    }
    if (!exists) ++new_users_;
    users_.insert(u.id);
    return PutRecord(codec::Key(codec::kUserPrefix, u.id), codec::Encode(u));
  }

  absl::Status StageCreator(const Creator& c) {
    FORYOU_RETURN_IF_ERROR(ValidateId("id", c.id));
    creators_.insert(c.id);
    return PutRecord(codec::Key(codec::kCreatorPrefix, c.id), codec::Encode(c));
  }

  absl::Status StageSound(const Sound& s) {
    FORYOU_RETURN_IF_ERROR(ValidateId("id", s.id));
    FORYOU_RETURN_IF_ERROR(CheckOptionalId("creator", s.creator));
    sounds_.insert(s.id);
    return PutRecord(codec::Key(codec::kSoundPrefix, s.id), codec::Encode(s));
  }

  // `check_originals`: NotFound unless duet_of / stitch_of name a video.
  absl::Status StageVideo(const Video& v, bool must_be_new, bool check_originals = true) {
    FORYOU_RETURN_IF_ERROR(CheckVideo(v));
    FORYOU_ASSIGN_OR_RETURN(std::optional<Video> old, FindVideo(v.id));
    if (old.has_value() && must_be_new) {
      return absl::AlreadyExistsError(absl::StrCat("video '", v.id, "' already exists"));
    }
    for (const auto& [field, target] :
         {std::pair<const char*, const std::string*>{"duet_of", &v.duet_of},
          {"stitch_of", &v.stitch_of}}) {
      if (target->empty() || !check_originals) continue;
      FORYOU_ASSIGN_OR_RETURN(std::optional<Video> t, FindVideo(*target));
      if (!t.has_value()) {
        return absl::NotFoundError(absl::StrCat(field, ": video '", *target, "' not found"));
      }
    }
    if (old.has_value()) {
      FORYOU_RETURN_IF_ERROR(Unindex(*old));
    } else {
      ++new_videos_;
    }
    FORYOU_RETURN_IF_ERROR(Index(v));
    FORYOU_ASSIGN_OR_RETURN(bool has_creator, Exists(codec::kCreatorPrefix, v.creator, creators_));
    if (!has_creator) {
      FORYOU_RETURN_IF_ERROR(
          StageCreator({.id = v.creator, .name = v.creator, .created_ms = v.upload_ms}));
    }
    if (!v.sound.empty()) {
      FORYOU_ASSIGN_OR_RETURN(bool has_sound, Exists(codec::kSoundPrefix, v.sound, sounds_));
      if (!has_sound) FORYOU_RETURN_IF_ERROR(StageSound({.id = v.sound, .creator = v.creator}));
    }
    videos_[v.id] = v;
    return PutRecord(codec::Key(codec::kVideoPrefix, v.id), codec::Encode(v));
  }

  absl::Status StageModeration(std::string_view id, Moderation m) {
    FORYOU_ASSIGN_OR_RETURN(std::optional<Video> v, FindVideo(id));
    if (!v.has_value()) return NotFound(codec::kVideoPrefix, id);
    v->moderation = m;
    return StageVideo(*v, /*must_be_new=*/false);
  }

  // Queues the changed hashtag counts: a tag no video carries any more loses its record.
  absl::Status Finish() {
    for (const auto& [tag, count] : tag_counts_) {
      const std::string key = codec::Key(codec::kHashtagPrefix, tag);
      if (count == 0) {
        FORYOU_RETURN_IF_ERROR(Delete(key));
      } else {
        FORYOU_RETURN_IF_ERROR(Put(key, codec::Encode(Hashtag{.name = tag, .videos = count})));
      }
    }
    return absl::OkStatus();
  }

 private:
  // A primary record: written and handed to the changelog.
  absl::Status PutRecord(std::string key, std::string value) {
    FORYOU_RETURN_IF_ERROR(Put(key, value));
    records_.push_back({.key = std::move(key), .value = std::move(value)});
    return absl::OkStatus();
  }
  absl::Status Put(const std::string& key, const std::string& value) {
    rocksdb::Status s = batch_.Put(key, value);
    return s.ok() ? absl::OkStatus() : FromRocks(s, "batch");
  }
  absl::Status Delete(const std::string& key) {
    rocksdb::Status s = batch_.Delete(key);
    return s.ok() ? absl::OkStatus() : FromRocks(s, "batch");
  }

  absl::StatusOr<std::optional<Video>> FindVideo(std::string_view id) {
    if (auto it = videos_.find(A(id)); it != videos_.end()) return std::optional<Video>(it->second);
    return Find<Video>(db_, rocksdb::ReadOptions(), codec::kVideoPrefix, id);
  }

  // Whether `prefix + id` exists in the store or was staged by this Txn. Existence only: a
  // record that no longer decodes still exists (and is not silently overwritten here).
  absl::StatusOr<bool> Exists(std::string_view prefix, std::string_view id,
                              const absl::flat_hash_set<std::string>& staged) {
    if (staged.contains(A(id))) return true;
    std::string value;
    rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), codec::Key(prefix, id), &value);
    if (s.IsNotFound()) return false;
    if (!s.ok()) return FromRocks(s, "read");
    return true;
  }

  absl::StatusOr<uint64_t*> TagCount(std::string_view tag) {
    auto it = tag_counts_.find(A(tag));
    if (it == tag_counts_.end()) {
      FORYOU_ASSIGN_OR_RETURN(std::optional<Hashtag> h, Find<Hashtag>(db_, rocksdb::ReadOptions(),
                                                                      codec::kHashtagPrefix, tag));
      it = tag_counts_.emplace(std::string(tag), h.has_value() ? h->videos : 0).first;
    }
    return &it->second;
  }

  absl::Status Index(const Video& v) {
    FORYOU_RETURN_IF_ERROR(
        Put(codec::IndexKey(codec::kByCreatorPrefix, v.creator, v.upload_ms, v.id), ""));
    if (!v.sound.empty()) {
      FORYOU_RETURN_IF_ERROR(
          Put(codec::IndexKey(codec::kBySoundPrefix, v.sound, v.upload_ms, v.id), ""));
    }
    for (const std::string* original : Originals(v)) {
      FORYOU_RETURN_IF_ERROR(
          Put(codec::IndexKey(codec::kByOriginalPrefix, *original, v.upload_ms, v.id), ""));
    }
    for (std::string_view tag : DistinctTags(v)) {
      FORYOU_RETURN_IF_ERROR(
          Put(codec::IndexKey(codec::kByHashtagPrefix, tag, v.upload_ms, v.id), ""));
      FORYOU_ASSIGN_OR_RETURN(uint64_t * count, TagCount(tag));
      ++*count;
    }
    return absl::OkStatus();
  }

  absl::Status Unindex(const Video& v) {
    FORYOU_RETURN_IF_ERROR(
        Delete(codec::IndexKey(codec::kByCreatorPrefix, v.creator, v.upload_ms, v.id)));
    if (!v.sound.empty()) {
      FORYOU_RETURN_IF_ERROR(
          Delete(codec::IndexKey(codec::kBySoundPrefix, v.sound, v.upload_ms, v.id)));
    }
    for (const std::string* original : Originals(v)) {
      FORYOU_RETURN_IF_ERROR(
          Delete(codec::IndexKey(codec::kByOriginalPrefix, *original, v.upload_ms, v.id)));
    }
    for (std::string_view tag : DistinctTags(v)) {
      FORYOU_RETURN_IF_ERROR(
          Delete(codec::IndexKey(codec::kByHashtagPrefix, tag, v.upload_ms, v.id)));
      FORYOU_ASSIGN_OR_RETURN(uint64_t * count, TagCount(tag));
      if (*count == 0) {
        return absl::DataLossError(absl::StrCat("catalog: hashtag '", A(tag),
                                                "' count is 0 but video '", v.id, "' carries it"));
      }
      --*count;
    }
    return absl::OkStatus();
  }

  rocksdb::DB* db_;
  rocksdb::WriteBatch batch_;
  // What this Txn staged, seen by its own later reads.
  absl::flat_hash_map<std::string, Video> videos_;
  absl::flat_hash_set<std::string> users_, creators_, sounds_;
  absl::flat_hash_map<std::string, uint64_t> tag_counts_;  // every touched tag's new count
  absl::flat_hash_set<std::string> challenges_;
  std::vector<ChangelogRecord> records_;
  uint64_t new_users_ = 0, new_videos_ = 0, removed_users_ = 0;
};

// ---- CatalogStore ----

absl::StatusOr<std::unique_ptr<CatalogStore>> CatalogStore::Open(const std::string& dir) {
  FORYOU_RETURN_IF_ERROR(common::MakeDirs(dir));
  rocksdb::Options options = common::StoreOptions();
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(options, dir, &raw);
  if (!s.ok()) return FromRocks(s, absl::StrCat("open ", dir));
  std::unique_ptr<rocksdb::DB> db(raw);

  std::string value;
  s = db->Get(rocksdb::ReadOptions(), codec::kFormatKey, &value);
  if (s.IsNotFound()) {
    rocksdb::WriteOptions wo;
    wo.sync = true;
    s = db->Put(wo, codec::kFormatKey, codec::EncodeFormat());
    if (!s.ok()) return FromRocks(s, "write format version");
  } else if (!s.ok()) {
    return FromRocks(s, "read format version");
  } else {
    uint32_t version = 0;
    if (!codec::DecodeFormat(value, &version)) return Undecodable(codec::kFormatKey);
    if (version != codec::kFormatVersion) {
      return absl::FailedPreconditionError(absl::StrCat("catalog ", dir, ": format version ",
                                                        version, ", this build reads ",
                                                        codec::kFormatVersion));
    }
  }
  FORYOU_RETURN_IF_ERROR(EnsureOriginalIndex(db.get()));
  FORYOU_ASSIGN_OR_RETURN(uint64_t videos, CountKeys(db.get(), codec::kVideoPrefix));
  FORYOU_ASSIGN_OR_RETURN(uint64_t users, CountKeys(db.get(), codec::kUserPrefix));
  std::unique_ptr<CatalogStore> store(new CatalogStore(dir, std::move(db)));
  store->num_videos_ = videos;
  store->num_users_ = users;
  return store;
}

CatalogStore::CatalogStore(std::string dir, std::unique_ptr<rocksdb::DB> db)
    : dir_(std::move(dir)), db_(std::move(db)) {}

CatalogStore::~CatalogStore() {
  // Close() flushes nothing extra (every acknowledged write is in the synced WAL) but waits for
  // background work, so the LOCK is free for the next Open once the destructor returns.
  db_->Close().PermitUncheckedError();
}

absl::Status CatalogStore::Commit(const std::function<absl::Status(Txn&)>& stage, bool sync,
                                  const std::string* position) {
  CatalogChange change;
  {
    common::MutexLock lock(&mu_);
    Txn txn(db_.get());
    FORYOU_RETURN_IF_ERROR(stage(txn));
    FORYOU_RETURN_IF_ERROR(txn.Finish());
    if (position != nullptr) {
      rocksdb::Status s = txn.batch().Put(codec::kChangelogPositionKey, *position);
      if (!s.ok()) return FromRocks(s, "batch");
    } else if (changelog_ != nullptr && !txn.records().empty()) {
      // The log first: a write it refused is written nowhere; one it acknowledged comes back
      // to this store too, where it is equal to what is stored and changes nothing.
      FORYOU_RETURN_IF_ERROR(changelog_->Append(txn.records()));
    }
    rocksdb::WriteOptions wo;
    wo.sync = sync;
    rocksdb::Status s = db_->Write(wo, &txn.batch());
    if (!s.ok()) return FromRocks(s, "write");
    num_users_.fetch_add(txn.new_users(), std::memory_order_relaxed);
    num_users_.fetch_sub(txn.removed_users(), std::memory_order_relaxed);
    num_videos_.fetch_add(txn.new_videos(), std::memory_order_relaxed);
    change = txn.Change();
    change.replicated = position != nullptr;
  }
  if (change.empty()) return absl::OkStatus();
  std::shared_ptr<const Listener> listener;
  {
    common::MutexLock lock(&listener_mu_);
    listener = listener_;
  }
  if (listener != nullptr && *listener) (*listener)(change);
  return absl::OkStatus();
}

void CatalogStore::SetChangelog(ChangelogWriter* writer) {
  common::MutexLock lock(&mu_);
  changelog_ = writer;
}

absl::StatusOr<uint64_t> CatalogStore::ApplyChangelog(const std::vector<ChangelogRecord>& records,
                                                      std::string_view position) {
  uint64_t applied = 0;
  const std::string pos(position);
  FORYOU_RETURN_IF_ERROR(Commit(
      [&](Txn& t) -> absl::Status {
        applied = 0;
        absl::flat_hash_set<absl::string_view> staged;
        for (const ChangelogRecord& r : records) {
          if (!staged.contains(r.key)) {
            std::string current;
            rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), r.key, &current);
            if (!s.ok() && !s.IsNotFound()) return FromRocks(s, "read");
            if (r.deleted ? s.IsNotFound() : (s.ok() && current == r.value)) continue;
          }
          staged.insert(r.key);
          ++applied;
          FORYOU_RETURN_IF_ERROR(t.StageRecord(r));
        }
        return absl::OkStatus();
      },
      /*sync=*/false, &pos));
  return applied;
}

absl::StatusOr<std::string> CatalogStore::ChangelogPosition() const {
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), codec::kChangelogPositionKey, &value);
  if (s.IsNotFound()) return std::string();
  if (!s.ok()) return FromRocks(s, "read changelog position");
  return value;
}

void CatalogStore::SetListener(Listener listener) {
  auto l = listener ? std::make_shared<const Listener>(std::move(listener)) : nullptr;
  common::MutexLock lock(&listener_mu_);
  listener_ = std::move(l);
}

absl::Status CatalogStore::CreateUser(const User& user) {
  return Commit([&](Txn& t) { return t.StageUser(user, /*must_be_new=*/true); }, true);
}

absl::Status CatalogStore::PutUser(const User& user) {
  return Commit([&](Txn& t) { return t.StageUser(user, /*must_be_new=*/false); }, true);
}

absl::StatusOr<User> CatalogStore::GetUser(std::string_view id) const {
  return Get<User>(db_.get(), codec::kUserPrefix, id);
}

absl::Status CatalogStore::DeleteUser(std::string_view id) {
  FORYOU_RETURN_IF_ERROR(Commit(
      [&](Txn& t) -> absl::Status {
        FORYOU_RETURN_IF_ERROR(GetUser(id).status());  // under mu_: no create slips in between
        return t.StageRecord({.key = codec::Key(codec::kUserPrefix, id), .deleted = true});
      },
      true));
  return absl::OkStatus();
}

absl::Status CatalogStore::CreateVideo(const Video& video) {
  return Commit([&](Txn& t) { return t.StageVideo(video, /*must_be_new=*/true); }, true);
}

absl::Status CatalogStore::PutVideo(const Video& video) {
  return Commit([&](Txn& t) { return t.StageVideo(video, /*must_be_new=*/false); }, true);
}

absl::StatusOr<Video> CatalogStore::GetVideo(std::string_view id) const {
  return Get<Video>(db_.get(), codec::kVideoPrefix, id);
}

absl::Status CatalogStore::SetModeration(std::string_view id, Moderation moderation) {
  return Commit([&](Txn& t) { return t.StageModeration(id, moderation); }, true);
}

absl::Status CatalogStore::PutCreator(const Creator& creator) {
  return Commit([&](Txn& t) { return t.StageCreator(creator); }, true);
}

absl::Status CatalogStore::PutSound(const Sound& sound) {
  return Commit([&](Txn& t) { return t.StageSound(sound); }, true);
}

absl::StatusOr<Creator> CatalogStore::GetCreator(std::string_view id) const {
  return Get<Creator>(db_.get(), codec::kCreatorPrefix, id);
}

absl::StatusOr<Sound> CatalogStore::GetSound(std::string_view id) const {
  return Get<Sound>(db_.get(), codec::kSoundPrefix, id);
}

absl::StatusOr<Hashtag> CatalogStore::GetHashtag(std::string_view name) const {
  return Get<Hashtag>(db_.get(), codec::kHashtagPrefix, name);
}

absl::Status CatalogStore::Write(const Batch& batch, bool sync) {
  return Commit(
      [&](Txn& t) -> absl::Status {
        for (const User& u : batch.users) FORYOU_RETURN_IF_ERROR(t.StageUser(u, false));
        for (const Creator& c : batch.creators) FORYOU_RETURN_IF_ERROR(t.StageCreator(c));
        for (const Sound& s : batch.sounds) FORYOU_RETURN_IF_ERROR(t.StageSound(s));
        for (const Video& v : batch.videos) FORYOU_RETURN_IF_ERROR(t.StageVideo(v, false));
        return absl::OkStatus();
      },
      sync);
}

absl::Status CatalogStore::Sync() {
  rocksdb::Status s = db_->SyncWAL();
  return s.ok() ? absl::OkStatus() : FromRocks(s, "sync");
}

absl::Status CatalogStore::ForEachVideo(const std::function<void(const Video&)>& fn) const {
  return Scan<Video>(db_.get(), codec::kVideoPrefix, "", false, [&](const Video& v) {
    fn(v);
    return true;
  });
}

absl::Status CatalogStore::ForEachUser(const std::function<void(const User&)>& fn) const {
  return Scan<User>(db_.get(), codec::kUserPrefix, "", false, [&](const User& u) {
    fn(u);
    return true;
  });
}

absl::Status CatalogStore::ForEachHashtag(const std::function<void(const Hashtag&)>& fn) const {
  return Scan<Hashtag>(db_.get(), codec::kHashtagPrefix, "", false, [&](const Hashtag& h) {
    fn(h);
    return true;
  });
}

namespace {

template <typename T>
absl::StatusOr<std::vector<T>> ListPage(rocksdb::DB* db, std::string_view prefix,
                                        std::string_view after_id, int limit) {
  if (limit < 1)
    return absl::InvalidArgumentError(absl::StrCat("limit: must be >= 1, got ", limit));
  std::vector<T> out;
  FORYOU_RETURN_IF_ERROR(Scan<T>(db, prefix, after_id, !after_id.empty(), [&](const T& r) {
    out.push_back(r);
    return out.size() < static_cast<size_t>(limit);
  }));
  return out;
}

}  // namespace

absl::StatusOr<std::vector<Video>> CatalogStore::ListVideos(std::string_view after_id,
                                                            int limit) const {
  return ListPage<Video>(db_.get(), codec::kVideoPrefix, after_id, limit);
}

absl::StatusOr<std::vector<User>> CatalogStore::ListUsers(std::string_view after_id,
                                                          int limit) const {
  return ListPage<User>(db_.get(), codec::kUserPrefix, after_id, limit);
}

absl::StatusOr<std::vector<Video>> CatalogStore::VideosByIndex(std::string_view index_prefix,
                                                               std::string_view name,
                                                               int limit) const {
  if (limit < 1)
    return absl::InvalidArgumentError(absl::StrCat("limit: must be >= 1, got ", limit));
  ScopedSnapshot snap(db_.get());
  const std::string prefix = codec::IndexPrefix(index_prefix, name);
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(snap.options()));
  std::vector<Video> out;
  for (it->Seek(prefix); it->Valid() && StartsWith(it->key(), prefix); it->Next()) {
    std::string_view video_id;
    if (!codec::IndexVideoId(View(it->key()), prefix.size(), &video_id)) {
      return Undecodable(View(it->key()));
    }
    FORYOU_ASSIGN_OR_RETURN(std::optional<Video> v,
                            Find<Video>(db_.get(), snap.options(), codec::kVideoPrefix, video_id));
    if (!v.has_value()) {
      return absl::DataLossError(absl::StrCat(
          "catalog: index key '", absl::CHexEscape(A(View(it->key()))), "' names a missing video"));
    }
    out.push_back(std::move(*v));
    if (out.size() >= static_cast<size_t>(limit)) break;
  }
  if (!it->status().ok()) return FromRocks(it->status(), "index scan");
  return out;
}

absl::StatusOr<std::vector<Video>> CatalogStore::VideosByCreator(std::string_view creator,
                                                                 int limit) const {
  return VideosByIndex(codec::kByCreatorPrefix, creator, limit);
}

absl::StatusOr<std::vector<Video>> CatalogStore::VideosBySound(std::string_view sound,
                                                               int limit) const {
  return VideosByIndex(codec::kBySoundPrefix, sound, limit);
}

absl::StatusOr<std::vector<Video>> CatalogStore::VideosByOriginal(std::string_view original,
                                                                  int limit) const {
  return VideosByIndex(codec::kByOriginalPrefix, original, limit);
}

absl::StatusOr<std::vector<Video>> CatalogStore::VideosByHashtag(std::string_view hashtag,
                                                                 int limit) const {
  return VideosByIndex(codec::kByHashtagPrefix, hashtag, limit);
}

}  // namespace foryou::catalog
