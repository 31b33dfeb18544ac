// CatalogStore: the persistent catalog (users, videos, creators, sounds, hashtags) in one RocksDB
// directory, with the secondary indexes the creator / sound / hashtag pages read. Design:
// docs/design/catalog.md; keys and bytes: docs/formats/catalog.md.
//
// Example:
//   FORYOU_ASSIGN_OR_RETURN(auto store, catalog::CatalogStore::Open("/data/catalog"));
//   FORYOU_ASSIGN_OR_RETURN(catalog::Video v, catalog::VideoFromJson(body, now_ms));
//   FORYOU_RETURN_IF_ERROR(store->CreateVideo(v));  // + creator, sound, hashtag counts, indexes
//   FORYOU_RETURN_IF_ERROR(store->SetModeration(v.id, catalog::Moderation::kApproved));
//   FORYOU_ASSIGN_OR_RETURN(catalog::Hashtag h, store->GetHashtag("cats"));  // h.videos
//   FORYOU_ASSIGN_OR_RETURN(auto page, store->VideosByCreator(v.creator, 30));  // newest first
//   FORYOU_ASSIGN_OR_RETURN(auto next, store->ListVideos(page.back().id, 100));
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "catalog/challenge.h"
#include "catalog/changelog_record.h"
#include "catalog/types.h"
#include "common/mutex.h"

namespace rocksdb {
class DB;
}

namespace foryou::catalog {

// Owns its RocksDB instance (closed by the destructor). Thread-safe: every method may be called
// from any thread. Writes serialize on one mutex (each is a read-modify-write of records and
// counts, committed as one atomic RocksDB WriteBatch); reads go straight to RocksDB and never
// wait for writers. A scan (ForEach*, List*, VideosBy*) reads one consistent snapshot.
//
// Invariants (kept by every write, see docs/design/catalog.md):
//   * every video's creator has a Creator record and its non-empty sound a Sound record;
//   * Hashtag(t).videos == the number of videos whose hashtags contain t; a hashtag record
//     exists iff that number is > 0;
//   * the by-creator / by-sound / by-hashtag / by-original index holds exactly one key per
//     (video, value).
// Every error leaves the store unchanged. Every write is synced before it returns OK (Write()
// lets a bulk import sync only its last batch).
// The ids one committed write touched, for a listener (CatalogStore::SetListener).
struct CatalogChange {
  std::vector<std::string> users, videos, creators, sounds, hashtags;
  std::vector<std::string> challenges;  // written through ApplyChangelog only
  // A write of another store (ApplyChangelog): caches of users must read them again.
  bool replicated = false;
  bool empty() const {
    return users.empty() && videos.empty() && creators.empty() && sounds.empty() &&
           hashtags.empty() && challenges.empty();
  }
};

class CatalogStore {
 public:
  using Listener = std::function<void(const CatalogChange&)>;

  // Opens (creating if missing) the store in `dir`, counts users and videos. Errors:
  // Unavailable from RocksDB (including a store already open, in this process or another),
  // FailedPrecondition for a store of another format version.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<CatalogStore>> Open(const std::string& dir);
  ~CatalogStore();
  CatalogStore(const CatalogStore&) = delete;
  CatalogStore& operator=(const CatalogStore&) = delete;

  // ---- Users ----
  // AlreadyExists if a user with this id exists.
  [[nodiscard]] absl::Status CreateUser(const User& user);
  // Insert or replace.
  [[nodiscard]] absl::Status PutUser(const User& user);
  // NotFound "user 'x' not found"; DataLoss if the stored record does not decode.
  [[nodiscard]] absl::StatusOr<User> GetUser(std::string_view id) const;
  // Removes the user's record (synced); the id may then be created again. NotFound if absent.
  // Users have no index keys and no other record names them, so this is the only row.
  [[nodiscard]] absl::Status DeleteUser(std::string_view id);

