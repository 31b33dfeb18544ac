// Generated display text for KuaiRand's ids. The words come from fixed lists indexed by a
// SplitMix64 hash of the id (never std::hash, whose values differ between libraries), so a name
// is the same on every machine and every import; 64 x 64 pairs make repeats rare but possible,
// which is harmless because the id, not the name, identifies the record.
#include "kuairand/display_text.h"

#include <array>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace foryou::kuairand {
namespace {

constexpr std::array<std::string_view, 64> kCreatorAdjectives = {
    "Amber",  "Azure",  "Bold",   "Brave",  "Bright", "Calm",   "Cedar",  "Clever",
    "Copper", "Coral",  "Cosmic", "Crimson", "Dapper", "Dusty",  "Eager",  "Fern",
    "Fleet",  "Gentle", "Golden", "Grand",  "Happy",  "Hazel",  "Honey",  "Indigo",
    "Ivory",  "Jade",   "Jolly",  "Keen",   "Lively", "Lucky",  "Lunar",  "Maple",
    "Merry",  "Misty",  "Noble",  "Nimble", "Ocean",  "Olive",  "Pearl",  "Plucky",
    "Quiet",  "Rapid",  "Rosy",   "Ruby",   "Rustic", "Sandy",  "Silver", "Sleepy",
    "Snowy",  "Solar",  "Sunny",  "Swift",  "Teal",   "Tidy",   "Velvet", "Violet",
    "Warm",   "Wild",   "Windy",  "Witty",  "Young",  "Zesty",  "Breezy", "Starry"};
constexpr std::array<std::string_view, 64> kCreatorAnimals = {
    "Badger",  "Bear",    "Beaver",  "Bison",   "Crane",   "Crow",    "Deer",    "Dolphin",
    "Dove",    "Eagle",   "Falcon",  "Ferret",  "Finch",   "Fox",     "Gecko",   "Goose",
    "Hare",    "Hawk",    "Heron",   "Ibis",    "Jay",     "Koala",   "Lark",    "Lemur",
    "Lion",    "Llama",   "Lynx",    "Magpie",  "Marten",  "Mole",    "Moose",   "Newt",
    "Otter",   "Owl",     "Panda",   "Parrot",  "Pelican", "Puffin",  "Quail",   "Rabbit",
    "Raven",   "Robin",   "Salmon",  "Seal",    "Shrike",  "Sparrow", "Squid",   "Stork",
    "Swan",    "Tapir",   "Tiger",   "Toad",    "Trout",   "Turtle",  "Walrus",  "Whale",
    "Wolf",    "Wombat",  "Wren",    "Yak",     "Zebra",   "Kestrel", "Orca",    "Ibex"};
constexpr std::array<std::string_view, 64> kSoundAdjectives = {
    "Slow",     "Electric", "Neon",     "Paper",   "Midnight", "Summer",  "Winter",  "Golden",
    "Broken",   "Endless",  "Silent",   "Distant", "Hidden",   "Restless", "Gentle", "Wild",
    "Lazy",     "Blue",     "Crystal",  "Faded",   "Falling",  "Floating", "Frozen", "Hollow",
    "Lonely",   "Lucky",    "Magic",    "Morning", "Northern", "Open",    "Pastel",   "Quiet",
    "Rainy",    "Rising",   "Secret",   "Silver",  "Simple",   "Sleepy",  "Small",   "Soft",
    "Spinning", "Starlit",  "Sudden",   "Sunday",  "Sweet",    "Tiny",    "Urban",   "Velvet",
    "Warm",     "Wandering", "Weekend", "Whispered", "Young",  "Amber",   "Bright",  "Cloudy",
    "Dancing",  "Dreamy",   "Early",    "Evening", "Fading",   "First",   "Glowing", "Humming"};
constexpr std::array<std::string_view, 64> kSoundNouns = {
    "Avenue",  "Balloons", "Bells",    "Bicycle", "Breeze",   "Candles", "Circles", "Clouds",
    "Coffee",  "Corners",  "Dawn",     "Days",    "Dreams",   "Echoes",  "Fields",  "Fireflies",
    "Garden",  "Harbour",  "Highway",  "Horizon", "Islands",  "Kites",   "Lanterns", "Letters",
    "Lights",  "Meadow",   "Mirrors",  "Moon",    "Morning",  "Mountains", "Night", "Oceans",
    "Orbit",   "Pages",    "Parade",   "Petals",  "Postcards", "Rain",   "Rivers",  "Roads",
    "Rooftops", "Seasons", "Shadows",  "Signals", "Skyline",  "Snow",    "Steps",   "Stars",
    "Streets", "Sunrise",  "Tides",    "Trains",  "Tunes",    "Valley",  "Waves",   "Windows",
    "Wishes",  "Echo",     "Footsteps", "Heartbeat", "Lullaby", "Melody", "Rhythm", "Song"};

uint64_t SplitMix64(uint64_t x) {
  uint64_t z = x + 0x9e3779b97f4a7c15ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

template <size_t N>
std::string TwoWords(uint64_t id, uint64_t salt, const std::array<std::string_view, N>& first,
                     const std::array<std::string_view, N>& second) {
  const uint64_t h = SplitMix64(id ^ salt);
  std::string out(first[h % N]);
  out += ' ';
  out += second[(h / N) % N];
  return out;
}

constexpr std::array<std::string_view, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

}  // namespace

std::string KuaiRandTopicName(std::string_view hashtag) {
  if (hashtag.empty()) return "Untagged";
  if (hashtag.size() > 5 && hashtag.substr(0, 5) == "topic") {
    std::string_view digits = hashtag.substr(5);
    bool numeric = true;
    for (char c : digits) numeric = numeric && absl::ascii_isdigit(static_cast<unsigned char>(c));
    if (numeric) return "Topic " + std::string(digits);
  }
  return std::string(hashtag);
}

std::string GeneratedCreatorName(uint64_t author_id) {
  return TwoWords(author_id, 0x63726561746f72ull, kCreatorAdjectives, kCreatorAnimals) +
         std::string(kGeneratedNameMark);
}

std::string GeneratedSoundTitle(uint64_t music_id) {
  return TwoWords(music_id, 0x736f756e64ull, kSoundAdjectives, kSoundNouns) +
         std::string(kGeneratedTitleMark);
}

std::string GeneratedCaption(const std::vector<std::string>& hashtags, uint32_t duration_ms,
                             uint32_t upload_yyyymmdd) {
  std::string out = KuaiRandTopicName(hashtags.empty() ? std::string_view() : hashtags[0]);
  if (hashtags.size() > 1) {
    out += " (also";
    for (size_t i = 1; i < hashtags.size(); ++i) {
      absl::StrAppend(&out, i > 1 ? ", " : " ", KuaiRandTopicName(hashtags[i]));
    }
    out += ")";
  }
  if (duration_ms == 0) {
    out += " · length not given";
  } else {
    const uint32_t s = (duration_ms + 500) / 1000;
    absl::StrAppend(&out, " · ", absl::StrFormat("%u:%02u", s / 60, s % 60));
  }
  const uint32_t month = (upload_yyyymmdd / 100) % 100;
  if (upload_yyyymmdd != 0 && month >= 1 && month <= 12) {
    absl::StrAppend(&out, " · posted ", upload_yyyymmdd % 100, " ",
                    std::string(kMonths[month - 1]), " ", upload_yyyymmdd / 10000);
  }
  out += kGeneratedCaptionMark;
  return out;
}

}  // namespace foryou::kuairand
