// KuaiRand parsing: header-driven column lookup, numeric fields parsed strictly, bad rows counted.
#include "kuairand/readers.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace foryou::kuairand {
namespace {

// Log fields, in the order of KuaiRandLogReader::col_.
enum Field {
  kUserId, kVideoId, kTimeMs, kDate, kHourmin, kTab, kPlayTime, kDuration, kIsClick, kLongView,
  kIsLike, kIsFollow, kIsComment, kIsForward, kIsHate, kIsRand, kFieldCount
};
constexpr const char* kFieldNames[kFieldCount] = {
    "user_id",  "video_id",  "time_ms",   "date",       "hourmin",    "tab",
    "play_time_ms", "duration_ms", "is_click", "long_view", "is_like", "is_follow",
    "is_comment", "is_forward", "is_hate", "is_rand"};

absl::string_view Absl(std::string_view v) { return absl::string_view(v.data(), v.size()); }

template <typename T>
bool ParseInt(std::string_view v, T* out) {
  int64_t x;
  if (!absl::SimpleAtoi(Absl(v), &x) || x < 0) {
    // KuaiRand writes some integers as floats ("87433.0").
    double d;
    if (!absl::SimpleAtod(Absl(v), &d) || !(d >= 0) || d > 9.2e18) return false;
    x = static_cast<int64_t>(d);
  }
  *out = static_cast<T>(x);
  return true;
}

// YYYY-MM-DD or YYYYMMDD -> yyyymmdd; 0 if unparsable.
uint32_t ParseDate(std::string_view v) {
  std::string digits;
  for (char c : v) {
    if (c >= '0' && c <= '9') digits.push_back(c);
  }
  uint32_t d = 0;
  if (digits.size() != 8 || !absl::SimpleAtoi(digits, &d)) return 0;
  return d;
}

}  // namespace

absl::StatusOr<std::unique_ptr<KuaiRandLogReader>> KuaiRandLogReader::Open(const std::string& path) {
  absl::StatusOr<std::unique_ptr<data::CsvReader>> csv = data::CsvReader::Open(path);
  if (!csv.ok()) return csv.status();
  std::unique_ptr<KuaiRandLogReader> r(new KuaiRandLogReader());
  r->csv_ = std::move(*csv);
  for (const char* name : kFieldNames) {
    absl::StatusOr<int> c = r->csv_->Column(name);
    if (!c.ok()) {
      return absl::NotFoundError(absl::StrCat(path, ": not a KuaiRand log: column ", name, " missing"));
    }
    r->col_.push_back(*c);
  }
  return r;
}

absl::StatusOr<bool> KuaiRandLogReader::Next(KuaiRandImpression* out) {
  while (true) {
    absl::StatusOr<bool> more = csv_->Next(&fields_);
    if (!more.ok()) return more.status();
    if (!*more) return false;
    const char* bad = nullptr;
    if (fields_.size() != csv_->header().size()) {
      bad = "wrong number of columns";
    } else {
      auto f = [&](Field x) { return fields_[col_[x]]; };
      KuaiRandImpression m;
      uint32_t flags[8];
      bool ok = ParseInt(f(kUserId), &m.user_id) && ParseInt(f(kVideoId), &m.video_id) &&
                ParseInt(f(kTimeMs), &m.time_ms) && ParseInt(f(kDate), &m.date) &&
                ParseInt(f(kHourmin), &m.hourmin) && ParseInt(f(kTab), &m.tab) &&
                ParseInt(f(kPlayTime), &m.play_time_ms) && ParseInt(f(kDuration), &m.duration_ms);
      for (int i = 0; ok && i < 8; ++i) {
        ok = ParseInt(f(static_cast<Field>(kIsClick + i)), &flags[i]) && flags[i] <= 1;
      }
      if (!ok) {
        bad = "a field is missing, negative or not a number (or a label is not 0/1)";
      } else {
        m.is_click = flags[0];
        m.long_view = flags[1];
        m.is_like = flags[2];
        m.is_follow = flags[3];
        m.is_comment = flags[4];
        m.is_forward = flags[5];
        m.is_hate = flags[6];
        m.is_rand = flags[7];
        *out = m;
        ++rows_;
        return true;
      }
    }
    if (bad_rows_++ == 0) {
      first_bad_reason_ = absl::StrCat("record ", csv_->record_number(), ": ", bad);
    }
  }
}

namespace {

// Opens the table at `path`, resolves `names` to column indexes, and calls
// `row(fields, cols)` for every record; a record of the wrong width, or one `row` rejects
// (returns false), is counted bad.
template <typename Row>
absl::StatusOr<TableLoad> ForEachRecord(const std::string& path,
                                        const std::vector<const char*>& names, Row&& row) {
  absl::StatusOr<std::unique_ptr<data::CsvReader>> csv = data::CsvReader::Open(path);
  if (!csv.ok()) return csv.status();
  data::CsvReader& r = **csv;
  std::vector<int> cols;
  for (const char* name : names) {
    absl::StatusOr<int> col = r.Column(name);
    if (!col.ok()) return absl::NotFoundError(absl::StrCat(path, ": column ", name, " missing"));
    cols.push_back(*col);
  }
  TableLoad load;
  std::vector<std::string_view> f;
  while (true) {
    absl::StatusOr<bool> more = r.Next(&f);
    if (!more.ok()) return more.status();
    if (!*more) break;
    if (f.size() == r.header().size() && row(f, cols)) {
      ++load.rows;
    } else {
      ++load.bad_rows;
    }
  }
  return load;
}

}  // namespace

absl::StatusOr<TableLoad> LoadKuaiRandVideos(const std::string& path,
                                             absl::flat_hash_map<uint64_t, KuaiRandVideo>* out) {
  return ForEachRecord(
      path,
      {"video_id", "author_id", "music_id", "tag", "video_type", "upload_type", "upload_dt",
       "video_duration"},
      [&](const std::vector<std::string_view>& f, const std::vector<int>& c) {
        uint64_t id;
        KuaiRandVideo v;
        if (!ParseInt(f[c[0]], &id) || !ParseInt(f[c[1]], &v.author_id)) return false;
        if (!ParseInt(f[c[2]], &v.music_id)) v.music_id = 0;       // missing sound
        if (!ParseInt(f[c[7]], &v.duration_ms)) v.duration_ms = 0;  // missing duration
        v.tag = std::string(f[c[3]]);
        v.video_type = std::string(f[c[4]]);
        v.upload_type = std::string(f[c[5]]);
        v.upload_date = ParseDate(f[c[6]]);
        (*out)[id] = std::move(v);
        return true;
      });
}

absl::StatusOr<TableLoad> LoadKuaiRandUsers(const std::string& path,
                                            absl::flat_hash_map<uint64_t, KuaiRandUser>* out) {
  std::vector<const char*> names = {"user_id", "user_active_degree"};
  names.insert(names.end(), std::begin(kUserFields), std::end(kUserFields));
  return ForEachRecord(path, names,
                       [&](const std::vector<std::string_view>& f, const std::vector<int>& c) {
                         uint64_t id;
                         if (!ParseInt(f[c[0]], &id)) return false;
                         KuaiRandUser u;
                         u.active_degree = std::string(f[c[1]]);
                         for (size_t i = 2; i < c.size(); ++i) u.fields.emplace_back(f[c[i]]);
                         (*out)[id] = std::move(u);
                         return true;
                       });
}

}  // namespace foryou::kuairand
