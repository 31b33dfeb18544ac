#include "realtime/joiner.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "common/clock.h"
#include "common/rocksdb_options.h"
#include "common/status_macros.h"
#include "rocksdb/db.h"
#include "rocksdb/options.h"
#include "rocksdb/utilities/checkpoint.h"
#include "rocksdb/utilities/db_ttl.h"
#include "common/binary_io.h"
#include "xxhash.h"

namespace foryou::realtime {
namespace {

using model::kNumTasks;

using model::kLongViewMs;
using model::kPlayedMs;

template <typename T>
void Put(std::string* out, const T& v) {
  out->append(reinterpret_cast<const char*>(&v), sizeof(T));
}

template <typename T>
bool Take(std::string_view* in, T* v) {
  if (in->size() < sizeof(T)) return false;
  std::memcpy(v, in->data(), sizeof(T));
  in->remove_prefix(sizeof(T));
  return true;
}

template <typename T>
void PutVec(std::string* out, const std::vector<T>& v) {
  Put<uint32_t>(out, static_cast<uint32_t>(v.size()));
  if (!v.empty()) out->append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
}

template <typename T>
bool TakeVec(std::string_view* in, std::vector<T>* v) {
  uint32_t n = 0;
  if (!Take(in, &n) || in->size() < size_t{n} * sizeof(T)) return false;
  v->resize(n);
  if (n > 0) std::memcpy(v->data(), in->data(), size_t{n} * sizeof(T));
  in->remove_prefix(size_t{n} * sizeof(T));
  return true;
}

// Late-store value: the impression (with labels so far) and its features.
std::string EncodePending(const model::Impression& imp, const model::FeatureBatch& f) {
  std::string out;
  Put<uint8_t>(&out, 1);  // version
  Put(&out, imp);         // trivially copyable, fixed layout on one machine (never shipped)
  Put<int32_t>(&out, f.fields);
  Put<int32_t>(&out, f.dense_width);
  Put<int64_t>(&out, f.max_time_ms);
  PutVec(&out, f.keys);
  PutVec(&out, f.field_begin);
  PutVec(&out, f.dense);
  return out;
}

bool DecodePending(std::string_view in, model::Impression* imp, model::FeatureBatch* f) {
  uint8_t version = 0;
  if (!Take(&in, &version) || version != 1 || !Take(&in, imp) || !Take(&in, &f->fields) ||
      !Take(&in, &f->dense_width) || !Take(&in, &f->max_time_ms) || !TakeVec(&in, &f->keys) ||
      !TakeVec(&in, &f->field_begin) || !TakeVec(&in, &f->dense) || !in.empty()) {
    return false;
  }
  f->size = 1;
  return f->field_begin.size() == static_cast<size_t>(f->fields) + 1 &&
         f->dense.size() == static_cast<size_t>(f->dense_width);
}

bool AnyPositive(const model::Impression& imp) {
  for (int t = 0; t < kNumTasks; ++t) {
    if (imp.labels[t] > 0) return true;
  }
  return false;
}

}  // namespace

// Entries also expire by wall-clock TTL at compaction (garbage collection); the event-time bound
// is checked on every read.
absl::StatusOr<std::unique_ptr<rocksdb::DB>> OpenLateStore(const JoinerOptions& options) {
  rocksdb::Options db_options = common::StoreOptions();
  db_options.max_background_jobs = 1;
  if (options.late_store_env != nullptr) db_options.env = options.late_store_env;
  rocksdb::DBWithTTL* db = nullptr;
  const int32_t ttl_s =
      static_cast<int32_t>(std::min<int64_t>(options.late_window_ms / 1000 + 1, 1 << 30));
  rocksdb::Status s = rocksdb::DBWithTTL::Open(db_options, options.late_store_dir, &db, ttl_s);
  if (!s.ok()) {
    return absl::UnavailableError(
        absl::StrCat("joiner: late store ", options.late_store_dir, ": ", s.ToString()));
  }
  return std::unique_ptr<rocksdb::DB>(db);
}

bool EndsView(EventType type) { return type == EventType::kPlay || type == EventType::kSkip; }

absl::StatusOr<std::unique_ptr<Joiner>> Joiner::Create(
    JoinerOptions options, const model::FeatureExtractor* features,
    std::shared_ptr<const model::Catalog> catalog) {
  if (options.window_ms <= 0) return absl::InvalidArgumentError("joiner: window_ms must be > 0");
  if (options.late_window_ms < options.window_ms) {
    return absl::InvalidArgumentError("joiner: late_window_ms must be >= window_ms");
  }
  if (!(options.negative_sample_rate > 0 && options.negative_sample_rate <= 1)) {
    return absl::InvalidArgumentError("joiner: negative_sample_rate must be in (0, 1]");
  }
  if (features == nullptr) return absl::InvalidArgumentError("joiner: a feature extractor is required");
  std::unique_ptr<Joiner> j(new Joiner(std::move(options), features, std::move(catalog)));
  if (!j->options_.late_store_dir.empty()) {
    FORYOU_ASSIGN_OR_RETURN(j->late_, OpenLateStore(j->options_));
  }
  return j;
}

Joiner::Joiner(JoinerOptions options, const model::FeatureExtractor* features,
               std::shared_ptr<const model::Catalog> catalog)
    : options_(std::move(options)), features_(features), catalog_(std::move(catalog)) {}

Joiner::~Joiner() = default;

std::string Joiner::Key(std::string_view request_id, std::string_view video) {
  return absl::StrCat(absl::string_view(request_id.data(), request_id.size()), "\n",
                      absl::string_view(video.data(), video.size()));
}

bool Joiner::ApplyAction(const Event& e, model::Impression* imp) const {
  auto& y = imp->labels;
  const std::array<float, kNumTasks> before = y;
  switch (e.type) {
    case EventType::kPlay:
    case EventType::kSkip: {
      const bool played = e.type == EventType::kPlay || e.watch_ms >= kPlayedMs;
      if (played) y[model::kClick] = 1;
      if (e.completed || e.watch_ms >= kLongViewMs) y[model::kLongView] = 1;
      uint32_t duration = imp->duration_ms;
      if (duration == 0 && catalog_ != nullptr) {
        model::VideoInfo video;
        if (catalog_->FindVideo(imp->video_id, &video)) duration = video.duration_ms;
      }
      float ratio = e.completed ? 1.0f : 0.0f;
      if (!e.completed && duration > 0) {
        ratio = std::min(1.0f, static_cast<float>(e.watch_ms) / static_cast<float>(duration));
      } else if (!e.completed) {
        ratio = std::min(1.0f, static_cast<float>(e.watch_ms) / static_cast<float>(kLongViewMs));
      }
      y[model::kWatchRatio] = std::max(y[model::kWatchRatio], ratio);
      return true;  // a view end always counts
    }
    case EventType::kLike:
    case EventType::kFavorite: y[model::kLike] = 1; break;
    case EventType::kUnlike: y[model::kLike] = 0; break;
    case EventType::kShare: y[model::kShare] = 1; break;
    case EventType::kComment: y[model::kComment] = 1; break;
    case EventType::kFollow: y[model::kFollow] = 1; break;
    case EventType::kUnfollow: break;
    case EventType::kNotInterested:
    case EventType::kReport:
    case EventType::kHideCreator:
    case EventType::kHideSound: y[model::kHate] = 1; break;
    case EventType::kImpression:
    case EventType::kAdClick: break;  // a tap on an ad's call to action: billing, not a label
  }
  for (int t = 0; t < kNumTasks; ++t) {
    if (y[t] > before[t]) return true;
  }
  return false;
}

void Joiner::Emit(Pending& p, uint64_t offset, bool correction, std::vector<Example>* out) {
  if (!correction && !AnyPositive(p.impression) && options_.negative_sample_rate < 1.0) {
    // Keep a plain impression with probability rate, deterministically in its offset.
    const uint64_t v[2] = {p.offset, options_.seed};
    const double u = static_cast<double>(XXH3_64bits(v, sizeof(v)) >> 11) * 0x1.0p-53;
    if (u >= options_.negative_sample_rate) {
      ++stats_.negatives_dropped;
      return;
    }
  }
  out->push_back({.impression = p.impression, .features = p.features, .offset = offset,
                  .correction = correction});
  ++stats_.emitted;
  if (correction) ++stats_.corrections;
}

// HOW A FAILING LATE STORE IS RIDDEN OUT
// The late store only extends the join past the window, and every snapshot carries its own
// checkpoint, so a failed read or write must not stop training. A failure is recorded (the
// loop lists it as a storage fault); until the next retry (late_store_retry_ms) impressions
// whose window closes stay in pending_ and in expiry_ (so they are in the snapshot's join state
// and still match actions in memory), and late actions find nothing. A retry first asks RocksDB
// to resume from its background error; one it cannot resume from is cleared by reopening the
// store, whose WAL recovery drops the half-written record. The first write that succeeds clears
// the fault.
bool Joiner::LateStoreUsable() {
  if (options_.late_store_dir.empty()) return false;
  if (late_fault_.empty() && late_ != nullptr) return true;
  const int64_t now = common::SteadyMs();
  if (now < late_retry_at_ms_) return false;
  late_retry_at_ms_ = now + options_.late_store_retry_ms;
  if (late_ != nullptr && late_->Resume().ok()) return true;
  late_.reset();
  absl::StatusOr<std::unique_ptr<rocksdb::DB>> db = OpenLateStore(options_);
  if (!db.ok()) {
    LateStoreFailed(std::string(db.status().message()));
    return false;
  }
  late_ = std::move(*db);
  return true;
}

void Joiner::LateStoreFailed(std::string what) {
  ++late_failures_;
  late_fault_ = std::move(what);
  late_retry_at_ms_ = common::SteadyMs() + options_.late_store_retry_ms;
}

bool Joiner::MoveToLateStore(const std::string& key, const Pending& p) {
  if (options_.late_store_dir.empty()) return true;  // no late store: the entry is dropped
  if (!LateStoreUsable()) return false;
  rocksdb::Status s = late_->Put(rocksdb::WriteOptions(), key, EncodePending(p.impression, p.features));
  if (!s.ok()) {
    LateStoreFailed(absl::StrCat("joiner: late store put: ", s.ToString()));
    return false;
  }
  late_fault_.clear();
  return true;
}

absl::Status Joiner::LateAction(const Event& e, const std::string& key, uint64_t offset,
                                std::vector<Example>* out) {
  if (!LateStoreUsable()) {
    ++stats_.orphan_actions;  // no late store, or it is failing
    return absl::OkStatus();
  }
  std::string value;
  rocksdb::Status s = late_->Get(rocksdb::ReadOptions(), key, &value);
  if (s.IsNotFound()) {
    ++stats_.orphan_actions;
    return absl::OkStatus();
  }
  if (!s.ok()) {
    LateStoreFailed(absl::StrCat("joiner: late store get: ", s.ToString()));
    ++stats_.orphan_actions;
    return absl::OkStatus();
  }
  Pending p;
  if (!DecodePending(value, &p.impression, &p.features)) {
    return absl::DataLossError(absl::StrCat("joiner: late store: corrupt entry for ", key));
  }
  if (e.time_ms > p.impression.time_ms + options_.late_window_ms) {
    ++stats_.orphan_actions;  // too late; the entry goes at the next cleanup
    if (rocksdb::Status d = late_->Delete(rocksdb::WriteOptions(), key); !d.ok()) {
      LateStoreFailed(absl::StrCat("joiner: late store delete: ", d.ToString()));
    }
    return absl::OkStatus();
  }
  ++stats_.late_actions;
  p.offset = offset;
  if (ApplyAction(e, &p.impression)) {
    Emit(p, offset, /*correction=*/true, out);
    rocksdb::Status w = late_->Put(rocksdb::WriteOptions(), key, EncodePending(p.impression, p.features));
    if (!w.ok()) {
      // The correction is emitted; only a later correction of this entry misses this label.
      LateStoreFailed(absl::StrCat("joiner: late store put: ", w.ToString()));
    } else {
      late_fault_.clear();
    }
  }
  return absl::OkStatus();
}

void Joiner::ForgetUsers(absl::Span<const uint64_t> user_keys) {
  const absl::flat_hash_set<uint64_t> users(user_keys.begin(), user_keys.end());
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (users.contains(it->second.impression.user_id)) {
      pending_bytes_ -= EntryBytes(it->first, it->second);
      pending_.erase(it++);
    } else {
      ++it;
    }
  }
  for (auto it = by_user_video_.begin(); it != by_user_video_.end();) {
    if (users.contains(it->first.first)) {
      by_user_video_.erase(it++);
    } else {
      ++it;
    }
  }
  ShrinkIfSparse();
  stats_.pending = pending_.size();  // their expiry_ entries are skipped when they come up
}