  // ---- Videos ----
  // AlreadyExists for a duplicate id; NotFound if duet_of / stitch_of names an unknown video;
  // InvalidArgument for an invalid id, creator, sound or hashtag. Creates the Creator (name =
  // id, created_ms = upload_ms) and Sound (creator = this video's) if new, counts the hashtags
  // and adds the index keys, all in one atomic batch.
  [[nodiscard]] absl::Status CreateVideo(const Video& video);
  // Insert or replace, with the checks and side effects of CreateVideo; a replaced video's old
  // hashtags are uncounted and its old index keys removed.
  [[nodiscard]] absl::Status PutVideo(const Video& video);
  // NotFound / DataLoss as GetUser.
  [[nodiscard]] absl::StatusOr<Video> GetVideo(std::string_view id) const;
  // NotFound if the video does not exist.
  [[nodiscard]] absl::Status SetModeration(std::string_view id, Moderation moderation);

  // ---- Creators, sounds, hashtags ----
  [[nodiscard]] absl::Status PutCreator(const Creator& creator);  // insert or replace
  [[nodiscard]] absl::Status PutSound(const Sound& sound);        // insert or replace
  [[nodiscard]] absl::StatusOr<Creator> GetCreator(std::string_view id) const;
  [[nodiscard]] absl::StatusOr<Sound> GetSound(std::string_view id) const;
  // `name` is the canonical hashtag (no '#', lower case; see NormalizeHashtag).
  [[nodiscard]] absl::StatusOr<Hashtag> GetHashtag(std::string_view name) const;

  // ---- Challenges (challenge_store.cc) ----
  // Each checked by ValidateChallenge (InvalidArgument) and written synced, one key per
  // challenge; the listener is not called (no video, count or index changes).
  // AlreadyExists if a challenge with this name exists.
  [[nodiscard]] absl::Status CreateChallenge(const Challenge& challenge);
  // Replaces an existing challenge; NotFound if there is none of that name.
  [[nodiscard]] absl::Status UpdateChallenge(const Challenge& challenge);
  // NotFound "challenge 'x' not found"; DataLoss if the stored record does not decode.
  [[nodiscard]] absl::StatusOr<Challenge> GetChallenge(std::string_view name) const;
  // Every challenge (one snapshot, by name), ended ones included.
  [[nodiscard]] absl::Status ForEachChallenge(
      const std::function<void(const Challenge&)>& fn) const;

  // ---- Bulk ----
  // Upserts of many records as one atomic WriteBatch: users, then creators, then sounds, then
  // videos (each with PutVideo's checks and side effects; a duet_of may name a video earlier
  // in the same batch; the same id twice: the later wins). `sync` = false leaves the batch in
  // RocksDB's WAL without fsync (a crash may lose it; a later synced write makes it durable).
  struct Batch {
    std::vector<User> users;
    std::vector<Creator> creators;
    std::vector<Sound> sounds;
    std::vector<Video> videos;
  };
  [[nodiscard]] absl::Status Write(const Batch& batch, bool sync);
  // Makes every earlier Write(..., sync = false) durable (fsyncs RocksDB's WAL).
  [[nodiscard]] absl::Status Sync();

  // ---- Scans (one consistent snapshot each; ordered by id, bytewise) ----
  // Calls `fn` for every record, outside the store's lock (fn may call the store). Stops with
  // DataLoss at a record that does not decode.
  [[nodiscard]] absl::Status ForEachVideo(const std::function<void(const Video&)>& fn) const;
  [[nodiscard]] absl::Status ForEachUser(const std::function<void(const User&)>& fn) const;
  // Every hashtag with its video count, by name (the sign-up page's list of interests).
  [[nodiscard]] absl::Status ForEachHashtag(const std::function<void(const Hashtag&)>& fn) const;
  // Up to `limit` (>= 1, else InvalidArgument) records with id > after_id ("" = from the
  // start); pass the last id returned to get the next page.
  [[nodiscard]] absl::StatusOr<std::vector<Video>> ListVideos(std::string_view after_id,
                                                              int limit) const;
  [[nodiscard]] absl::StatusOr<std::vector<User>> ListUsers(std::string_view after_id,
                                                            int limit) const;
  // Up to `limit` of the videos of one creator / sound / hashtag, newest upload_ms first (ties
  // by id). Every moderation state is included: the caller filters. Empty if none.
  static constexpr int kNoLimit = std::numeric_limits<int>::max();
  [[nodiscard]] absl::StatusOr<std::vector<Video>> VideosByCreator(std::string_view creator,
                                                                   int limit = kNoLimit) const;
  [[nodiscard]] absl::StatusOr<std::vector<Video>> VideosBySound(std::string_view sound,
                                                                 int limit = kNoLimit) const;
  [[nodiscard]] absl::StatusOr<std::vector<Video>> VideosByHashtag(std::string_view hashtag,
                                                                   int limit = kNoLimit) const;
  // The videos whose duet_of or stitch_of is `original`, in the same order.
  [[nodiscard]] absl::StatusOr<std::vector<Video>> VideosByOriginal(std::string_view original,
                                                                    int limit = kNoLimit) const;

