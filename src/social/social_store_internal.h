// The parts the files of SocialStore share (social_store.cc, social_comments.cc,
// social_people.cc): the key scheme of docs/formats/social.md, the change in the making (Txn)
// and paged scans. Not for use outside src/social/.
#pragma once

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "nlohmann/json.hpp"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"
#include "social/social_store.h"

namespace foryou::social {
namespace store_internal {


using nlohmann::json;

inline constexpr char kFormatKey[] = "fmt";
inline constexpr char kFormat[] = "1";
inline constexpr char kOffsetKey[] = "off";
inline constexpr char kNextIdKey[] = "nid";
inline constexpr char kStatsOffsetKey[] = "soff";
inline constexpr int kVideoCounts = 5;  // likes, comments, shares, views, favorites
inline constexpr int kUserCounts = 3;   // followers, following, likes received
// views, watch_ms, followers_gained, then impressions by surface (kSurfaces order).
inline constexpr int kVideoStats = 3 + kNumSurfaces;
inline constexpr size_t kCatchUpChunk = 1024;

// Parts joined by NUL (ids never hold one), so "lk\0a\0" never matches user "ab".
inline std::string K(std::initializer_list<std::string_view> parts) {
  std::string k;
  for (std::string_view p : parts) {
    if (!k.empty()) k.push_back('\0');
    k.append(p);
  }
  return k;
}
inline absl::string_view A(std::string_view s) { return absl::string_view(s.data(), s.size()); }
inline std::string Prefix(std::string_view tag, std::string_view id) { return K({tag, id}) + '\0'; }

inline std::string BE(uint64_t v) {
  std::string s(8, '\0');
  for (int i = 7; i >= 0; --i, v >>= 8) s[i] = static_cast<char>(v & 0xff);
  return s;
}
inline uint64_t FromBE(std::string_view s) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8 && i < s.size(); ++i) v = (v << 8) | static_cast<uint8_t>(s[i]);
  return v;
}
// Newest first: a later time sorts earlier.
inline std::string Newest(int64_t t) { return BE(~static_cast<uint64_t>(t)); }
inline int64_t FromNewest(std::string_view s) { return static_cast<int64_t>(~FromBE(s)); }

inline absl::Status FromRocks(const rocksdb::Status& s, std::string_view what) {
  if (s.ok()) return absl::OkStatus();
  if (s.IsCorruption()) return absl::DataLossError(absl::StrCat("social store: ", A(what), ": ", s.ToString()));
  return absl::UnavailableError(absl::StrCat("social store: ", A(what), ": ", s.ToString()));
}

inline json CommentJson(const Comment& c) {
  return {{"video", c.video}, {"author", c.author}, {"parent", c.parent}, {"text", c.text},
          {"time_ms", c.time_ms}, {"likes", c.likes}, {"replies", c.replies},
          {"deleted", c.deleted}, {"pinned", c.pinned}};
}
inline absl::StatusOr<Comment> ParseComment(std::string_view id, std::string_view value) {
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



// Calls fn(suffix, value) for every key under `prefix`, in key order, until it returns false.
inline absl::Status ForEach(rocksdb::DB* db, const std::string& prefix, std::string_view from,
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
inline absl::Status ScanPage(rocksdb::DB* db, const std::string& prefix, std::string_view cursor,
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

inline absl::StatusOr<Page<Entry>> TimedPage(rocksdb::DB* db, const std::string& prefix,
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

inline absl::StatusOr<Page<Entry>> IdPage(rocksdb::DB* db, const std::string& prefix,
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


inline absl::StatusOr<bool> Exists(rocksdb::DB* db, const std::string& key) {
  std::string value;
  rocksdb::Status s = db->Get(rocksdb::ReadOptions(), key, &value);
  if (s.IsNotFound()) return false;
  FORYOU_RETURN_IF_ERROR(FromRocks(s, "read"));
  return true;
}

}  // namespace store_internal

using namespace store_internal;  // NOLINT: the files of one class

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

}  // namespace foryou::social