absl::Status Joiner::Add(const Event& e, uint64_t offset, std::vector<Example>* out) {
  if (e.type == EventType::kImpression) {
    ++stats_.impressions;
    const std::string key = Key(e.request_id, e.video);
    if (pending_.contains(key)) {
      ++stats_.duplicate_impressions;  // a client retry: the first one stands
    } else {
      Pending p;
      model::Impression& imp = p.impression;
      imp = model::MakeImpression(e.user, e.video, e.time_ms, e.surface, options_.utc_offset_minutes);
      p.offset = offset;
      features_->Extract(absl::MakeConstSpan(&imp, 1), &p.features);
      // The keys grow by push_back (up to twice their size in capacity); the entry keeps them
      // for window_ms, so it keeps them at their size.
      p.features.keys.shrink_to_fit();
      by_user_video_[{imp.user_id, imp.video_id}] = key;
      expiry_.emplace_back(e.time_ms, key);
      pending_bytes_ += EntryBytes(key, p);
      pending_.emplace(key, std::move(p));
    }
  } else {
    ++stats_.actions;
    std::string key;
    if (!e.request_id.empty() && !e.video.empty()) {
      key = Key(e.request_id, e.video);
    } else if (!e.video.empty()) {
      auto it = by_user_video_.find({common::UserKey(e.user), common::VideoKey(e.video)});
      if (it != by_user_video_.end()) key = it->second;
    }
    auto it = key.empty() ? pending_.end() : pending_.find(key);
    if (it != pending_.end()) {
      Pending& p = it->second;
      const bool changed = ApplyAction(e, &p.impression);
      if (!p.emitted && EndsView(e.type) && options_.emit_at_view_end) {
        p.emitted = true;
        ++stats_.emitted_at_view_end;
        Emit(p, offset, /*correction=*/false, out);
        view_ended_.push_back(it->first);
      } else if (p.emitted && changed && !EndsView(e.type)) {
        Emit(p, offset, /*correction=*/true, out);
      }
    } else if (!key.empty()) {
      FORYOU_RETURN_IF_ERROR(LateAction(e, key, offset, out));
    } else {
      ++stats_.orphan_actions;
    }
  }
  FORYOU_RETURN_IF_ERROR(Advance(e.time_ms, offset, out));
  stats_.pending = pending_.size();
  return absl::OkStatus();
}

