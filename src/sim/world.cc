// The synthetic world of `foryou simulate` (see the header).
#include "sim/world.h"

#include <algorithm>
#include <cmath>
#include <functional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "nlohmann/json.hpp"
#include "xxhash.h"

namespace foryou::sim {

namespace {

constexpr double kTasteWeight = 5.0;
constexpr double kLikeBias = -4.5;
constexpr double kLongBias = -2.5;
constexpr double kAffinitySigma = 0.4;
constexpr double kMaxActivity = 100;  // a background user browses at most 100x the mean
const char* const kGenericTags[] = {"fyp", "viral", "foryou", "trend", "new"};

double Uniform(std::mt19937_64& rng, double lo, double hi) {
  return std::uniform_real_distribution<double>(lo, hi)(rng);
}

}  // namespace

double Sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

absl::StatusOr<WorldCalibration> ParseWorldCalibration(std::string_view text) {
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return absl::InvalidArgumentError("world calibration: not a JSON object");
  WorldCalibration c;
  auto numbers = [&](const char* key, const nlohmann::json& v,
                     std::vector<double>* out) -> absl::Status {
    if (!v.is_array()) return absl::InvalidArgumentError(absl::StrCat(key, ": must be an array"));
    for (const auto& x : v) {
      if (!x.is_number() || x.get<double>() < 0) {
        return absl::InvalidArgumentError(absl::StrCat(key, ": must hold numbers >= 0"));
      }
      out->push_back(x.get<double>());
    }
    return absl::OkStatus();
  };
  for (const char* key : {"category_share", "taste_profiles", "activity", "popularity",
                          "age_slope_per_day"}) {
    if (!j.contains(key)) return absl::InvalidArgumentError(absl::StrCat(key, ": missing"));
  }
  if (absl::Status s = numbers("category_share", j["category_share"], &c.category_share); !s.ok()) {
    return s;
  }
  if (c.category_share.empty() ||
      *std::max_element(c.category_share.begin(), c.category_share.end()) <= 0) {
    return absl::InvalidArgumentError("category_share: must hold at least one number > 0");
  }
  if (absl::Status s = numbers("activity", j["activity"], &c.activity); !s.ok()) return s;
  for (double a : c.activity) {
    if (a > kMaxActivity) {
      return absl::InvalidArgumentError(
          absl::StrCat("activity: must be at most ", kMaxActivity, " (times the mean)"));
    }
  }
  if (!j["taste_profiles"].is_array() || j["taste_profiles"].empty()) {
    return absl::InvalidArgumentError("taste_profiles: must be a non-empty array");
  }
  for (const auto& p : j["taste_profiles"]) {
    std::vector<double> profile;
    if (absl::Status s = numbers("taste_profiles[]", p, &profile); !s.ok()) return s;
    if (profile.size() != c.category_share.size()) {
      return absl::InvalidArgumentError(
          "taste_profiles: every profile must have one value per category_share entry");
    }
    if (*std::max_element(profile.begin(), profile.end()) < 0.5) {
      return absl::InvalidArgumentError(
          "taste_profiles: every profile needs a main category (a value >= 0.5)");
    }
    c.taste_profiles.push_back(std::move(profile));
  }
  for (const char* key : {"popularity", "age_slope_per_day"}) {
    if (!j[key].is_number()) return absl::InvalidArgumentError(absl::StrCat(key, ": must be a number"));
  }
  c.popularity = j["popularity"].get<double>();
  c.age_slope_per_day = j["age_slope_per_day"].get<double>();
  return c;
}

absl::StatusOr<World> World::Generate(const WorldOptions& options, uint64_t seed) {
  World w;
  w.options_ = options;
  std::mt19937_64 rng(seed * 0x9E3779B97F4A7C15ull + 17);
  std::normal_distribution<double> normal(0.0, 1.0);
  const int c = std::max(1, options.categories);
  w.options_.categories = c;
  const WorldCalibration& cal = options.calibration;
  if (!cal.category_share.empty() && static_cast<int>(cal.category_share.size()) != c) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "world: the calibration has %d categories, the world %d", cal.category_share.size(), c));
  }
  // Creators' main categories follow the catalog's category shares (uniform uncalibrated).
  std::vector<double> share = cal.category_share;
  if (share.empty()) share.assign(c, 1.0);
  std::discrete_distribution<int> pick_category(share.begin(), share.end());
  for (int i = 0; i < options.creators; ++i) {
    w.creator_category_.push_back(pick_category(rng));
    w.creator_quality_.push_back(0.5 * normal(rng));
  }
  for (int i = 0; i < options.sounds; ++i) w.sound_category_.push_back(static_cast<int>(rng() % c));
  // Sounds by category, so a video can pick a topical one.
  std::vector<std::vector<int>> sounds_of(c);
  for (int i = 0; i < options.sounds; ++i) sounds_of[w.sound_category_[i]].push_back(i);
  // Creators are Zipf-ish in output: a few post a lot.
  std::vector<double> creator_weight;
  for (int i = 0; i < options.creators; ++i) creator_weight.push_back(1.0 / std::sqrt(i + 1.0));
  std::discrete_distribution<int> pick_creator(creator_weight.begin(), creator_weight.end());
  for (int i = 0; i < options.videos; ++i) {
    SimVideo v;
    v.id = absl::StrFormat("v%05d", i);
    v.creator = options.creators > 0 ? pick_creator(rng) : 0;
    v.category = options.creators > 0 ? w.creator_category_[v.creator] : static_cast<int>(rng() % c);
    if (Uniform(rng, 0, 1) < options.off_category_share) v.category = static_cast<int>(rng() % c);
    if (!sounds_of[v.category].empty() && Uniform(rng, 0, 1) >= options.original_sound_share) {
      const auto& s = sounds_of[v.category];
      v.sound = s[rng() % s.size()];
    }
    const double creator_q = options.creators > 0 ? w.creator_quality_[v.creator] : 0.0;
    v.quality = std::clamp(creator_q + 0.6 * normal(rng), -2.5, 2.5);
    v.duration_ms = static_cast<uint32_t>(Uniform(rng, 8'000, 60'000));
    v.age_at_start_ms = static_cast<int64_t>(Uniform(rng, 0, static_cast<double>(options.upload_span_ms)));
    v.hashtags.push_back(w.CategoryTag(v.category));
    if (Uniform(rng, 0, 1) < options.generic_tag_share) {
      v.hashtags.push_back(kGenericTags[rng() % std::size(kGenericTags)]);
    }
    w.videos_.push_back(std::move(v));
  }
  return w;
}

