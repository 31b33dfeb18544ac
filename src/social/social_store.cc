// SocialStore: the keys and records of docs/formats/social.md over RocksDB (see the header).
//
// HOW A CHANGE IS WRITTEN
// Every change (a chunk of log records, one comment, one deletion) is built in a Txn: reads see
// the Txn's own earlier writes (an overlay over the database), so several events on one video in
// a chunk add up; Commit writes the whole overlay as one WriteBatch. Log chunks carry the new
// applied offset in that batch, so a crash leaves the store either before the chunk (the next
// CatchUp applies it again, from the log) or after it, never between.
#include "social/social_store.h"

#include <algorithm>
#include <map>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/file_util.h"
#include "common/status_macros.h"
#include "nlohmann/json.hpp"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"

namespace foryou::social {
namespace {

using nlohmann::json;

constexpr char kFormatKey[] = "fmt";
constexpr char kFormat[] = "1";
constexpr char kOffsetKey[] = "off";
constexpr char kNextIdKey[] = "nid";
constexpr int kVideoCounts = 5;  // likes, comments, shares, views, favorites
constexpr int kUserCounts = 3;   // followers, following, likes received
constexpr size_t kCatchUpChunk = 1024;

// Parts joined by NUL (ids never hold one), so "lk\0a\0" never matches user "ab".
std::string K(std::initializer_list<std::string_view> parts) {
  std::string k;
  for (std::string_view p : parts) {
    if (!k.empty()) k.push_back('\0');
    k.append(p);
  }
  return k;
}
absl::string_view A(std::string_view s) { return absl::string_view(s.data(), s.size()); }
std::string Prefix(std::string_view tag, std::string_view id) { return K({tag, id}) + '\0'; }

std::string BE(uint64_t v) {
  std::string s(8, '\0');
  for (int i = 7; i >= 0; --i, v >>= 8) s[i] = static_cast<char>(v & 0xff);
  return s;
}
uint64_t FromBE(std::string_view s) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8 && i < s.size(); ++i) v = (v << 8) | static_cast<uint8_t>(s[i]);
  return v;
}
// Newest first: a later time sorts earlier.
std::string Newest(int64_t t) { return BE(~static_cast<uint64_t>(t)); }
int64_t FromNewest(std::string_view s) { return static_cast<int64_t>(~FromBE(s)); }

absl::Status FromRocks(const rocksdb::Status& s, std::string_view what) {
  if (s.ok()) return absl::OkStatus();
  if (s.IsCorruption()) return absl::DataLossError(absl::StrCat("social store: ", A(what), ": ", s.ToString()));
  return absl::UnavailableError(absl::StrCat("social store: ", A(what), ": ", s.ToString()));
}

json CommentJson(const Comment& c) {
  return {{"video", c.video}, {"author", c.author}, {"parent", c.parent}, {"text", c.text},
          {"time_ms", c.time_ms}, {"likes", c.likes}, {"replies", c.replies},
          {"deleted", c.deleted}, {"pinned", c.pinned}};
}
absl::StatusOr<Comment> ParseComment(std::string_view id, std::string_view value) {
  json j = json::parse(value, nullptr, false);
  if (!j.is_object()) return absl::DataLossError(absl::StrCat("social store: comment ", A(id), " undecodable"));
  Comment c;
  c.id = id;
  c.video = j.value("video", "");
  c.author = j.value("author", "");
  c.parent = j.value("parent", "");
  c.text = j.value("text", "");
  c.time_ms = j.value("time_ms", int64_t{0});
  c.likes = j.value("likes", int64_t{0});
  c.replies = j.value("replies", int64_t{0});
  c.deleted = j.value("deleted", false);
  c.pinned = j.value("pinned", false);
  return c;
}

}  // namespace

