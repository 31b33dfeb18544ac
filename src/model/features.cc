#include "model/features.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "common/binary_io.h"
#include "xxhash.h"

namespace foryou::model {
namespace {

using embedding::FeatureId;
using K = FeatureKind;


// Which profile position a "user.*" feature reads: user.profile0..6 are slots 20..26,
// user.profile7..24 slots 30..47, language / country / device slots 48..50.
int ProfileFieldOf(uint32_t slot) {
  if (slot >= 20 && slot <= 26) return static_cast<int>(slot - 20);
  if (slot >= 30 && slot <= 50) return static_cast<int>(slot - 30) + 7;
  return -1;
}

inline uint64_t Pair(uint64_t a, uint64_t b) {
  const uint64_t v[2] = {a, b};
  return XXH3_64bits(v, sizeof(v));
}

// Which behaviour list / attribute a sequence feature reads.
enum List { kLongViewed = 0, kLiked = 1, kSkipped = 2 };
enum Attr { kVideo = 0, kAuthor = 1, kSound = 2, kTag = 3 };

// Session counters decay with a 30-minute half-life.
constexpr double kSessionDecayPerMs = 0.6931471805599453 / (30 * 60e3);

void Push(std::vector<uint64_t>& list, uint64_t v, size_t cap) {
  if (cap == 0) return;
  // The list's whole size at its first entry: doubling would end at the next power of two
  // (32 for 20: 60% more) after as many reallocations, spread over the user's first weeks.
  if (list.capacity() == 0) list.reserve(cap);
  if (list.size() >= cap) list.erase(list.begin(), list.begin() + (list.size() - cap + 1));
  list.push_back(v);
}

}  // namespace

void AppendRows(const FeatureBatch& rows, FeatureBatch* batch) {
  if (batch->size == 0) {
    batch->fields = rows.fields;
    batch->dense_width = rows.dense_width;
    batch->keys.clear();
    batch->dense.clear();
    batch->field_begin.assign(1, 0);
    batch->max_time_ms = 0;
  }
  const uint32_t base = static_cast<uint32_t>(batch->keys.size());
  batch->keys.insert(batch->keys.end(), rows.keys.begin(), rows.keys.end());
  for (size_t i = 1; i < rows.field_begin.size(); ++i) batch->field_begin.push_back(base + rows.field_begin[i]);
  batch->dense.insert(batch->dense.end(), rows.dense.begin(), rows.dense.end());
  batch->size += rows.size;
  batch->max_time_ms = std::max(batch->max_time_ms, rows.max_time_ms);
}

Catalog::Catalog(const Catalog& other) : videos(other.videos), users(other.users) {
  common::ReaderLock lock(&other.mu_);
  added_videos_ = other.added_videos_;
  added_users_ = other.added_users_;
}

bool Catalog::FindVideo(uint64_t id, VideoInfo* out) const {
  if (auto it = videos.find(id); it != videos.end()) {
    *out = it->second;
    return true;
  }
  common::ReaderLock lock(&mu_);
  auto it = added_videos_.find(id);
  if (it == added_videos_.end()) return false;
  *out = it->second;
  return true;
}

bool Catalog::FindUser(uint64_t id, UserInfo* out) const {
  if (auto it = users.find(id); it != users.end()) {
    *out = it->second;
    return true;
  }
  common::ReaderLock lock(&mu_);
  auto it = added_users_.find(id);
  if (it == added_users_.end()) return false;
  *out = it->second;
  return true;
}

void Catalog::AddVideo(uint64_t id, const VideoInfo& info) const {
  common::WriterLock lock(&mu_);
  added_videos_[id] = info;
}

void Catalog::AddUser(uint64_t id, const UserInfo& info) const {
  common::WriterLock lock(&mu_);
  added_users_[id] = info;
}

size_t Catalog::added() const {
  common::ReaderLock lock(&mu_);
  return added_videos_.size() + added_users_.size();
}

FeatureExtractor::FeatureExtractor(const ModelConfig& config,
                                   std::shared_ptr<const Catalog> catalog, uint64_t hash_buckets)
    : config_(config),
      catalog_(std::move(catalog)),
      hash_buckets_(hash_buckets),
      decay_per_ms_(std::log(2.0) / (config.counter_half_life_hours * 3600e3)),
      track_repeats_(config.Has("dense.session")) {
  for (const FeatureConfig& f : config_.features) {
    const FeatureSpec* spec = config_.Find(f.name);
    if (spec == nullptr) continue;  // rejected by ParseModelConfig
    if (spec->kind == K::kDense) {
      dense_specs_.push_back(spec);
      dense_width_ += static_cast<int>(spec->dense_width);
    } else {
      field_specs_.push_back(spec);
      field_names_.push_back(f.name);
      user_only_field_.push_back(spec->kind == K::kSequence || spec->slot == 10 ||
                                 ProfileFieldOf(spec->slot) >= 0);
    }
  }
}

std::vector<std::string> FeatureExtractor::field_names() const { return field_names_; }

uint64_t FeatureExtractor::Fold(uint64_t id) const {
  if (hash_buckets_ == 0) return id;
  return XXH3_64bits(&id, sizeof(id)) % hash_buckets_;
}

FeatureId FeatureExtractor::Key(uint32_t slot, uint64_t value) const {
  const FeatureId id = embedding::HashFeature(slot, value);
  if (hash_buckets_ == 0) return id;
  return embedding::MakeFeatureId(slot, (id & embedding::kHashMask) % hash_buckets_);
}

void FeatureExtractor::AddRates(const Counters& counters, uint64_t key, int64_t now_ms,
                                float* out) const {
  float n = 0;
  std::array<float, kNumTasks> sums{};
  if (auto it = counters.find(Fold(key)); it != counters.end()) {
    const double age = static_cast<double>(std::max<int64_t>(0, now_ms - it->second.time_ms));
    const float decay = static_cast<float>(std::exp(-decay_per_ms_ * age));
    n = it->second.impressions * decay;
    for (int t = 0; t < kNumTasks; ++t) sums[t] = it->second.sums[t] * decay;
  }
  const float k = static_cast<float>(config_.rate_prior_strength);
  out[0] = std::log1p(n) * 0.2f;
  for (int t = 0; t < kNumTasks; ++t) {
    // Lift over the global rate, log scale, from a rate smoothed toward the global one.
    const float prior = (global_.sums[t] + 1.0f) / (global_.impressions + 2.0f);
    const float rate = (sums[t] + k * prior) / (n + k);
    out[1 + t] = std::clamp(std::log(rate / prior), -4.0f, 4.0f);
  }
}

void FeatureExtractor::Extract(absl::Span<const Impression> batch, FeatureBatch* out) const {
  const int fields = this->fields();
  out->size = static_cast<int>(batch.size());
  out->fields = fields;
  out->dense_width = dense_width_;
  out->keys.clear();
  out->field_begin.clear();
  out->field_begin.reserve(batch.size() * fields + 1);
  out->dense.assign(batch.size() * dense_width_, 0.0f);
  out->max_time_ms = 0;
  static const VideoInfo kNoVideo;
  static const UserInfo kNoUser;
  static const UserState kNoState;

  // A run of rows of one user (a feed request scores hundreds of candidates for one user at one
  // time) reads the user once: the fields that depend on the user alone (sequences, profile,
  // user id) and the user's dense rates are copied from the run's previous row instead of being
  // looked up and hashed again; the output is the same as computing every row.
  UserInfo user = kNoUser;
  const UserState* state_ptr = &kNoState;
  // Most user x creator / sound / category pairs of a request have no counts yet: their rates
  // are the smoothed global rates, the same for every such pair, computed once.
  static const Counters kNoCounts;
  std::array<float, 1 + kNumTasks> no_counts_rates;
  AddRates(kNoCounts, 0, 0, no_counts_rates.data());
  auto pair_rates = [&](const Counters& counters, uint64_t key, int64_t now_ms, float* out) {
    if (counters.contains(Fold(key))) {
      AddRates(counters, key, now_ms, out);
    } else {
      std::copy(no_counts_rates.begin(), no_counts_rates.end(), out);
    }
  };
  for (size_t b = 0; b < batch.size(); ++b) {
    const Impression& imp = batch[b];
    out->max_time_ms = std::max(out->max_time_ms, imp.time_ms);
    VideoInfo video = kNoVideo;
    catalog_->FindVideo(imp.video_id, &video);
    const bool same_user = b > 0 && imp.user_id == batch[b - 1].user_id;
    const bool same_user_time = same_user && imp.time_ms == batch[b - 1].time_ms;
    if (!same_user) {
      user = kNoUser;
      catalog_->FindUser(imp.user_id, &user);
      const auto sit = users_.find(Fold(imp.user_id));
      state_ptr = sit == users_.end() ? &kNoState : &sit->second;
    }
    const UserState& state = *state_ptr;
    const size_t row_cell = b * static_cast<size_t>(fields);
    if (b == 1) out->keys.reserve(out->keys.size() * batch.size());  // rows are alike in size

    for (int fi = 0; fi < fields; ++fi) {
      const FeatureSpec* spec = field_specs_[fi];
      out->field_begin.push_back(static_cast<uint32_t>(out->keys.size()));
      if (same_user && user_only_field_[fi]) {
        const uint32_t begin = out->field_begin[row_cell - fields + fi];
        const uint32_t end = out->field_begin[row_cell - fields + fi + 1];
        const size_t at = out->keys.size();
        out->keys.resize(at + (end - begin));  // then copy: resize may reallocate
        std::copy_n(out->keys.data() + begin, end - begin, out->keys.data() + at);
        continue;
      }
      const uint32_t slot = spec->slot;
      if (spec->kind == K::kSequence) {
        const int list = static_cast<int>((slot - 70) / 4), attr = static_cast<int>((slot - 70) % 4);
        const std::vector<uint64_t>& items =
            list == kLongViewed ? state.long_viewed : list == kLiked ? state.liked : state.skipped;
        for (uint64_t v : items) {
          uint64_t value = v;
          if (attr != kVideo) {
            VideoInfo seq_video;
            if (!catalog_->FindVideo(v, &seq_video)) continue;
            value = attr == kAuthor ? seq_video.author_id
                    : attr == kSound ? seq_video.music_id
                                     : seq_video.tag;
          }
          out->keys.push_back(Key(slot, value));
        }
        continue;
      }
      uint64_t value = 0;
      switch (slot) {
        case 1: value = imp.video_id; break;
        case 2: value = video.author_id; break;
        case 3: value = video.music_id; break;
        case 4: value = video.tag; break;
        case 5: value = video.video_type; break;
        case 6: value = video.upload_type; break;
        case 7: {
          const uint32_t ms = imp.duration_ms ? imp.duration_ms : video.duration_ms;
          value = static_cast<uint64_t>(2.0 * std::log2(ms / 1000.0 + 1.0));
          break;
        }
        case 8:
          value = video.upload_day < 0
                      ? 1000
                      : static_cast<uint64_t>(std::log2(std::max(0, imp.day - video.upload_day) + 1.0));
          break;
        case 10: value = imp.user_id; break;
        case 11: value = imp.hour; break;
        case 12: value = imp.weekday; break;
        case 13: value = imp.tab; break;
        case 60: value = Pair(imp.user_id, video.author_id); break;
        case 61: value = Pair(imp.user_id, video.tag); break;
        case 62: value = Pair(imp.user_id, video.music_id); break;
        default: {
          const int field = ProfileFieldOf(slot);
          value = field >= 0 ? user.profile[field] : 0;
        }
      }
      out->keys.push_back(Key(slot, value));
    }

    float* dense = out->dense.data() + b * dense_width_;
    for (const FeatureSpec* spec : dense_specs_) {
      const int64_t now = imp.time_ms;
      switch (spec->slot) {
        case 100: AddRates(video_counts_, imp.video_id, now, dense); break;
        case 101: AddRates(author_counts_, video.author_id, now, dense); break;
        case 102: AddRates(sound_counts_, video.music_id, now, dense); break;
        case 103:
          if (same_user_time) {
            std::copy_n(dense - dense_width_, spec->dense_width, dense);
          } else {
            AddRates(user_counts_, imp.user_id, now, dense);
          }
          break;
        case 104: pair_rates(user_author_counts_, Pair(imp.user_id, video.author_id), now, dense); break;
        case 105: pair_rates(user_sound_counts_, Pair(imp.user_id, video.music_id), now, dense); break;
        case 106: pair_rates(user_tag_counts_, Pair(imp.user_id, video.tag), now, dense); break;
        case 107:
          if (auto it = video_prior_.find(Fold(imp.video_id)); it != video_prior_.end()) {
            for (int i = 0; i < 3; ++i) dense[i] = std::log1p(it->second[i]) * 0.2f;
          }
          break;
        case 108: {
          // Session: what the user did in the last minutes, and whether this video is a repeat.
          if (same_user_time) {
            std::copy_n(dense - dense_width_, 6, dense);  // the user's part; 6, 7 are the video's
          } else if (state.last_time_ms > 0) {
            const double gap_min = std::max<int64_t>(0, now - state.last_time_ms) / 60000.0;
            dense[0] = static_cast<float>(std::log1p(gap_min)) * 0.2f;
            const float decay = static_cast<float>(std::exp(-kSessionDecayPerMs * std::max<int64_t>(0, now - state.session.time_ms)));
            const float n = state.session.impressions * decay;
            dense[1] = std::log1p(n) * 0.5f;
            dense[2] = (state.session.sums[kClick] * decay + 1.0f) / (n + 2.0f);
            dense[3] = (state.session.sums[kLongView] * decay + 1.0f) / (n + 2.0f);
            dense[4] = state.last_click;
            dense[5] = state.last_long_view;
          } else {
            dense[0] = 2.0f;  // never seen: as if long ago
          }
          if (auto it = user_video_counts_.find(Fold(Pair(imp.user_id, imp.video_id))); it != user_video_counts_.end()) {
            dense[6] = std::log1p(it->second[0]);
            dense[7] = it->second[1] > 0 ? 1.0f : 0.0f;
          }
          break;
        }
      }
      dense += spec->dense_width;
    }
  }
  out->field_begin.push_back(static_cast<uint32_t>(out->keys.size()));
}

namespace {
// Decays `c` to the impression's time (at `decay_per_ms`), then counts the impression.
void AddTo(EngagementCounter& c, const Impression& imp, double decay_per_ms) {
  if (imp.time_ms > c.time_ms) {
    const float decay = static_cast<float>(std::exp(-decay_per_ms * static_cast<double>(imp.time_ms - c.time_ms)));
    c.impressions *= decay;
    for (float& s : c.sums) s *= decay;
    c.time_ms = imp.time_ms;
  }
  c.impressions += 1;
  for (int t = 0; t < kNumTasks; ++t) c.sums[t] += imp.labels[t];
}
}  // namespace

void FeatureExtractor::Count(Counters& counters, uint64_t key, const Impression& imp) {
  AddTo(counters[Fold(key)], imp, decay_per_ms_);
}

void FeatureExtractor::Observe(absl::Span<const Impression> batch) {
  const size_t cap = config_.sequence_length;
  for (const Impression& imp : batch) {
    VideoInfo video;
    catalog_->FindVideo(imp.video_id, &video);
    UserState& state = users_[Fold(imp.user_id)];
    if (imp.labels[kLongView] > 0.5f) {
      Push(state.long_viewed, imp.video_id, cap);
    } else {
      Push(state.skipped, imp.video_id, cap);
    }
    if (imp.labels[kLike] > 0.5f) Push(state.liked, imp.video_id, cap);
    if (imp.time_ms >= state.last_time_ms) {
      state.last_time_ms = imp.time_ms;
      state.last_click = imp.labels[kClick];
      state.last_long_view = imp.labels[kLongView];
    }
    AddTo(state.session, imp, kSessionDecayPerMs);
    if (track_repeats_) {
      auto& uv = user_video_counts_[Fold(Pair(imp.user_id, imp.video_id))];
      uv[0] += 1;
      uv[1] += imp.labels[kClick];
    }

    Count(video_counts_, imp.video_id, imp);
    Count(author_counts_, video.author_id, imp);
    Count(sound_counts_, video.music_id, imp);
    Count(user_counts_, imp.user_id, imp);
    Count(user_author_counts_, Pair(imp.user_id, video.author_id), imp);
    Count(user_sound_counts_, Pair(imp.user_id, video.music_id), imp);
    Count(user_tag_counts_, Pair(imp.user_id, video.tag), imp);
    global_.impressions += 1;
    for (int t = 0; t < kNumTasks; ++t) global_.sums[t] += imp.labels[t];
  }
  TrimPairCounters();
}

void FeatureExtractor::TrimPairCounters() {
  const uint64_t cap = config_.max_pair_counters;
  if (cap == 0) return;
  const uint64_t keep = cap - cap / 16;
  for (Counters* counters : {&user_author_counts_, &user_sound_counts_, &user_tag_counts_}) {
    if (counters->size() <= cap) continue;
    // The `evict` oldest update times: every entry older than the cut goes, entries at the cut
    // only until `evict` went. Trimming to 15/16 makes the scan once per cap/16 new pairs.
    const size_t evict = counters->size() - keep;
    std::vector<int64_t> times;
    times.reserve(counters->size());
    for (const auto& [key, c] : *counters) times.push_back(c.time_ms);
    std::nth_element(times.begin(), times.begin() + (evict - 1), times.end());
    const int64_t cut = times[evict - 1];
    size_t at_cut = evict - static_cast<size_t>(std::count_if(
                                times.begin(), times.begin() + (evict - 1),
                                [cut](int64_t t) { return t < cut; }));
    for (auto it = counters->begin(); it != counters->end();) {
      const int64_t t = it->second.time_ms;
      if (t < cut || (t == cut && at_cut > 0)) {
        if (t == cut) --at_cut;
        counters->erase(it++);
      } else {
        ++it;
      }
    }
  }
  if (user_video_counts_.size() > cap) {
    size_t evict = user_video_counts_.size() - keep;
    for (auto it = user_video_counts_.begin(); evict > 0; --evict) user_video_counts_.erase(it++);
  }
}

void FeatureExtractor::AddHistory(uint64_t user_id, absl::Span<const uint64_t> watched,
                                  absl::Span<const uint64_t> liked,
                                  absl::Span<const uint64_t> long_viewed, int64_t time_ms) {
  const size_t cap = config_.sequence_length;
  UserState& state = users_[Fold(user_id)];
  absl::flat_hash_map<uint64_t, int> long_set;
  for (uint64_t v : long_viewed) {
    Push(state.long_viewed, v, cap);
    ++long_set[v];
    video_prior_[Fold(v)][2] += 1;
  }
  for (uint64_t v : liked) {
    Push(state.liked, v, cap);
    video_prior_[Fold(v)][1] += 1;
  }
  for (uint64_t v : watched) {
    video_prior_[Fold(v)][0] += 1;
    auto it = long_set.find(v);
    if (it != long_set.end() && it->second > 0) {
      --it->second;
    } else {
      Push(state.skipped, v, cap);
    }
  }
}

}  // namespace foryou::model

