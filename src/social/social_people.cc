// SocialStore's profiles, inboxes and account deletion (docs/formats/social.md).
#include "social/social_store_internal.h"

namespace foryou::social {

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