absl::Status Joiner::Advance(int64_t watermark_ms, uint64_t offset, std::vector<Example>* out) {
  watermark_ms_ = std::max(watermark_ms_, watermark_ms);
  while (!expiry_.empty() && expiry_.front().first + options_.window_ms <= watermark_ms_) {
    const std::string key = expiry_.front().second;
    auto it = pending_.find(key);
    if (it == pending_.end()) {
      expiry_.pop_front();
      continue;
    }
    Pending& p = it->second;
    if (!p.emitted) {
      p.emitted = true;
      ++stats_.emitted_at_window_close;
      Emit(p, offset, /*correction=*/false, out);
    }
    // A failing late store: this entry and the later ones wait in memory for a retry.
    if (!MoveToLateStore(key, p)) break;
    expiry_.pop_front();
    ErasePending(it);
  }
  KeepBudget();
  ShrinkIfSparse();
  stats_.pending = pending_.size();
  return absl::OkStatus();
}

size_t Joiner::EntryBytes(const std::string& key, const Pending& p) {
  const size_t key_heap = key.capacity() > 15 ? key.capacity() + 1 : 0;
  return sizeof(PendingMap::value_type) + key_heap +
         p.features.keys.capacity() * sizeof(embedding::FeatureId) +
         p.features.field_begin.capacity() * sizeof(uint32_t) +
         p.features.dense.capacity() * sizeof(float);
}

