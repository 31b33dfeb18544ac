// SocialStore: what people do to each other's videos and to each other, readable back: per-video
// counts, comments and their likes, likes and favorites per user, follow edges both ways,
// profiles, and each user's inbox, in one RocksDB database (docs/formats/social.md).
//
// Two ways in (docs/design/social.md):
//   * CatchUp(log) materialises the event log (likes, unlikes, favorites, shares, plays,
//     follows, unfollows; impressions, plays and skips for the creator's numbers): it applies
//     the records after the stored offset, and the new offset goes into the same write batch as
//     their changes, so each record is applied exactly once however the process stops. A
//     `comment` event is a training signal only here.
//   * Comments, comment likes, pins, reports and profiles are written directly (synced).
// Likes, favorites and follows are states: a second like of the same video changes nothing.
// Every list is a page over one key range from a cursor: no request reads more than a page.
//
// Thread-safe: writes are serialised by one lock; reads go to RocksDB without it.
//
// Example:
//   FORYOU_ASSIGN_OR_RETURN(auto social, SocialStore::Open(dir + "/social", creator_of));
//   FORYOU_RETURN_IF_ERROR(social->CatchUp(log));
//   FORYOU_ASSIGN_OR_RETURN(VideoCounts c, social->Counts("v1"));
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/mutex.h"
#include "stream/event.h"
#include "stream/event_log.h"

namespace rocksdb {
class DB;
}

namespace foryou::social {

struct VideoCounts {
  int64_t likes = 0, comments = 0, shares = 0, views = 0, favorites = 0;
};

// The surfaces a creator's numbers tell apart (the `surface` of impressions the apps send), in
// the order of VideoStats::sources; any other surface, or none, counts as "other".
inline constexpr int kNumSurfaces = 8;
inline constexpr std::string_view kSurfaces[kNumSurfaces] = {
    "foryou", "following", "sound", "hashtag", "profile", "challenge", "search", "other"};
// The index in kSurfaces of an impression's `surface` (that of "other" when not listed).
int SurfaceIndex(std::string_view surface);

// What a video's creator reads of it: a fixed set of counters per video, however many people
// watched it on however many surfaces.
struct VideoStats {
  int64_t views = 0;             // impressions
  int64_t watch_ms = 0;          // the watch_ms of its plays and skips
  int64_t likes = 0, shares = 0, comments = 0;  // as VideoCounts
  int64_t followers_gained = 0;  // follows of its creator that name the video
  int64_t sources[kNumSurfaces] = {};  // impressions by surface, in kSurfaces order
};

struct UserCounts {
  int64_t followers = 0, following = 0;
  int64_t likes = 0;  // received on the user's videos
};

struct Comment {
  std::string id, video, author;
  std::string parent;  // "" for a top-level comment
  std::string text;    // "" once deleted
  int64_t time_ms = 0;
  int64_t likes = 0, replies = 0;
  bool deleted = false, pinned = false;
};

struct Profile {
  std::string name, bio;
  std::string avatar_type;  // "image/png" | "image/jpeg" | "image/webp"; "" = no avatar
  int64_t avatar_version = 0;  // changes with each new avatar (cache busting)
};

struct InboxEntry {
  std::string type;  // "like" | "comment" | "reply" | "follow"
  std::string actor, video, comment, text;
  int64_t time_ms = 0;
};

// One page of a list and the cursor of the next ("" on the last page).
template <typename T>
struct Page {
  std::vector<T> items;
  std::string next_cursor;
};

// A liked / favorited video, or a follow edge's other side, with its time.
struct Entry {
  std::string id;
  int64_t time_ms = 0;
};

// The creator of a video ("" if unknown). Creators never change, so a replay of the log finds
// the same ones.
using CreatorOf = std::function<std::string(std::string_view video)>;

// The user a log record names: "<id>" or the model's identity "<id>#<epoch>" -> "<id>".
std::string UserOfLogged(std::string_view logged);

class SocialStore {
 public:
  static constexpr int kMaxPage = 100;

  // Opens (creating) the database in `dir`. FailedPrecondition for another format version.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<SocialStore>> Open(const std::string& dir,
                                                                        CreatorOf creator_of);
  ~SocialStore();

  // ---- The event log ----
  // Applies every record of `log` from the stored offset to its end, a chunk per write batch
  // with the new offset. A stored offset before the log's start (retention) resumes at the
  // start. Undecodable records are skipped (and counted as applied). The creator's numbers keep
  // their own offset: a store written before they existed rebuilds them from the retained log
  // here, without applying the other counts twice.
  [[nodiscard]] absl::Status CatchUp(stream::EventLog& log);
  uint64_t applied_offset() const;