std::string UserOfLogged(std::string_view logged) {
  const size_t hash = logged.rfind('#');
  if (hash == std::string_view::npos || hash + 1 == logged.size()) return std::string(logged);
  for (char c : logged.substr(hash + 1)) {
    if (c < '0' || c > '9') return std::string(logged);
  }
  return std::string(logged.substr(0, hash));
}

// A change in the making: reads see its own writes (see the file comment).
class SocialStore::Txn {
 public:
  explicit Txn(rocksdb::DB* db) : db_(db) {}

  std::optional<std::string> Get(const std::string& key) {
    if (auto it = overlay_.find(key); it != overlay_.end()) return it->second;
    std::string value;
    rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), key, &value);
    if (s.IsNotFound()) return std::nullopt;
    if (!s.ok()) {
      if (status_.ok()) status_ = FromRocks(s, "read");
      return std::nullopt;
    }
    return value;
  }
  void Put(const std::string& key, std::string value) { overlay_[key] = std::move(value); }
  void Delete(const std::string& key) { overlay_[key] = std::nullopt; }

  std::vector<int64_t> Ints(const std::string& key, int n) {
    std::vector<int64_t> v(n, 0);
    if (std::optional<std::string> s = Get(key)) {
      for (int i = 0; i < n && static_cast<size_t>(i + 1) * 8 <= s->size(); ++i) {
        v[i] = static_cast<int64_t>(FromBE(std::string_view(*s).substr(i * 8, 8)));
      }
    }
    return v;
  }
  // Adds `delta` to counter `i` of `n` at `key`, never below 0.
  void Add(const std::string& key, int i, int64_t delta, int n) {
    std::vector<int64_t> v = Ints(key, n);
    v[i] = std::max<int64_t>(0, v[i] + delta);
    std::string s;
    for (int64_t x : v) s += BE(static_cast<uint64_t>(x));
    Put(key, std::move(s));
  }

  absl::StatusOr<Comment> GetComment(std::string_view id) {
    std::optional<std::string> v = Get(K({"c", id}));
    if (!status_.ok()) return status_;
    if (!v) return absl::NotFoundError(absl::StrCat("comment '", A(id), "' not found"));
    return ParseComment(id, *v);
  }
  void PutComment(const Comment& c) { Put(K({"c", c.id}), CommentJson(c).dump()); }

  const absl::Status& status() const { return status_; }
  rocksdb::WriteBatch Batch() const {
    rocksdb::WriteBatch b;
    for (const auto& [k, v] : overlay_) {
      if (v) {
        b.Put(k, *v);
      } else {
        b.Delete(k);
      }
    }
    return b;
  }

 private:
  rocksdb::DB* db_;
  std::map<std::string, std::optional<std::string>> overlay_;
  absl::Status status_;
};

namespace {

// Calls fn(suffix, value) for every key under `prefix`, in key order, until it returns false.
absl::Status ForEach(rocksdb::DB* db, const std::string& prefix, std::string_view from,
                     const std::function<bool(std::string_view, std::string_view)>& fn) {
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions()));
  const std::string start = prefix + std::string(from);
  for (it->Seek(start); it->Valid(); it->Next()) {
    const std::string_view key(it->key().data(), it->key().size());
    if (key.substr(0, prefix.size()) != prefix) break;
    if (!fn(key.substr(prefix.size()), std::string_view(it->value().data(), it->value().size()))) {
      break;
    }
  }
  return FromRocks(it->status(), "scan");
}

// One page under `prefix` from `cursor` (hex of the first suffix to read): `count` items that
// `take` accepts, and the cursor of the next item.
absl::Status ScanPage(rocksdb::DB* db, const std::string& prefix, std::string_view cursor,
                      int count, const std::function<bool(std::string_view, std::string_view)>& take,
                      std::string* next) {
  std::string from;
  if (!cursor.empty()) {
    // An opaque cursor is the hex of the next key's suffix; anything else is refused.
    const bool hex = cursor.size() % 2 == 0 && std::all_of(cursor.begin(), cursor.end(), [](char c) {
      return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
    });
    if (!hex) return absl::InvalidArgumentError("cursor: not a cursor of this list");
    from = absl::HexStringToBytes(A(cursor));
  }
  int taken = 0;
  next->clear();
  return ForEach(db, prefix, from, [&](std::string_view suffix, std::string_view value) {
    if (taken == count) {
      *next = absl::BytesToHexString(A(suffix));
      return false;
    }
    if (take(suffix, value)) ++taken;
    return true;
  });
}

