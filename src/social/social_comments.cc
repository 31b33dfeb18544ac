// SocialStore's comments: add, page, like, pin, delete, report (docs/formats/social.md).
#include "social/social_store_internal.h"

namespace foryou::social {

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

}  // namespace foryou::social