  // ---- Reads ----
  [[nodiscard]] absl::StatusOr<VideoCounts> Counts(std::string_view video) const;
  [[nodiscard]] absl::StatusOr<UserCounts> CountsOf(std::string_view user) const;
  // The creator's numbers of a video (all 0 for a video no event named). Two point reads.
  [[nodiscard]] absl::StatusOr<VideoStats> Stats(std::string_view video) const;
  [[nodiscard]] absl::StatusOr<bool> Liked(std::string_view user, std::string_view video) const;
  [[nodiscard]] absl::StatusOr<bool> Favorited(std::string_view user, std::string_view video) const;
  [[nodiscard]] absl::StatusOr<bool> Follows(std::string_view user, std::string_view creator) const;
  // Newest first.
  [[nodiscard]] absl::StatusOr<Page<Entry>> LikedVideos(std::string_view user,
                                                        std::string_view cursor, int count) const;
  [[nodiscard]] absl::StatusOr<Page<Entry>> FavoriteVideos(std::string_view user,
                                                           std::string_view cursor,
                                                           int count) const;
  // By id.
  [[nodiscard]] absl::StatusOr<Page<Entry>> Followers(std::string_view user,
                                                      std::string_view cursor, int count) const;
  [[nodiscard]] absl::StatusOr<Page<Entry>> Following(std::string_view user,
                                                      std::string_view cursor, int count) const;

  // ---- Comments ----
  // Adds a comment (synced). NotFound for an unknown or deleted parent, InvalidArgument for a
  // parent on another video or a reply to a reply's reply is allowed (the parent's thread).
  [[nodiscard]] absl::StatusOr<Comment> AddComment(std::string_view video, std::string_view author,
                                                   std::string_view parent, std::string_view text,
                                                   int64_t time_ms);
  [[nodiscard]] absl::StatusOr<Comment> GetComment(std::string_view id) const;
  // Top-level comments of a video, the pinned one first (on the first page) then newest first;
  // or, with `parent`, the replies of one comment, oldest first.
  [[nodiscard]] absl::StatusOr<Page<Comment>> Comments(std::string_view video,
                                                       std::string_view parent,
                                                       std::string_view cursor, int count) const;
  [[nodiscard]] absl::StatusOr<bool> CommentLiked(std::string_view user,
                                                  std::string_view comment) const;
  // Sets the user's like of a comment; returns the comment's likes after it.
  [[nodiscard]] absl::StatusOr<int64_t> SetCommentLike(std::string_view comment,
                                                       std::string_view user, bool like);
  // Pins the comment (unpinning the video's previous one) or unpins it.
  [[nodiscard]] absl::Status SetPinned(std::string_view comment, bool pinned);
  // Marks the comment deleted: its text goes, its replies stay. Idempotent.
  [[nodiscard]] absl::Status DeleteComment(std::string_view comment);
  [[nodiscard]] absl::Status ReportComment(std::string_view comment, std::string_view user,
                                           std::string_view reason, int64_t time_ms);

  // ---- Profiles ----
  [[nodiscard]] absl::StatusOr<Profile> GetProfile(std::string_view user) const;  // {} if none
  // Writes name / bio (when set) and the avatar (when `avatar` is set: bytes of `avatar_type`,
  // or empty bytes to remove it).
  [[nodiscard]] absl::StatusOr<Profile> UpdateProfile(
      std::string_view user, const std::optional<std::string>& name,
      const std::optional<std::string>& bio, const std::optional<std::string>& avatar,
      std::string_view avatar_type);
  // NotFound if the user has no avatar.
  [[nodiscard]] absl::StatusOr<std::string> Avatar(std::string_view user) const;

  // ---- Inbox ----
  [[nodiscard]] absl::StatusOr<Page<InboxEntry>> Inbox(std::string_view user,
                                                       std::string_view cursor, int count) const;
  [[nodiscard]] absl::StatusOr<int64_t> Unread(std::string_view user) const;
  [[nodiscard]] absl::Status MarkRead(std::string_view user);

  // ---- Accounts ----
  // Removes the user's profile, avatar, likes, favorites, follow edges (both sides' counts
  // fixed), comment likes and inbox; marks their comments deleted. Call after CatchUp.
  [[nodiscard]] absl::Status DeleteUser(std::string_view user);
  // The user's comments (oldest first), for the data export. Reads every comment of theirs.
  [[nodiscard]] absl::StatusOr<std::vector<Comment>> CommentsBy(std::string_view user) const;
  // Every like / favorite / follow of the user (newest first), for the export.
  [[nodiscard]] absl::StatusOr<std::vector<Entry>> AllLikes(std::string_view user) const;
  [[nodiscard]] absl::StatusOr<std::vector<Entry>> AllFavorites(std::string_view user) const;
  [[nodiscard]] absl::StatusOr<std::vector<Entry>> AllFollowing(std::string_view user) const;

 private:
  class Txn;
  SocialStore(std::unique_ptr<rocksdb::DB> db, CreatorOf creator_of, uint64_t applied,
              uint64_t stats_applied, uint64_t next_id);
  void ApplyEvent(const stream::Event& e, Txn& txn) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The creator's numbers of one event (social_stats.cc).
  void ApplyStats(const stream::Event& e, Txn& txn) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void AddInbox(Txn& txn, std::string_view user, const InboxEntry& entry)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status Commit(Txn& txn, bool sync) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::unique_ptr<rocksdb::DB> db_;
  const CreatorOf creator_of_;
  mutable common::Mutex mu_;
  uint64_t applied_ ABSL_GUARDED_BY(mu_);
  uint64_t stats_applied_ ABSL_GUARDED_BY(mu_);  // the same for the creator's numbers
  uint64_t next_id_ ABSL_GUARDED_BY(mu_);  // comment ids and inbox sequence numbers
};

}  // namespace foryou::social
