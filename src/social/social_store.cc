// SocialStore: the keys and records of docs/formats/social.md over RocksDB (see the header).
//
// HOW A CHANGE IS WRITTEN
// Every change (a chunk of log records, one comment, one deletion) is built in a Txn: reads see
// the Txn's own earlier writes (an overlay over the database), so several events on one video in
// a chunk add up; Commit writes the whole overlay as one WriteBatch. Log chunks carry the new
// applied offset in that batch, so a crash leaves the store either before the chunk (the next
// CatchUp applies it again, from the log) or after it, never between.
#include "social/social_store.h"

#include "common/file_util.h"
#include "common/rocksdb_options.h"
#include "social/social_store_internal.h"

namespace foryou::social {

std::string UserOfLogged(std::string_view logged) {
  const size_t hash = logged.rfind('#');
  if (hash == std::string_view::npos || hash + 1 == logged.size()) return std::string(logged);
  for (char c : logged.substr(hash + 1)) {
    if (c < '0' || c > '9') return std::string(logged);
  }
  return std::string(logged.substr(0, hash));
}


// ---- Open ----

absl::StatusOr<std::unique_ptr<SocialStore>> SocialStore::Open(const std::string& dir,
                                                               CreatorOf creator_of) {
  FORYOU_RETURN_IF_ERROR(common::MakeDirs(dir));
  rocksdb::Options options = common::StoreOptions();
  rocksdb::DB* raw = nullptr;
  FORYOU_RETURN_IF_ERROR(FromRocks(rocksdb::DB::Open(options, dir, &raw), absl::StrCat("open ", dir)));
  std::unique_ptr<rocksdb::DB> db(raw);
  std::string value;
  rocksdb::Status s = db->Get(rocksdb::ReadOptions(), kFormatKey, &value);
  if (s.IsNotFound()) {
    rocksdb::WriteOptions wo;
    wo.sync = true;
    FORYOU_RETURN_IF_ERROR(FromRocks(db->Put(wo, kFormatKey, kFormat), "write format"));
  } else if (!s.ok()) {
    return FromRocks(s, "read format");
  } else if (value != kFormat) {
    return absl::FailedPreconditionError(absl::StrCat("social store ", dir, ": format '", value,
                                                      "', this build reads '", kFormat, "'"));
  }
  // A store written before the creator's numbers existed has no `soff`: they start at 0 and
  // CatchUp rebuilds them from the log's start.
  uint64_t applied = 0, stats_applied = 0, next_id = 1;
  if (db->Get(rocksdb::ReadOptions(), kOffsetKey, &value).ok()) applied = FromBE(value);
  if (db->Get(rocksdb::ReadOptions(), kStatsOffsetKey, &value).ok()) stats_applied = FromBE(value);
  if (db->Get(rocksdb::ReadOptions(), kNextIdKey, &value).ok()) next_id = FromBE(value);
  return std::unique_ptr<SocialStore>(
      new SocialStore(std::move(db), std::move(creator_of), applied, stats_applied, next_id));
}

SocialStore::SocialStore(std::unique_ptr<rocksdb::DB> db, CreatorOf creator_of, uint64_t applied,
                         uint64_t stats_applied, uint64_t next_id)
    : db_(std::move(db)),
      creator_of_(std::move(creator_of)),
      applied_(applied),
      stats_applied_(stats_applied),
      next_id_(next_id) {}

SocialStore::~SocialStore() = default;

absl::Status SocialStore::Commit(Txn& txn, bool sync) {
  FORYOU_RETURN_IF_ERROR(txn.status());
  txn.Put(kNextIdKey, BE(next_id_));
  rocksdb::WriteBatch batch = txn.Batch();
  rocksdb::WriteOptions wo;
  wo.sync = sync;
  return FromRocks(db_->Write(wo, &batch), "write");
}

// ---- The event log ----

uint64_t SocialStore::applied_offset() const {
  common::MutexLock lock(&mu_);
  return applied_;
}

absl::Status SocialStore::CatchUp(stream::EventLog& log) {
  common::MutexLock lock(&mu_);
  std::vector<stream::LogRecord> records;
  // A log that lost its unsynced tail in a crash ends before the stored offset: the offsets it
  // gives next are new records.
  applied_ = std::min(applied_, log.EndOffset());
  stats_applied_ = std::min(stats_applied_, log.EndOffset());
  for (;;) {
    // Records before the log's start are gone (retention): resume at the oldest kept. The
    // creator's numbers may be behind the other counts (a store written before they existed):
    // a record is applied to each side whose offset it is not yet behind.
    const uint64_t from = std::max(std::min(applied_, stats_applied_), log.StartOffset());
    if (from >= log.EndOffset()) return absl::OkStatus();
    records.clear();
    FORYOU_RETURN_IF_ERROR(log.Read(from, kCatchUpChunk, &records));
    if (records.empty()) return absl::OkStatus();
    Txn txn(db_.get());
    const uint64_t saved_id = next_id_;
    for (const stream::LogRecord& r : records) {
      absl::StatusOr<stream::Event> e = stream::DecodeEvent(r.payload);
      if (!e.ok()) continue;
      if (r.offset >= applied_) ApplyEvent(*e, txn);
      if (r.offset >= stats_applied_) ApplyStats(*e, txn);
    }
    const uint64_t next = records.back().offset + 1;
    const uint64_t applied = std::max(applied_, next);
    const uint64_t stats_applied = std::max(stats_applied_, next);
    txn.Put(kOffsetKey, BE(applied));
    txn.Put(kStatsOffsetKey, BE(stats_applied));
    if (absl::Status st = Commit(txn, /*sync=*/false); !st.ok()) {
      next_id_ = saved_id;
      return st;
    }
    applied_ = applied;
    stats_applied_ = stats_applied;
  }
}

void SocialStore::AddInbox(Txn& txn, std::string_view user, const InboxEntry& entry) {
  json j = {{"type", entry.type}, {"actor", entry.actor}, {"time_ms", entry.time_ms}};
  if (!entry.video.empty()) j["video"] = entry.video;
  if (!entry.comment.empty()) j["comment"] = entry.comment;
  if (!entry.text.empty()) j["text"] = entry.text;
  txn.Put(Prefix("i", user) + Newest(entry.time_ms) + BE(next_id_++), j.dump());
  txn.Add(K({"iu", user}), 0, 1, 1);
}

void SocialStore::ApplyEvent(const stream::Event& e, Txn& txn) {
  using stream::EventType;
  const std::string user = UserOfLogged(e.user);
  const std::string counts = K({"vc", e.video});
  // like / favorite: a state per (user, video) with a newest-first list beside it.
  auto set_state = [&](std::string_view state, std::string_view list, int counter, bool on) {
    const std::string key = K({state, user, e.video});
    std::optional<std::string> was = txn.Get(key);
    if (was.has_value() == on) return false;
    if (on) {
      txn.Put(key, BE(static_cast<uint64_t>(e.time_ms)));
      txn.Put(Prefix(list, user) + Newest(e.time_ms) + e.video, "");
    } else {
      txn.Delete(key);
      txn.Delete(Prefix(list, user) + Newest(static_cast<int64_t>(FromBE(*was))) + e.video);
    }
    txn.Add(counts, counter, on ? 1 : -1, kVideoCounts);
    return true;
  };
  switch (e.type) {
    case EventType::kLike:
    case EventType::kUnlike: {
      const bool on = e.type == EventType::kLike;
      if (!set_state("lk", "lt", 0, on)) break;
      const std::string creator = creator_of_(e.video);
      if (creator.empty()) break;
      txn.Add(K({"uc", creator}), 2, on ? 1 : -1, kUserCounts);
      if (on && creator != user) {
        AddInbox(txn, creator, {.type = "like", .actor = user, .video = e.video, .time_ms = e.time_ms});
      }
      break;
    }
    case EventType::kFavorite: set_state("fv", "ft", 4, true); break;
    case EventType::kShare: txn.Add(counts, 2, 1, kVideoCounts); break;
    case EventType::kPlay: txn.Add(counts, 3, 1, kVideoCounts); break;
    case EventType::kFollow:
    case EventType::kUnfollow: {
      const bool on = e.type == EventType::kFollow;
      if (e.creator.empty() || e.creator == user) break;
      const std::string out = K({"fo", user, e.creator}), in = K({"fi", e.creator, user});
      if (txn.Get(out).has_value() == on) break;
      if (on) {
        txn.Put(out, BE(static_cast<uint64_t>(e.time_ms)));
        txn.Put(in, BE(static_cast<uint64_t>(e.time_ms)));
        AddInbox(txn, e.creator, {.type = "follow", .actor = user, .time_ms = e.time_ms});
      } else {
        txn.Delete(out);
        txn.Delete(in);
      }
      txn.Add(K({"uc", user}), 1, on ? 1 : -1, kUserCounts);
      txn.Add(K({"uc", e.creator}), 0, on ? 1 : -1, kUserCounts);
      break;
    }
    default: break;  // a `comment` event is a training signal only (docs/design/social.md)
  }
}

// ---- Reads ----

absl::StatusOr<VideoCounts> SocialStore::Counts(std::string_view video) const {
  Txn txn(db_.get());
  std::vector<int64_t> v = txn.Ints(K({"vc", video}), kVideoCounts);
  FORYOU_RETURN_IF_ERROR(txn.status());
  return VideoCounts{v[0], v[1], v[2], v[3], v[4]};
}

absl::StatusOr<UserCounts> SocialStore::CountsOf(std::string_view user) const {
  Txn txn(db_.get());
  std::vector<int64_t> v = txn.Ints(K({"uc", user}), kUserCounts);
  FORYOU_RETURN_IF_ERROR(txn.status());
  return UserCounts{v[0], v[1], v[2]};
}


absl::StatusOr<bool> SocialStore::Liked(std::string_view user, std::string_view video) const {
  return Exists(db_.get(), K({"lk", user, video}));
}
absl::StatusOr<bool> SocialStore::Favorited(std::string_view user, std::string_view video) const {
  return Exists(db_.get(), K({"fv", user, video}));
}
absl::StatusOr<bool> SocialStore::Follows(std::string_view user, std::string_view creator) const {
  return Exists(db_.get(), K({"fo", user, creator}));
}
absl::StatusOr<Page<Entry>> SocialStore::LikedVideos(std::string_view user, std::string_view cursor,
                                                     int count) const {
  return TimedPage(db_.get(), Prefix("lt", user), cursor, count);
}
absl::StatusOr<Page<Entry>> SocialStore::FavoriteVideos(std::string_view user,
                                                        std::string_view cursor, int count) const {
  return TimedPage(db_.get(), Prefix("ft", user), cursor, count);
}
absl::StatusOr<Page<Entry>> SocialStore::Followers(std::string_view user, std::string_view cursor,
                                                   int count) const {
  return IdPage(db_.get(), Prefix("fi", user), cursor, count);
}
absl::StatusOr<Page<Entry>> SocialStore::Following(std::string_view user, std::string_view cursor,
                                                   int count) const {
  return IdPage(db_.get(), Prefix("fo", user), cursor, count);
}

}  // namespace foryou::social