namespace foryou::model {
namespace {

constexpr uint32_t kStateVersion = 1;

// Each Put* calls `flush` between entries, so a streaming caller can hand the bytes on in
// pieces (FeatureExtractor::SaveState with a sink).
using Flush = absl::FunctionRef<void(std::string*)>;

void PutCounters(common::BinaryWriter& w, std::string* out, Flush flush,
                 const absl::flat_hash_map<uint64_t, EngagementCounter>& m) {
  w.Put<uint64_t>(m.size());
  for (const auto& [k, c] : m) {
    w.Put(k);
    w.Put(c);
    flush(out);
  }
}

bool GetCounters(common::BinaryReader& r, absl::flat_hash_map<uint64_t, EngagementCounter>* m) {
  uint64_t n = 0;
  if (!r.Get(&n)) return false;
  m->clear();
  m->reserve(std::min<uint64_t>(n, 1 << 20));
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t k;
    EngagementCounter c;
    if (!r.Get(&k) || !r.Get(&c)) return false;
    (*m)[k] = c;
  }
  return true;
}

template <typename V>
void PutMap(common::BinaryWriter& w, std::string* out, Flush flush,
            const absl::flat_hash_map<uint64_t, V>& m) {
  w.Put<uint64_t>(m.size());
  for (const auto& [k, v] : m) {
    w.Put(k);
    w.Put(v);
    flush(out);
  }
}

template <typename V>
bool GetMap(common::BinaryReader& r, absl::flat_hash_map<uint64_t, V>* m) {
  uint64_t n = 0;
  if (!r.Get(&n)) return false;
  m->clear();
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t k;
    V v;
    if (!r.Get(&k) || !r.Get(&v)) return false;
    (*m)[k] = v;
  }
  return true;
}

}  // namespace

