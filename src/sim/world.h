// The simulator's synthetic world (docs/design/sim.md): categories (hashtags), creators, sounds
// and videos with a hidden quality, and users with a hidden taste. It decides how a user reacts
// to a video (the "ground truth" the feed is supposed to discover) and what the best possible
// feed would be (the oracle). Pure and deterministic: no I/O, no clock; randomness only from the
// seed and from the rng a caller passes in.
//
// Example:
//   World world = World::Generate({.videos = 3000}, /*seed=*/7);
//   std::mt19937_64 rng(1);
//   Taste taste = world.RandomTaste(rng, /*avoid=*/{});
//   double p = world.PLike(taste, world.videos()[0]);
//   Reaction r = world.React(taste, world.videos()[0], rng);
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"

namespace foryou::sim {

// What a real audience does that the synthetic world imitates, fitted from KuaiRand by
// bench/calibrate_sim.py into config/sim_world.json (docs/design/sim.md, "Calibration").
// Empty / zero members leave the synthetic default in place.
struct WorldCalibration {
  std::vector<double> category_share;               // the catalog's videos per category
  std::vector<std::vector<double>> taste_profiles;  // real users' tastes, top category = 1
  std::vector<double> activity;       // background users' browsing, relative to the mean
  double popularity = 0;         // logit += popularity x ln(1 + the video's views so far)
  double age_slope_per_day = 0;  // logit += age_slope_per_day x the video's age in days
};

// Parses config/sim_world.json's format. InvalidArgument naming the field for a missing or
// malformed one, profiles of different lengths, or a category_share of another length.
[[nodiscard]] absl::StatusOr<WorldCalibration> ParseWorldCalibration(std::string_view json);
// config/sim_world.json as compiled in: the calibration `foryou simulate` runs by default.
std::string_view DefaultWorldCalibrationJson();

struct WorldOptions {
  int categories = 20;  // hashtags "cat00".."cat19"; a video's first hashtag is its category
  int creators = 200;   // each with a main category (most of their videos) and a quality
  int sounds = 300;     // each belongs to a category (trend sounds are topical)
  int videos = 3000;
  double original_sound_share = 0.2;  // videos with their own sound ("")
  double off_category_share = 0.2;    // videos outside their creator's main category
  double generic_tag_share = 0.3;     // videos with a second, category-free hashtag ("fyp", ...)
  int64_t upload_span_ms = 7 * 86'400'000LL;  // videos were uploaded over this span before the start
  // Set: `categories` must equal the profiles' (and category_share's) length.
  WorldCalibration calibration;
};

struct SimVideo {
  std::string id;        // "v00042"
  int category = 0;      // index into categories
  int creator = 0;       // index into creators
  int sound = -1;        // index into sounds; -1 = original sound
  double quality = 0;    // hidden; ~N(creator quality, 0.6)
  uint32_t duration_ms = 0;
  int64_t age_at_start_ms = 0;  // uploaded this long before the simulation starts
  std::vector<std::string> hashtags;  // category first
};

// A user's hidden taste: how much they like each category (0..1; their 1-3 main categories
// near 1, the rest below 0.1) and a seed for their per-creator affinity noise.
struct Taste {
  std::vector<double> category;
  std::vector<int> main;  // the main categories (taste >= 0.5), strongest first
  uint64_t affinity_seed = 0;
};

// What a user did with one shown video.
struct Reaction {
  bool liked = false, long_view = false, completed = false, shared = false;
  bool quick_skip = false;  // swiped away before 3 s
  int64_t watch_ms = 0;
  int32_t replays = 0;
};

class World {
 public:
  // InvalidArgument when the calibration does not fit the options (see WorldOptions).
  static absl::StatusOr<World> Generate(const WorldOptions& options, uint64_t seed);

  const WorldOptions& options() const { return options_; }
  const std::vector<SimVideo>& videos() const { return videos_; }
  int num_categories() const { return options_.categories; }
  std::string CategoryTag(int category) const;  // "cat07"
  std::string CreatorId(int creator) const;     // "c0042"
  std::string SoundId(int sound) const;         // "s0042"; "" for -1
  int CreatorCategory(int creator) const { return creator_category_[creator]; }

  // A taste whose main categories avoid `avoid` (if that leaves any): a calibrated world draws
  // a real user's profile (re-drawing, then relabelling categories, to avoid), a synthetic one
  // makes 1-3 main categories near 1 and the rest below 0.1.
  Taste RandomTaste(std::mt19937_64& rng, const std::vector<int>& avoid) const;
  // A background user's share of the warm-up's swipes, relative to the mean (1 uncalibrated).
  double RandomActivity(std::mt19937_64& rng) const;

  // What every user feels about a video at a moment, beyond their own taste: the crowd's pull
  // (calibration.popularity x ln(1 + views so far)) and its age (age_slope_per_day x days since
  // upload, `elapsed_ms` after the start). 0 in an uncalibrated world.
  double Appeal(const SimVideo& video, double views, int64_t elapsed_ms) const;

  // The probability that the user likes / watches most of the video:
  //   p_like = sigmoid(5 x taste(category) + quality + affinity(creator) + appeal - 4.5)
  //   p_long = sigmoid(5 x taste(category) + quality + affinity(creator) + appeal - 2.5)
  double PLike(const Taste& taste, const SimVideo& video, double appeal = 0) const;
  double PLongView(const Taste& taste, const SimVideo& video, double appeal = 0) const;
  // The user's fixed affinity for a creator: ~N(0, 0.4), a hash of (affinity_seed, creator).
  double CreatorAffinity(const Taste& taste, int creator) const;

  // Samples the user's reaction: a like implies a long view; a long view is a play to (near)
  // the end; otherwise a quick skip (< 3 s) or a short partial play.
  Reaction React(const Taste& taste, const SimVideo& video, double appeal,
                 std::mt19937_64& rng) const;

  // The like rate of the best possible feed: the mean p_like of the `top` videos with the
  // highest p_like among those `usable` accepts (video index -> may be served); `appeal`:
  // video index -> its Appeal now.
  template <typename Usable, typename AppealOf>
  double Oracle(const Taste& taste, int top, const Usable& usable, const AppealOf& appeal) const {
    std::vector<double> p;
    p.reserve(videos_.size());
    for (size_t i = 0; i < videos_.size(); ++i) {
      const int k = static_cast<int>(i);
      if (usable(k)) p.push_back(PLike(taste, videos_[i], appeal(k)));
    }
    return TopMean(&p, top);
  }
  // The mean p_like over every video `usable` accepts: the expected like rate of a random feed.
  template <typename Usable, typename AppealOf>
  double RandomFeedRate(const Taste& taste, const Usable& usable, const AppealOf& appeal) const {
    double sum = 0;
    int n = 0;
    for (size_t i = 0; i < videos_.size(); ++i) {
      const int k = static_cast<int>(i);
      if (usable(k)) sum += PLike(taste, videos_[i], appeal(k)), ++n;
    }
    return n == 0 ? 0 : sum / n;
  }

  // Index of a video id ("v00042" -> 42), -1 if it is not one of this world's videos.
  int VideoIndex(const std::string& id) const;

 private:
  static double TopMean(std::vector<double>* p, int top);

  WorldOptions options_;
  std::vector<int> creator_category_;
  std::vector<double> creator_quality_;
  std::vector<int> sound_category_;
  std::vector<SimVideo> videos_;
};

double Sigmoid(double x);

}  // namespace foryou::sim
