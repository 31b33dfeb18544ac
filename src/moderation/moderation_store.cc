// ModerationStore over RocksDB (see the header; bytes in docs/formats/moderation.md). Values are
// JSON: the records are small and rare (a few per upload), and JSON keeps them readable with
// `ldb` when a decision is questioned.
#include "moderation/moderation_store.h"

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/absl_view.h"
#include "common/file_util.h"
#include "common/rocksdb_options.h"
#include "nlohmann/json.hpp"

namespace foryou::moderation {
namespace {

using nlohmann::json;

constexpr char kFormatKey[] = "format";
constexpr char kFormat[] = "1";

using common::A;

absl::Status FromRocks(const rocksdb::Status& s, std::string_view what) {
  const std::string msg = absl::StrCat("moderation store: ", A(what), ": ", s.ToString());
  if (s.IsCorruption()) return absl::DataLossError(msg);
  return absl::UnavailableError(msg);
}

absl::Status Undecodable(std::string_view key) {
  return absl::DataLossError(
      absl::StrCat("moderation store: record '", absl::CHexEscape(A(key)), "' does not decode"));
}

// Ids are printable ASCII without NUL, so '\0' ends the video part of a compound key.
std::string StateKey(std::string_view video) { return absl::StrCat("s/", A(video)); }
std::string HistoryPrefix(std::string_view video) { return absl::StrCat("t/", A(video), std::string(1, '\0')); }
std::string HistoryKey(std::string_view video, uint32_t seq) {
  return absl::StrCat(HistoryPrefix(video), absl::StrFormat("%010u", seq));
}
std::string ReportKey(std::string_view video, std::string_view viewer) {
  return absl::StrCat("r/", A(video), std::string(1, '\0'), A(viewer));
}
std::string QueueKey(int64_t ms, std::string_view video) {
  return absl::StrCat("q/", absl::StrFormat("%016d", ms), std::string(1, '\0'), A(video));
}

json ReasonsJson(const std::vector<Reason>& reasons) {
  json a = json::array();
  for (const Reason& r : reasons) a.push_back({{"code", r.code}, {"text", r.text}});
  return a;
}

bool ReasonsFrom(const json& a, std::vector<Reason>* out) {
  if (!a.is_array()) return false;
  for (const json& r : a) {
    if (!r.is_object() || !r.contains("code") || !r["code"].is_string() || !r.contains("text") ||
        !r["text"].is_string()) {
      return false;
    }
    out->push_back({r["code"].get<std::string>(), r["text"].get<std::string>()});
  }
  return true;
}

std::string EncodeRecord(const VideoRecord& r) {
  return json{{"state", StateName(r.state)},
              {"transitions", r.transitions},
              {"appealed", r.appealed},
              {"queued_ms", r.queued_ms},
              {"queue_reasons", ReasonsJson(r.queue_reasons)},
              {"reports", r.reports},
              {"reports_total", r.reports_total}}
      .dump();
}

std::optional<VideoRecord> DecodeRecord(std::string_view bytes) {
  json j = json::parse(bytes, nullptr, false);
  if (!j.is_object()) return std::nullopt;
  VideoRecord r;
  try {
    std::optional<State> s = ParseState(j.at("state").get<std::string>());
    if (!s) return std::nullopt;
    r.state = *s;
    r.transitions = j.at("transitions").get<uint32_t>();
    r.appealed = j.at("appealed").get<bool>();
    r.queued_ms = j.at("queued_ms").get<int64_t>();
    if (!ReasonsFrom(j.at("queue_reasons"), &r.queue_reasons)) return std::nullopt;
    r.reports = j.at("reports").get<std::map<std::string, int64_t>>();
    r.reports_total = j.at("reports_total").get<int64_t>();
  } catch (const json::exception&) {
    return std::nullopt;
  }
  return r;
}

std::string EncodeTransition(const Transition& t) {
  return json{{"from", t.from ? json(StateName(*t.from)) : json(nullptr)},
              {"to", StateName(t.to)},
              {"who", t.who},
              {"t_ms", t.t_ms},
              {"reasons", ReasonsJson(t.reasons)}}
      .dump();
}

std::optional<Transition> DecodeTransition(std::string_view bytes) {
  json j = json::parse(bytes, nullptr, false);
  if (!j.is_object()) return std::nullopt;
  Transition t;
  try {
    if (!j.at("from").is_null()) {
      t.from = ParseState(j.at("from").get<std::string>());
      if (!t.from) return std::nullopt;
    }
    std::optional<State> to = ParseState(j.at("to").get<std::string>());
    if (!to) return std::nullopt;
    t.to = *to;
    t.who = j.at("who").get<std::string>();
    t.t_ms = j.at("t_ms").get<int64_t>();
    if (!ReasonsFrom(j.at("reasons"), &t.reasons)) return std::nullopt;
  } catch (const json::exception&) {
    return std::nullopt;
  }
  return t;
}

}  // namespace

ModerationStore::ModerationStore(std::unique_ptr<rocksdb::DB> db) : db_(std::move(db)) {}
ModerationStore::~ModerationStore() = default;

absl::StatusOr<std::unique_ptr<ModerationStore>> ModerationStore::Open(const std::string& dir) {
  if (absl::Status st = common::MakeDirs(dir); !st.ok()) return st;
  rocksdb::Options options = common::StoreOptions();
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(options, dir, &raw);
  if (!s.ok()) return FromRocks(s, absl::StrCat("open ", dir));
  std::unique_ptr<rocksdb::DB> db(raw);
  std::string value;
  s = db->Get(rocksdb::ReadOptions(), kFormatKey, &value);
  if (s.IsNotFound()) {
    rocksdb::WriteOptions wo;
    wo.sync = true;
    s = db->Put(wo, kFormatKey, kFormat);
    if (!s.ok()) return FromRocks(s, "write format version");
  } else if (!s.ok()) {
    return FromRocks(s, "read format version");
  } else if (value != kFormat) {
    return absl::FailedPreconditionError(absl::StrCat(
        "moderation store ", dir, ": format version '", absl::CHexEscape(value), "', expected ",
        kFormat));
  }
  return std::unique_ptr<ModerationStore>(new ModerationStore(std::move(db)));
}

absl::StatusOr<std::optional<VideoRecord>> ModerationStore::Get(std::string_view video) const {
  std::string value;
  const std::string key = StateKey(video);
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), key, &value);
  if (s.IsNotFound()) return std::optional<VideoRecord>();
  if (!s.ok()) return FromRocks(s, "read");
  std::optional<VideoRecord> r = DecodeRecord(value);
  if (!r) return Undecodable(key);
  return r;
}