  // ---- Listener ----
  // `listener` is called after every committed write, outside the store's lock, on the writing
  // thread, with the ids the write touched (a created or replaced record, a deleted user, a
  // hashtag whose count changed). Two writes may call it in either order: a listener reads the
  // records back (Get*) rather than trusting the order of calls. Replaces any earlier
  // listener; null removes it. Writes made before it was set are not replayed.
  void SetListener(Listener listener) ABSL_LOCKS_EXCLUDED(listener_mu_);

  // ---- Replication (docs/design/catalog.md, "Replication") ----
  // From now on every write hands its records to `writer` (under the write lock, after its
  // checks, before RocksDB) and is refused with the writer's error, writing nothing, when the
  // writer fails. null: none (the default). `writer` must outlive the store or be unset first.
  void SetChangelog(ChangelogWriter* writer) ABSL_LOCKS_EXCLUDED(mu_);
  // Applies the records of one replicated write (another store's, or this store's own coming
  // back) as one atomic batch, together with `position` (opaque bytes, read back by
  // ChangelogPosition), without handing them to the changelog writer. A record equal to what
  // the store holds (same bytes; a deletion of an absent user) is left out, so a write applied
  // twice changes nothing the second time; the listener hears of the others only. Each record
  // takes the side effects of the write that made it (counts, indexes, a missing creator or
  // sound), but a duet_of / stitch_of need not exist (compaction may order an original after
  // its duet). Returns how many records changed the store. InvalidArgument (nothing written)
  // for a record that does not decode or has an unknown key; the caller may skip it by
  // applying no records with the next position.
  [[nodiscard]] absl::StatusOr<uint64_t> ApplyChangelog(const std::vector<ChangelogRecord>& records,
                                                        std::string_view position)
      ABSL_LOCKS_EXCLUDED(mu_);
  // The position of the last ApplyChangelog ("" if none).
  [[nodiscard]] absl::StatusOr<std::string> ChangelogPosition() const;

  uint64_t num_videos() const { return num_videos_.load(std::memory_order_relaxed); }
  uint64_t num_users() const { return num_users_.load(std::memory_order_relaxed); }
  const std::string& dir() const { return dir_; }

 private:
  class Txn;  // the staging of one write (catalog_store.cc)

  CatalogStore(std::string dir, std::unique_ptr<rocksdb::DB> db);
  // Runs `stage` on a fresh Txn under mu_, hands its records to the changelog writer (unless
  // `position` is set: a replicated write, which stores *position instead), then commits it
  // (synced if `sync`) and updates the counters. Nothing is written if `stage` or the writer
  // fails.
  absl::Status Commit(const std::function<absl::Status(Txn&)>& stage, bool sync,
                      const std::string* position = nullptr) ABSL_LOCKS_EXCLUDED(mu_);
  absl::Status WriteChallenge(const Challenge& challenge, bool must_exist) ABSL_LOCKS_EXCLUDED(mu_);
  absl::StatusOr<std::vector<Video>> VideosByIndex(std::string_view index_prefix,
                                                   std::string_view name, int limit) const;

  const std::string dir_;
  const std::unique_ptr<rocksdb::DB> db_;
  // Serializes writes: each is a read-modify-write of RocksDB records, not of a field here.
  common::Mutex mu_;
  std::atomic<uint64_t> num_videos_{0};
  ChangelogWriter* changelog_ ABSL_GUARDED_BY(mu_) = nullptr;
  mutable common::Mutex listener_mu_;
  std::shared_ptr<const Listener> listener_ ABSL_GUARDED_BY(listener_mu_);
  std::atomic<uint64_t> num_users_{0};
};

}  // namespace foryou::catalog