absl::StatusOr<Page<Entry>> TimedPage(rocksdb::DB* db, const std::string& prefix,
                                      std::string_view cursor, int count) {
  Page<Entry> page;
  FORYOU_RETURN_IF_ERROR(ScanPage(
      db, prefix, cursor, count,
      [&](std::string_view suffix, std::string_view) {
        if (suffix.size() < 8) return false;
        page.items.push_back({std::string(suffix.substr(8)), FromNewest(suffix.substr(0, 8))});
        return true;
      },
      &page.next_cursor));
  return page;
}

absl::StatusOr<Page<Entry>> IdPage(rocksdb::DB* db, const std::string& prefix,
                                   std::string_view cursor, int count) {
  Page<Entry> page;
  FORYOU_RETURN_IF_ERROR(ScanPage(
      db, prefix, cursor, count,
      [&](std::string_view suffix, std::string_view value) {
        page.items.push_back({std::string(suffix), static_cast<int64_t>(FromBE(value))});
        return true;
      },
      &page.next_cursor));
  return page;
}

}  // namespace

// ---- Open ----

absl::StatusOr<std::unique_ptr<SocialStore>> SocialStore::Open(const std::string& dir,
                                                               CreatorOf creator_of) {
  FORYOU_RETURN_IF_ERROR(common::MakeDirs(dir));
  rocksdb::Options options;
  options.create_if_missing = true;
  options.max_background_jobs = 2;
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
  uint64_t applied = 0, next_id = 1;
  if (db->Get(rocksdb::ReadOptions(), kOffsetKey, &value).ok()) applied = FromBE(value);
  if (db->Get(rocksdb::ReadOptions(), kNextIdKey, &value).ok()) next_id = FromBE(value);
  return std::unique_ptr<SocialStore>(
      new SocialStore(std::move(db), std::move(creator_of), applied, next_id));
}