void FeatureExtractor::SaveState(std::string* out) const {
  WriteState(out, [](std::string*) {});
}

void FeatureExtractor::SaveState(absl::FunctionRef<void(std::string_view)> sink) const {
  constexpr size_t kPieceBytes = 1 << 20;
  std::string buf;
  buf.reserve(kPieceBytes + 4096);
  WriteState(&buf, [&](std::string* b) {
    if (b->size() < kPieceBytes) return;
    sink(*b);
    b->clear();
  });
  if (!buf.empty()) sink(buf);
}

void FeatureExtractor::WriteState(std::string* out,
                                  absl::FunctionRef<void(std::string*)> flush) const {
  common::BinaryWriter w(out);
  w.Put(kStateVersion);
  w.Put<uint64_t>(users_.size());
  for (const auto& [k, u] : users_) {
    w.Put(k);
    w.PutVector(u.long_viewed);
    w.PutVector(u.liked);
    w.PutVector(u.skipped);
    w.Put(u.last_time_ms);
    w.Put(u.last_click);
    w.Put(u.last_long_view);
    w.Put(u.session);
    flush(out);
  }
  for (const Counters* c : {&video_counts_, &author_counts_, &sound_counts_, &user_counts_,
                            &user_author_counts_, &user_sound_counts_, &user_tag_counts_}) {
    PutCounters(w, out, flush, *c);
  }
  PutMap(w, out, flush, video_prior_);
  PutMap(w, out, flush, user_video_counts_);
  w.Put(global_);
}