std::string World::CategoryTag(int category) const { return absl::StrFormat("cat%02d", category); }
std::string World::CreatorId(int creator) const { return absl::StrFormat("c%04d", creator); }
std::string World::SoundId(int sound) const {
  return sound < 0 ? std::string() : absl::StrFormat("s%04d", sound);
}

int World::VideoIndex(const std::string& id) const {
  if (id.size() < 2 || id[0] != 'v') return -1;
  int i = 0;
  for (size_t k = 1; k < id.size(); ++k) {
    if (id[k] < '0' || id[k] > '9') return -1;
    i = i * 10 + (id[k] - '0');
    if (i >= static_cast<int>(videos_.size())) return -1;
  }
  return videos_[i].id == id ? i : -1;
}

Taste World::RandomTaste(std::mt19937_64& rng, const std::vector<int>& avoid) const {
  const int c = options_.categories;
  const auto& profiles = options_.calibration.taste_profiles;
  if (!profiles.empty()) {
    auto avoided = [&](int k) { return std::find(avoid.begin(), avoid.end(), k) != avoid.end(); };
    Taste t;
    t.affinity_seed = rng();
    for (int attempt = 0;; ++attempt) {
      t.category = profiles[rng() % profiles.size()];
      if (attempt >= 50) {
        // No real profile avoids these: relabel the categories of the last one at random.
        std::shuffle(t.category.begin(), t.category.end(), rng);
      }
      t.main.clear();
      for (int k = 0; k < c; ++k) {
        if (t.category[k] >= 0.5) t.main.push_back(k);
      }
      std::stable_sort(t.main.begin(), t.main.end(),
                       [&](int a, int b) { return t.category[a] > t.category[b]; });
      if (std::none_of(t.main.begin(), t.main.end(), avoided) ||
          static_cast<int>(avoid.size()) >= c || attempt >= 100) {
        return t;
      }
    }
  }
  std::vector<int> pool;
  for (int i = 0; i < c; ++i) {
    if (std::find(avoid.begin(), avoid.end(), i) == avoid.end()) pool.push_back(i);
  }
  if (pool.empty()) {
    for (int i = 0; i < c; ++i) pool.push_back(i);
  }
  std::shuffle(pool.begin(), pool.end(), rng);
  const double r = Uniform(rng, 0, 1);
  const int k = std::min<int>(static_cast<int>(pool.size()), r < 0.4 ? 1 : r < 0.8 ? 2 : 3);
  Taste t;
  t.category.resize(c);
  for (int i = 0; i < c; ++i) t.category[i] = Uniform(rng, 0.0, 0.1);
  for (int i = 0; i < k; ++i) {
    t.main.push_back(pool[i]);
    t.category[pool[i]] = i == 0 ? 1.0 : Uniform(rng, 0.6, 1.0);
  }
  t.affinity_seed = rng();
  return t;
}