SocialStore::SocialStore(std::unique_ptr<rocksdb::DB> db, CreatorOf creator_of, uint64_t applied,
                         uint64_t next_id)
    : db_(std::move(db)), creator_of_(std::move(creator_of)), applied_(applied), next_id_(next_id) {}

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
  if (applied_ > log.EndOffset()) applied_ = log.EndOffset();
  for (;;) {
    // Records before the log's start are gone (retention): resume at the oldest kept.
    const uint64_t from = std::max(applied_, log.StartOffset());
    if (from >= log.EndOffset()) return absl::OkStatus();
    records.clear();
    FORYOU_RETURN_IF_ERROR(log.Read(from, kCatchUpChunk, &records));
    if (records.empty()) return absl::OkStatus();
    Txn txn(db_.get());
    const uint64_t saved_id = next_id_;
    for (const stream::LogRecord& r : records) {
      absl::StatusOr<stream::Event> e = stream::DecodeEvent(r.payload);
      if (e.ok()) ApplyEvent(*e, txn);
    }
    const uint64_t next = records.back().offset + 1;
    txn.Put(kOffsetKey, BE(next));
    if (absl::Status st = Commit(txn, /*sync=*/false); !st.ok()) {
      next_id_ = saved_id;
      return st;
    }
    applied_ = next;
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

namespace {
absl::StatusOr<bool> Exists(rocksdb::DB* db, const std::string& key) {
  std::string value;
  rocksdb::Status s = db->Get(rocksdb::ReadOptions(), key, &value);
  if (s.IsNotFound()) return false;
  FORYOU_RETURN_IF_ERROR(FromRocks(s, "read"));
  return true;
}
}  // namespace

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

// ---- Comments ----

absl::StatusOr<Comment> SocialStore::AddComment(std::string_view video, std::string_view author,
                                                std::string_view parent, std::string_view text,
                                                int64_t time_ms) {
  common::MutexLock lock(&mu_);
  Txn txn(db_.get());
  Comment parent_comment;
  if (!parent.empty()) {
    FORYOU_ASSIGN_OR_RETURN(parent_comment, txn.GetComment(parent));
    if (parent_comment.video != video) {
      return absl::InvalidArgumentError(
          absl::StrCat("parent: comment '", A(parent), "' is on another video"));
    }
    if (parent_comment.deleted) {
      return absl::FailedPreconditionError(absl::StrCat("parent: comment '", A(parent), "' was deleted"));
    }
  }
  const uint64_t saved_id = next_id_;
  const uint64_t n = next_id_++;
  Comment c{.id = absl::StrCat("c", n), .video = std::string(video), .author = std::string(author),
            .parent = std::string(parent), .text = std::string(text), .time_ms = time_ms};
  txn.PutComment(c);
  if (parent.empty()) {
    txn.Put(Prefix("ct", video) + Newest(time_ms) + BE(n), c.id);
  } else {
    txn.Put(Prefix("cr", parent) + BE(static_cast<uint64_t>(time_ms)) + BE(n), c.id);
    ++parent_comment.replies;
    txn.PutComment(parent_comment);
  }
  txn.Put(Prefix("ca", author) + BE(n), c.id);
  txn.Add(K({"vc", video}), 1, 1, kVideoCounts);
  const std::string creator = creator_of_(video);
  if (!parent.empty() && parent_comment.author != author) {
    AddInbox(txn, parent_comment.author, {.type = "reply", .actor = c.author, .video = c.video,
                                          .comment = c.id, .text = c.text, .time_ms = time_ms});
  }
  if (!creator.empty() && creator != author && (parent.empty() || creator != parent_comment.author)) {
    AddInbox(txn, creator, {.type = "comment", .actor = c.author, .video = c.video,
                            .comment = c.id, .text = c.text, .time_ms = time_ms});
  }
  if (absl::Status st = Commit(txn, /*sync=*/true); !st.ok()) {
    next_id_ = saved_id;
    return st;
  }
  return c;
}

absl::StatusOr<Comment> SocialStore::GetComment(std::string_view id) const {
  Txn txn(db_.get());
  return txn.GetComment(id);
}

absl::StatusOr<Page<Comment>> SocialStore::Comments(std::string_view video, std::string_view parent,
                                                    std::string_view cursor, int count) const {
  Page<Comment> page;
  Txn txn(db_.get());
  std::optional<std::string> pinned;
  if (parent.empty()) {
    pinned = txn.Get(K({"cp", video}));
    if (pinned && cursor.empty()) {
      absl::StatusOr<Comment> c = txn.GetComment(*pinned);
      if (c.ok()) {
        page.items.push_back(std::move(*c));
        --count;
      }
    }
  }
  absl::Status failed;
  FORYOU_RETURN_IF_ERROR(ScanPage(
      db_.get(), parent.empty() ? Prefix("ct", video) : Prefix("cr", parent), cursor,
      std::max(count, 0),
      [&](std::string_view, std::string_view id) {
        if (pinned && id == *pinned) return false;
        absl::StatusOr<Comment> c = txn.GetComment(id);
        if (!c.ok()) {
          if (failed.ok()) failed = c.status();
          return false;
        }
        page.items.push_back(std::move(*c));
        return true;
      },
      &page.next_cursor));
  FORYOU_RETURN_IF_ERROR(failed);
  return page;
}

absl::StatusOr<bool> SocialStore::CommentLiked(std::string_view user,
                                               std::string_view comment) const {
  return Exists(db_.get(), K({"cl", comment, user}));
}

absl::StatusOr<int64_t> SocialStore::SetCommentLike(std::string_view comment,
                                                    std::string_view user, bool like) {
  common::MutexLock lock(&mu_);
  Txn txn(db_.get());
  FORYOU_ASSIGN_OR_RETURN(Comment c, txn.GetComment(comment));
  if (c.deleted && like) {
    return absl::FailedPreconditionError(absl::StrCat("comment '", A(comment), "' was deleted"));
  }
  const std::string key = K({"cl", comment, user});
  if (txn.Get(key).has_value() != like) {
    if (like) {
      txn.Put(key, "");
      txn.Put(K({"cu", user, comment}), "");
    } else {
      txn.Delete(key);
      txn.Delete(K({"cu", user, comment}));
    }
    c.likes = std::max<int64_t>(0, c.likes + (like ? 1 : -1));
    txn.PutComment(c);
    FORYOU_RETURN_IF_ERROR(Commit(txn, /*sync=*/true));
  }
  return c.likes;
}

absl::Status SocialStore::SetPinned(std::string_view comment, bool pinned) {
  common::MutexLock lock(&mu_);
  Txn txn(db_.get());
  FORYOU_ASSIGN_OR_RETURN(Comment c, txn.GetComment(comment));
  if (pinned && (c.deleted || !c.parent.empty())) {
    return absl::FailedPreconditionError(
        absl::StrCat("comment '", A(comment), "': only a top-level comment that was not deleted can be pinned"));
  }
  if (c.pinned == pinned) return absl::OkStatus();
  const std::string key = K({"cp", c.video});
  if (pinned) {
    if (std::optional<std::string> old = txn.Get(key)) {
      absl::StatusOr<Comment> o = txn.GetComment(*old);
      if (o.ok()) {
        o->pinned = false;
        txn.PutComment(*o);
      }
    }
    txn.Put(key, c.id);
  } else {
    txn.Delete(key);
  }
  c.pinned = pinned;
  txn.PutComment(c);
  return Commit(txn, /*sync=*/true);
}

absl::Status SocialStore::DeleteComment(std::string_view comment) {
  common::MutexLock lock(&mu_);
  Txn txn(db_.get());
  FORYOU_ASSIGN_OR_RETURN(Comment c, txn.GetComment(comment));
  if (c.deleted) return absl::OkStatus();
  if (c.pinned) txn.Delete(K({"cp", c.video}));
  c.deleted = true;
  c.pinned = false;
  c.text.clear();
  txn.PutComment(c);
  txn.Add(K({"vc", c.video}), 1, -1, kVideoCounts);
  return Commit(txn, /*sync=*/true);
}

absl::Status SocialStore::ReportComment(std::string_view comment, std::string_view user,
                                        std::string_view reason, int64_t time_ms) {
  common::MutexLock lock(&mu_);
  Txn txn(db_.get());
  FORYOU_RETURN_IF_ERROR(txn.GetComment(comment).status());
  txn.Put(K({"cx", comment, user}), json({{"reason", reason}, {"time_ms", time_ms}}).dump());
  return Commit(txn, /*sync=*/true);
}

absl::StatusOr<std::vector<Comment>> SocialStore::CommentsBy(std::string_view user) const {
  std::vector<Comment> out;
  absl::Status failed;
  Txn txn(db_.get());
  FORYOU_RETURN_IF_ERROR(ForEach(db_.get(), Prefix("ca", user), "",
                                 [&](std::string_view, std::string_view id) {
    absl::StatusOr<Comment> c = txn.GetComment(id);
    if (c.ok()) out.push_back(std::move(*c));
    return true;
  }));
  return out;
}

// ---- Profiles ----

absl::StatusOr<Profile> SocialStore::GetProfile(std::string_view user) const {
  Txn txn(db_.get());
  std::optional<std::string> v = txn.Get(K({"p", user}));
  FORYOU_RETURN_IF_ERROR(txn.status());
  Profile p;
  if (!v) return p;
  json j = json::parse(*v, nullptr, false);
  if (!j.is_object()) return absl::DataLossError(absl::StrCat("social store: profile of ", A(user), " undecodable"));
  p.name = j.value("name", "");
  p.bio = j.value("bio", "");
  p.avatar_type = j.value("avatar_type", "");
  p.avatar_version = j.value("avatar_version", int64_t{0});
  return p;
}

absl::StatusOr<Profile> SocialStore::UpdateProfile(std::string_view user,
                                                   const std::optional<std::string>& name,
                                                   const std::optional<std::string>& bio,
                                                   const std::optional<std::string>& avatar,
                                                   std::string_view avatar_type) {
  common::MutexLock lock(&mu_);
  FORYOU_ASSIGN_OR_RETURN(Profile p, GetProfile(user));
  Txn txn(db_.get());
  if (name) p.name = *name;
  if (bio) p.bio = *bio;
  if (avatar) {
    if (avatar->empty()) {
      p.avatar_type.clear();
      txn.Delete(K({"pa", user}));
    } else {
      p.avatar_type = avatar_type;
      ++p.avatar_version;
      txn.Put(K({"pa", user}), *avatar);
    }
  }
  txn.Put(K({"p", user}), json({{"name", p.name}, {"bio", p.bio}, {"avatar_type", p.avatar_type},
                                {"avatar_version", p.avatar_version}}).dump());
  FORYOU_RETURN_IF_ERROR(Commit(txn, /*sync=*/true));
  return p;
}

absl::StatusOr<std::string> SocialStore::Avatar(std::string_view user) const {
  Txn txn(db_.get());
  std::optional<std::string> v = txn.Get(K({"pa", user}));
  FORYOU_RETURN_IF_ERROR(txn.status());
  if (!v) return absl::NotFoundError(absl::StrCat("user '", A(user), "' has no avatar"));
  return *v;
}

// ---- Inbox ----

absl::StatusOr<Page<InboxEntry>> SocialStore::Inbox(std::string_view user, std::string_view cursor,
                                                    int count) const {
  Page<InboxEntry> page;
  FORYOU_RETURN_IF_ERROR(ScanPage(
      db_.get(), Prefix("i", user), cursor, count,
      [&](std::string_view, std::string_view value) {
        json j = json::parse(value, nullptr, false);
        if (!j.is_object()) return false;
        page.items.push_back({j.value("type", ""), j.value("actor", ""), j.value("video", ""),
                              j.value("comment", ""), j.value("text", ""),
                              j.value("time_ms", int64_t{0})});
        return true;
      },
      &page.next_cursor));
  return page;
}

absl::StatusOr<int64_t> SocialStore::Unread(std::string_view user) const {
  Txn txn(db_.get());
  const int64_t n = txn.Ints(K({"iu", user}), 1)[0];
  FORYOU_RETURN_IF_ERROR(txn.status());
  return n;
}

absl::Status SocialStore::MarkRead(std::string_view user) {
  common::MutexLock lock(&mu_);
  Txn txn(db_.get());
  txn.Delete(K({"iu", user}));
  return Commit(txn, /*sync=*/true);
}

// ---- Accounts ----

absl::Status SocialStore::DeleteUser(std::string_view user) {
  common::MutexLock lock(&mu_);
  Txn txn(db_.get());
  rocksdb::DB* db = db_.get();
  std::vector<std::pair<std::string, std::string>> rows;  // (suffix, value) of one prefix
  auto collect = [&](const std::string& prefix) {
    rows.clear();
    return ForEach(db, prefix, "", [&](std::string_view s, std::string_view v) {
      rows.emplace_back(s, v);
      return true;
    });
  };
  // Likes: the videos' counts and their creators' received likes.
  FORYOU_RETURN_IF_ERROR(collect(Prefix("lk", user)));
  for (const auto& [video, t] : rows) {
    txn.Delete(K({"lk", user, video}));
    txn.Delete(Prefix("lt", user) + Newest(static_cast<int64_t>(FromBE(t))) + video);
    txn.Add(K({"vc", video}), 0, -1, kVideoCounts);
    const std::string creator = creator_of_(video);
    if (!creator.empty()) txn.Add(K({"uc", creator}), 2, -1, kUserCounts);
  }
  FORYOU_RETURN_IF_ERROR(collect(Prefix("fv", user)));
  for (const auto& [video, t] : rows) {
    txn.Delete(K({"fv", user, video}));
    txn.Delete(Prefix("ft", user) + Newest(static_cast<int64_t>(FromBE(t))) + video);
    txn.Add(K({"vc", video}), 4, -1, kVideoCounts);
  }
  // Follow edges, both sides.
  FORYOU_RETURN_IF_ERROR(collect(Prefix("fo", user)));
  for (const auto& [creator, t] : rows) {
    txn.Delete(K({"fo", user, creator}));
    txn.Delete(K({"fi", creator, user}));
    txn.Add(K({"uc", creator}), 0, -1, kUserCounts);
  }
  FORYOU_RETURN_IF_ERROR(collect(Prefix("fi", user)));
  for (const auto& [follower, t] : rows) {
    txn.Delete(K({"fi", user, follower}));
    txn.Delete(K({"fo", follower, user}));
    txn.Add(K({"uc", follower}), 1, -1, kUserCounts);
  }
  // Their likes of comments.
  FORYOU_RETURN_IF_ERROR(collect(Prefix("cu", user)));
  for (const auto& [comment, v] : rows) {
    txn.Delete(K({"cu", user, comment}));
    txn.Delete(K({"cl", comment, user}));
    absl::StatusOr<Comment> c = txn.GetComment(comment);
    if (!c.ok()) continue;
    c->likes = std::max<int64_t>(0, c->likes - 1);
    txn.PutComment(*c);
  }
  // Their comments: marked deleted (replies of others stay in place).
  FORYOU_RETURN_IF_ERROR(collect(Prefix("ca", user)));
  for (const auto& [n, id] : rows) {
    absl::StatusOr<Comment> c = txn.GetComment(id);
    if (!c.ok() || c->deleted) continue;
    if (c->pinned) txn.Delete(K({"cp", c->video}));
    c->deleted = true;
    c->pinned = false;
    c->text.clear();
    c->author.clear();
    txn.PutComment(*c);
    txn.Add(K({"vc", c->video}), 1, -1, kVideoCounts);
  }
  for (const auto& [n, id] : rows) txn.Delete(Prefix("ca", user) + n);
  FORYOU_RETURN_IF_ERROR(collect(Prefix("i", user)));
  for (const auto& [suffix, v] : rows) txn.Delete(Prefix("i", user) + suffix);
  for (const char* tag : {"p", "pa", "uc", "iu"}) txn.Delete(K({tag, user}));
  return Commit(txn, /*sync=*/true);
}

absl::StatusOr<std::vector<Entry>> SocialStore::AllLikes(std::string_view user) const {
  FORYOU_ASSIGN_OR_RETURN(Page<Entry> p, TimedPage(db_.get(), Prefix("lt", user), "", INT32_MAX));
  return p.items;
}
absl::StatusOr<std::vector<Entry>> SocialStore::AllFavorites(std::string_view user) const {
  FORYOU_ASSIGN_OR_RETURN(Page<Entry> p, TimedPage(db_.get(), Prefix("ft", user), "", INT32_MAX));
  return p.items;
}
absl::StatusOr<std::vector<Entry>> SocialStore::AllFollowing(std::string_view user) const {
  FORYOU_ASSIGN_OR_RETURN(Page<Entry> p, IdPage(db_.get(), Prefix("fo", user), "", INT32_MAX));
  return p.items;
}

}  // namespace foryou::social