absl::Status FeatureExtractor::LoadState(std::string_view blob) {
  common::BinaryReader r(blob);
  uint32_t version = 0;
  if (!r.Get(&version) || version != kStateVersion) {
    return absl::DataLossError("feature state: unknown version");
  }
  absl::flat_hash_map<uint64_t, UserState> users;
  uint64_t n = 0;
  if (!r.Get(&n)) return absl::DataLossError("feature state: truncated");
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t k;
    UserState u;
    if (!r.Get(&k) || !r.GetVector(&u.long_viewed) || !r.GetVector(&u.liked) ||
        !r.GetVector(&u.skipped) || !r.Get(&u.last_time_ms) || !r.Get(&u.last_click) ||
        !r.Get(&u.last_long_view) || !r.Get(&u.session)) {
      return absl::DataLossError("feature state: truncated user state");
    }
    users[k] = std::move(u);
  }
  std::array<Counters, 7> counters;
  for (Counters& c : counters) {
    if (!GetCounters(r, &c)) return absl::DataLossError("feature state: truncated counters");
  }
  absl::flat_hash_map<uint64_t, std::array<float, 3>> prior;
  absl::flat_hash_map<uint64_t, std::array<float, 2>> repeats;
  EngagementCounter global;
  if (!GetMap(r, &prior) || !GetMap(r, &repeats) || !r.Get(&global) || !r.done()) {
    return absl::DataLossError("feature state: truncated or trailing bytes");
  }
  users_ = std::move(users);
  video_counts_ = std::move(counters[0]);
  author_counts_ = std::move(counters[1]);
  sound_counts_ = std::move(counters[2]);
  user_counts_ = std::move(counters[3]);
  user_author_counts_ = std::move(counters[4]);
  user_sound_counts_ = std::move(counters[5]);
  user_tag_counts_ = std::move(counters[6]);
  video_prior_ = std::move(prior);
  user_video_counts_ = std::move(repeats);
  global_ = global;
  return absl::OkStatus();
}

