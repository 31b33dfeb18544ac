// The feature catalog: every feature foryou knows, by name, with its kind and table slot
// (declared in features.h).
#include "model/features.h"

namespace foryou::model {
namespace {

using K = FeatureKind;

// Slots are part of the snapshot format: never renumber an entry, only add.
constexpr FeatureSpec kCatalog[] = {
    {"video_id", K::kSparse, 1, 0, "the video"},
    {"author_id", K::kSparse, 2, 0, "its creator"},
    {"music_id", K::kSparse, 3, 0, "its sound"},
    {"tag", K::kSparse, 4, 0, "its category / main hashtag"},
    {"video_type", K::kSparse, 5, 0, "normal, ad, ..."},
    {"upload_type", K::kSparse, 6, 0, "how it was made (camera, import, template, ...)"},
    {"duration_bucket", K::kSparse, 7, 0, "duration, half-octave buckets of seconds"},
    {"age_bucket", K::kSparse, 8, 0, "days since upload, octave buckets"},
    {"user_id", K::kSparse, 10, 0, "the user"},
    {"hour", K::kSparse, 11, 0, "local hour of day"},
    {"weekday", K::kSparse, 12, 0, "day of week"},
    {"tab", K::kSparse, 13, 0, "surface the video is shown on"},
    {"user.profile0", K::kSparse, 20, 0, "the user's profile value 0 (named by the config's profile_fields)"},
    {"user.profile1", K::kSparse, 21, 0, "the user's profile value 1 (named by the config's profile_fields)"},
    {"user.profile2", K::kSparse, 22, 0, "the user's profile value 2 (named by the config's profile_fields)"},
    {"user.profile3", K::kSparse, 23, 0, "the user's profile value 3 (named by the config's profile_fields)"},
    {"user.profile4", K::kSparse, 24, 0, "the user's profile value 4 (named by the config's profile_fields)"},
    {"user.profile5", K::kSparse, 25, 0, "the user's profile value 5 (named by the config's profile_fields)"},
    {"user.profile6", K::kSparse, 26, 0, "the user's profile value 6 (named by the config's profile_fields)"},
    {"user.profile7", K::kSparse, 30, 0, "the user's profile value 7 (named by the config's profile_fields)"},
    {"user.profile8", K::kSparse, 31, 0, "the user's profile value 8 (named by the config's profile_fields)"},
    {"user.profile9", K::kSparse, 32, 0, "the user's profile value 9 (named by the config's profile_fields)"},
    {"user.profile10", K::kSparse, 33, 0, "the user's profile value 10 (named by the config's profile_fields)"},
    {"user.profile11", K::kSparse, 34, 0, "the user's profile value 11 (named by the config's profile_fields)"},
    {"user.profile12", K::kSparse, 35, 0, "the user's profile value 12 (named by the config's profile_fields)"},
    {"user.profile13", K::kSparse, 36, 0, "the user's profile value 13 (named by the config's profile_fields)"},
    {"user.profile14", K::kSparse, 37, 0, "the user's profile value 14 (named by the config's profile_fields)"},
    {"user.profile15", K::kSparse, 38, 0, "the user's profile value 15 (named by the config's profile_fields)"},
    {"user.profile16", K::kSparse, 39, 0, "the user's profile value 16 (named by the config's profile_fields)"},
    {"user.profile17", K::kSparse, 40, 0, "the user's profile value 17 (named by the config's profile_fields)"},
    {"user.profile18", K::kSparse, 41, 0, "the user's profile value 18 (named by the config's profile_fields)"},
    {"user.profile19", K::kSparse, 42, 0, "the user's profile value 19 (named by the config's profile_fields)"},
    {"user.profile20", K::kSparse, 43, 0, "the user's profile value 20 (named by the config's profile_fields)"},
    {"user.profile21", K::kSparse, 44, 0, "the user's profile value 21 (named by the config's profile_fields)"},
    {"user.profile22", K::kSparse, 45, 0, "the user's profile value 22 (named by the config's profile_fields)"},
    {"user.profile23", K::kSparse, 46, 0, "the user's profile value 23 (named by the config's profile_fields)"},
    {"user.profile24", K::kSparse, 47, 0, "the user's profile value 24 (named by the config's profile_fields)"},
    {"user.language", K::kSparse, 48, 0, "profile: language"},
    {"user.country", K::kSparse, 49, 0, "profile: country"},
    {"user.device", K::kSparse, 50, 0, "profile: device type"},
    {"user_x_author", K::kSparse, 60, 0, "cross: this user and this creator"},
    {"user_x_tag", K::kSparse, 61, 0, "cross: this user and this category"},
    {"user_x_sound", K::kSparse, 62, 0, "cross: this user and this sound"},
    {"seq.long_view.video", K::kSequence, 70, 0, "user's recent long-viewed videos"},
    {"seq.long_view.author", K::kSequence, 71, 0, "their creators"},
    {"seq.long_view.sound", K::kSequence, 72, 0, "their sounds"},
    {"seq.long_view.tag", K::kSequence, 73, 0, "their categories"},
    {"seq.like.video", K::kSequence, 74, 0, "user's recent liked videos"},
    {"seq.like.author", K::kSequence, 75, 0, "their creators"},
    {"seq.like.sound", K::kSequence, 76, 0, "their sounds"},
    {"seq.like.tag", K::kSequence, 77, 0, "their categories"},
    {"seq.skip.video", K::kSequence, 78, 0, "user's recent skipped (not long-viewed) videos"},
    {"seq.skip.author", K::kSequence, 79, 0, "their creators"},
    {"seq.skip.sound", K::kSequence, 80, 0, "their sounds"},
    {"seq.skip.tag", K::kSequence, 81, 0, "their categories"},
    {"dense.video_rates", K::kDense, 100, 1 + kNumTasks, "video's running engagement rates"},
    {"dense.author_rates", K::kDense, 101, 1 + kNumTasks, "creator's running engagement rates"},
    {"dense.sound_rates", K::kDense, 102, 1 + kNumTasks, "sound's running engagement rates"},
    {"dense.user_rates", K::kDense, 103, 1 + kNumTasks, "user's running engagement rates"},
    {"dense.user_author", K::kDense, 104, 1 + kNumTasks, "user's past engagement with this creator"},
    {"dense.user_sound", K::kDense, 105, 1 + kNumTasks, "user's past engagement with this sound"},
    {"dense.user_tag", K::kDense, 106, 1 + kNumTasks, "user's past engagement with this category"},
    {"dense.video_prior", K::kDense, 107, 3, "video's watches/likes/long views in the warm-start history"},
    {"dense.session", K::kDense, 108, 8,
     "user's session: time since last impression, short-term rates, last outcome, repeats"},
};

}  // namespace

std::span<const FeatureSpec> FeatureCatalog() { return kCatalog; }

const FeatureSpec* FindFeature(std::string_view name) {
  for (const FeatureSpec& f : kCatalog) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

}  // namespace foryou::model