void Joiner::ErasePending(PendingMap::iterator it) {
  const Pending& p = it->second;
  auto uv = by_user_video_.find({p.impression.user_id, p.impression.video_id});
  if (uv != by_user_video_.end() && uv->second == it->first) by_user_video_.erase(uv);
  pending_bytes_ -= EntryBytes(it->first, p);
  pending_.erase(it);
}

// HOW THE JOIN STATE KEEPS ITS BUDGET
// An entry's features fill as its user's recent lists do (nine sequences of up to
// sequence_length keys), so at a steady impression rate the window's bytes grow for as long as
// the users keep watching. Past max_pending_bytes the entries whose view ended (their example
// is out; they wait only for actions after the view) move to the late store early, the earliest
// emitted first, exactly as at their window's close: an action on them joins from the late
// store and still emits its correction. Their expiry_ entries are skipped when they come up.
void Joiner::KeepBudget() {
  while (!view_ended_.empty()) {
    auto it = pending_.find(view_ended_.front());
    if (it == pending_.end() || !it->second.emitted) {  // gone already (window closed)
      view_ended_.pop_front();
      continue;
    }
    if (pending_bytes_ <= options_.max_pending_bytes) break;
    if (!MoveToLateStore(it->first, it->second)) break;  // failing store: kept in memory
    view_ended_.pop_front();
    ErasePending(it);
    ++moved_for_budget_;
  }
}