double World::CreatorAffinity(const Taste& taste, int creator) const {
  // Box-Muller on two uniforms hashed from (seed, creator): fixed per user and creator.
  const uint64_t in[2] = {taste.affinity_seed, static_cast<uint64_t>(creator)};
  const uint64_t h = XXH3_64bits(in, sizeof(in));
  const double u1 = (static_cast<double>(h >> 40) + 0.5) / static_cast<double>(1ull << 24);
  const double u2 = (static_cast<double>(h & 0xFFFFFF) + 0.5) / static_cast<double>(1ull << 24);
  return kAffinitySigma * std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
}

double World::RandomActivity(std::mt19937_64& rng) const {
  const auto& a = options_.calibration.activity;
  return a.empty() ? 1.0 : a[rng() % a.size()];
}

double World::Appeal(const SimVideo& v, double views, int64_t elapsed_ms) const {
  const WorldCalibration& c = options_.calibration;
  const double age_days = static_cast<double>(v.age_at_start_ms + elapsed_ms) / 86'400'000.0;
  return c.popularity * std::log1p(std::max(0.0, views)) + c.age_slope_per_day * age_days;
}

double World::PLike(const Taste& taste, const SimVideo& v, double appeal) const {
  return Sigmoid(kTasteWeight * taste.category[v.category] + v.quality +
                 CreatorAffinity(taste, v.creator) + appeal + kLikeBias);
}

double World::PLongView(const Taste& taste, const SimVideo& v, double appeal) const {
  return Sigmoid(kTasteWeight * taste.category[v.category] + v.quality +
                 CreatorAffinity(taste, v.creator) + appeal + kLongBias);
}

Reaction World::React(const Taste& taste, const SimVideo& v, double appeal,
                      std::mt19937_64& rng) const {
  Reaction r;
  const double p_like = PLike(taste, v, appeal);
  const double p_long = std::max(p_like, PLongView(taste, v, appeal));
  r.liked = Uniform(rng, 0, 1) < p_like;
  // P(long) = p_long overall, with every like a long view.
  r.long_view = r.liked || Uniform(rng, 0, 1) < (p_long - p_like) / std::max(1e-9, 1.0 - p_like);
  if (r.long_view) {
    r.completed = Uniform(rng, 0, 1) < 0.7;
    if (r.completed) {
      r.replays = Uniform(rng, 0, 1) < 0.2 ? 1 : 0;
      r.watch_ms = static_cast<int64_t>(v.duration_ms) * (1 + r.replays);
    } else {
      r.watch_ms = static_cast<int64_t>(Uniform(rng, 0.6, 0.95) * v.duration_ms);
    }
    r.shared = r.liked && Uniform(rng, 0, 1) < 0.15;
  } else if (Uniform(rng, 0, 1) < 0.75) {
    r.quick_skip = true;
    r.watch_ms = static_cast<int64_t>(Uniform(rng, 300, 2900));
  } else {
    r.watch_ms = static_cast<int64_t>(Uniform(rng, 3000, std::max(3001.0, 0.5 * v.duration_ms)));
  }
  return r;
}

double World::TopMean(std::vector<double>* p, int top) {
  if (p->empty() || top <= 0) return 0;
  const size_t k = std::min<size_t>(static_cast<size_t>(top), p->size());
  std::partial_sort(p->begin(), p->begin() + static_cast<std::ptrdiff_t>(k), p->end(),
                    std::greater<double>());
  double sum = 0;
  for (size_t i = 0; i < k; ++i) sum += (*p)[i];
  return sum / static_cast<double>(k);
}

}  // namespace foryou::sim