namespace {

// A Swiss table: one slot and one control byte per unit of capacity.
template <typename Map>
size_t TableBytes(const Map& m) {
  return m.capacity() == 0 ? 0 : m.capacity() * (sizeof(typename Map::slot_type) + 1) + 16;
}

}  // namespace

BehaviourMemory FeatureExtractor::Memory() const {
  BehaviourMemory m;
  m.users = users_.size();
  m.bytes = TableBytes(users_);
  for (const auto& [user, state] : users_) {
    m.list_entries += state.long_viewed.size() + state.liked.size() + state.skipped.size();
    m.bytes += (state.long_viewed.capacity() + state.liked.capacity() + state.skipped.capacity()) *
               sizeof(uint64_t);
  }
  for (const Counters* c : {&video_counts_, &author_counts_, &sound_counts_, &user_counts_}) {
    m.counters += c->size();
    m.bytes += TableBytes(*c);
  }
  for (const Counters* c : {&user_author_counts_, &user_sound_counts_, &user_tag_counts_}) {
    m.pair_counters += c->size();
    m.bytes += TableBytes(*c);
  }
  m.pair_counters += user_video_counts_.size();
  m.bytes += TableBytes(user_video_counts_) + TableBytes(video_prior_);
  return m;
}

}  // namespace foryou::model