// HOW THE JOIN TABLES GIVE BACK A BUSY WINDOW'S CAPACITY
// A Swiss table never shrinks on erase: after the busiest window (a backlog at start, a burst of
// traffic) the tables would keep that window's capacity for the life of the process. Once fewer
// than a quarter of the slots are used, rehash(0) rebuilds a table at the smallest capacity
// that holds its entries; a table that shrank must double twice before it shrinks again, so the
// rebuilds cost O(1) per entry over time. Small tables are left alone.
void Joiner::ShrinkIfSparse() {
  constexpr size_t kMinCapacity = 1024;
  const auto shrink = [](auto& table) {
    if (table.capacity() > kMinCapacity && table.size() * 4 < table.capacity()) table.rehash(0);
  };
  shrink(pending_);
  shrink(by_user_video_);
}

void Joiner::SaveState(std::string* out) const {
  SaveState([out](std::string_view piece) { out->append(piece); });
}

void Joiner::SaveState(absl::FunctionRef<void(std::string_view)> sink) const {
  constexpr size_t kPieceBytes = 1 << 20;
  std::string buf;
  buf.reserve(kPieceBytes + 4096);
  auto flush = [&] {
    if (buf.size() < kPieceBytes) return;
    sink(buf);
    buf.clear();
  };
  common::BinaryWriter w(&buf);
  w.Put<uint32_t>(1);  // version
  w.Put(watermark_ms_);
  w.Put(stats_);
  w.Put<uint64_t>(pending_.size());
  for (const auto& [key, p] : pending_) {
    w.PutString(key);
    w.PutString(EncodePending(p.impression, p.features));
    w.Put<uint8_t>(p.emitted);
    w.Put(p.offset);
    flush();
  }
  w.Put<uint64_t>(expiry_.size());
  for (const auto& [t, key] : expiry_) {
    w.Put(t);
    w.PutString(key);
    flush();
  }
  if (!buf.empty()) sink(buf);
}