absl::Status ModerationStore::Apply(const Write& w) {
  rocksdb::WriteBatch batch;
  batch.Put(StateKey(w.video), EncodeRecord(w.record));
  const uint32_t first = w.record.transitions - static_cast<uint32_t>(w.transitions.size());
  for (size_t i = 0; i < w.transitions.size(); ++i) {
    batch.Put(HistoryKey(w.video, first + static_cast<uint32_t>(i)),
              EncodeTransition(w.transitions[i]));
  }
  if (w.queue_remove) batch.Delete(QueueKey(*w.queue_remove, w.video));
  if (w.queue_add) batch.Put(QueueKey(*w.queue_add, w.video), "");
  if (w.report) batch.Put(ReportKey(w.video, w.report->first), w.report->second);
  rocksdb::WriteOptions wo;
  wo.sync = true;
  rocksdb::Status s = db_->Write(wo, &batch);
  if (!s.ok()) return FromRocks(s, "write");
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Transition>> ModerationStore::History(std::string_view video) const {
  const std::string prefix = HistoryPrefix(video);
  std::vector<Transition> out;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    std::optional<Transition> t = DecodeTransition(it->value().ToStringView());
    if (!t) return Undecodable(it->key().ToStringView());
    out.push_back(std::move(*t));
  }
  if (!it->status().ok()) return FromRocks(it->status(), "scan");
  return out;
}

absl::StatusOr<bool> ModerationStore::HasReport(std::string_view video,
                                                std::string_view viewer) const {
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), ReportKey(video, viewer), &value);
  if (s.IsNotFound()) return false;
  if (!s.ok()) return FromRocks(s, "read");
  return true;
}

absl::StatusOr<ModerationStore::QueuePage> ModerationStore::Queue(std::string_view cursor,
                                                                  int limit) const {
  if (limit < 1) return absl::InvalidArgumentError("limit: must be >= 1");
  // A cursor is "<queued_ms>.<video>" of the last entry returned.
  std::string start = "q/";
  if (!cursor.empty()) {
    const size_t dot = cursor.find('.');
    int64_t ms = 0;
    if (dot == std::string_view::npos || dot + 1 == cursor.size() ||
        !absl::SimpleAtoi(A(cursor.substr(0, dot)), &ms) || ms < 0) {
      return absl::InvalidArgumentError("cursor: malformed (pass the next_cursor of a page)");
    }
    start = QueueKey(ms, cursor.substr(dot + 1)) + std::string(1, '\0');
  }
  QueuePage page;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  for (it->Seek(start); it->Valid() && it->key().starts_with("q/"); it->Next()) {
    const std::string_view key = it->key().ToStringView();
    const size_t nul = key.find('\0');
    QueueEntry e;
    if (nul != 18 || !absl::SimpleAtoi(A(key.substr(2, 16)), &e.queued_ms)) return Undecodable(key);
    e.video = std::string(key.substr(nul + 1));
    if (static_cast<int>(page.entries.size()) == limit) {
      const QueueEntry& last = page.entries.back();
      page.next_cursor = absl::StrCat(last.queued_ms, ".", last.video);
      break;
    }
    page.entries.push_back(std::move(e));
  }
  if (!it->status().ok()) return FromRocks(it->status(), "scan");
  return page;
}

absl::Status ModerationStore::ForEach(
    const std::function<void(const std::string&, const VideoRecord&)>& fn) const {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  for (it->Seek("s/"); it->Valid() && it->key().starts_with("s/"); it->Next()) {
    std::optional<VideoRecord> r = DecodeRecord(it->value().ToStringView());
    if (!r) return Undecodable(it->key().ToStringView());
    fn(std::string(it->key().ToStringView().substr(2)), *r);
  }
  if (!it->status().ok()) return FromRocks(it->status(), "scan");
  return absl::OkStatus();
}

}  // namespace foryou::moderation