absl::Status Joiner::LoadState(std::string_view blob) {
  common::BinaryReader r(blob);
  uint32_t version = 0;
  int64_t watermark = 0;
  JoinerStats stats;
  uint64_t n = 0;
  if (!r.Get(&version) || version != 1 || !r.Get(&watermark) || !r.Get(&stats) || !r.Get(&n)) {
    return absl::DataLossError("joiner state: bad header");
  }
  PendingMap pending;
  absl::flat_hash_map<std::pair<uint64_t, uint64_t>, std::string> by_user_video;
  for (uint64_t i = 0; i < n; ++i) {
    std::string key, value;
    uint8_t emitted = 0;
    Pending p;
    if (!r.GetString(&key) || !r.GetString(&value) || !r.Get(&emitted) || !r.Get(&p.offset) ||
        !DecodePending(value, &p.impression, &p.features)) {
      return absl::DataLossError("joiner state: bad pending entry");
    }
    p.emitted = emitted != 0;
    pending.emplace(key, std::move(p));
  }
  std::deque<std::pair<int64_t, std::string>> expiry;
  if (!r.Get(&n)) return absl::DataLossError("joiner state: truncated");
  for (uint64_t i = 0; i < n; ++i) {
    int64_t t = 0;
    std::string key;
    if (!r.Get(&t) || !r.GetString(&key)) return absl::DataLossError("joiner state: truncated");
    // The newest impression of a (user, video) wins, as when it arrived.
    if (auto it = pending.find(key); it != pending.end()) {
      by_user_video[{it->second.impression.user_id, it->second.impression.video_id}] = key;
    }
    expiry.emplace_back(t, std::move(key));
  }
  if (!r.done()) return absl::DataLossError("joiner state: trailing bytes");
  watermark_ms_ = watermark;
  stats_ = stats;
  pending_ = std::move(pending);
  by_user_video_ = std::move(by_user_video);
  expiry_ = std::move(expiry);
  // The view-ended entries in the order their impressions arrived (near their emission order).
  std::vector<std::pair<uint64_t, const std::string*>> ended;
  pending_bytes_ = 0;
  for (const auto& [key, p] : pending_) {
    pending_bytes_ += EntryBytes(key, p);
    if (p.emitted) ended.emplace_back(p.offset, &key);
  }
  std::sort(ended.begin(), ended.end());
  view_ended_.clear();
  for (const auto& [offset, key] : ended) view_ended_.push_back(*key);
  return absl::OkStatus();
}

absl::Status Joiner::CheckpointLateStore(const std::string& dir) const {
  if (options_.late_store_dir.empty()) return absl::OkStatus();
  if (late_ == nullptr) return absl::UnavailableError(absl::StrCat("joiner: late store: ", late_fault_));
  rocksdb::Checkpoint* cp = nullptr;
  rocksdb::Status s = rocksdb::Checkpoint::Create(late_.get(), &cp);
  std::unique_ptr<rocksdb::Checkpoint> owned(cp);
  if (s.ok()) s = cp->CreateCheckpoint(dir);
  if (!s.ok()) return absl::UnavailableError(absl::StrCat("joiner: late store checkpoint: ", s.ToString()));
  return absl::OkStatus();
}

uint64_t Joiner::LateStoreTableReaderBytes() const {
  uint64_t bytes = 0;
  if (late_ != nullptr) late_->GetIntProperty("rocksdb.estimate-table-readers-mem", &bytes);
  return bytes;
}

size_t Joiner::MemoryBytes() const {
  // Swiss tables: a slot and a control byte per unit of capacity (the pending map's slots point
  // to its entries); strings past the short-string buffer on the heap.
  const auto heap = [](const std::string& s) { return s.capacity() > 15 ? s.capacity() + 1 : 0; };
  size_t bytes = pending_.capacity() * (sizeof(void*) + 1) +
                 by_user_video_.capacity() * (sizeof(decltype(by_user_video_)::slot_type) + 1);
  for (const auto& [key, p] : pending_) {
    bytes += sizeof(PendingMap::value_type) + heap(key) +
             p.features.keys.capacity() * sizeof(embedding::FeatureId) +
             p.features.field_begin.capacity() * sizeof(uint32_t) +
             p.features.dense.capacity() * sizeof(float);
  }
  for (const auto& [pair, key] : by_user_video_) bytes += heap(key);
  for (const auto& [time, key] : expiry_) bytes += sizeof(expiry_[0]) + heap(key);
  for (const std::string& key : view_ended_) bytes += sizeof(key) + heap(key);
  return bytes;
}

}  // namespace foryou::realtime
