// Events for the event schema's tests (event_test.cc, event_json_test.cc, event_binary_test.cc):
// a typical valid event of each type, and random valid events that reach every field's limits.
//
// Example:
//   RandomEvents gen(/*seed=*/7);
//   for (EventType t : AllTypes()) EXPECT_TRUE(ValidateEvent(Typical(t), kNow).ok());
//   EXPECT_TRUE(ValidateEvent(gen.Next(), kNow).ok());
#pragma once

#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "stream/event.h"

namespace foryou::stream {

// The clock the tests validate against, and the time of Typical events.
inline constexpr int64_t kNow = 1700000000000;  // 2023-11-14T22:13:20Z
inline constexpr int64_t kTime = kNow - 5000;

// The known types, 1..kNumEventTypes.

inline std::vector<EventType> AllTypes() {
  std::vector<EventType> types;
  for (int t = 1; t <= kNumEventTypes; ++t) types.push_back(static_cast<EventType>(t));
  return types;
}

// A realistic valid event of `type` with every field its type uses.
inline Event Typical(EventType type) {
  Event e;
  e.type = type;
  e.user = "u8412345";
  e.time_ms = kTime;
  e.request_id = "r93f2a1c07b";
  switch (type) {
    case EventType::kFollow:
    case EventType::kUnfollow:
    case EventType::kHideCreator:
      e.creator = "c771203";
      e.video = "v5550123";
      break;
    case EventType::kHideSound:
      e.sound = "s190022";
      break;
    default:
      e.video = "v5550123";
  }
  if (type == EventType::kImpression) {
    e.position = 3;
    e.surface = "foryou";
  }
  if (type == EventType::kPlay) {
    e.watch_ms = 15230;
    e.completed = true;
    e.replays = 2;
  }
  if (type == EventType::kSkip) e.watch_ms = 840;
  if (type == EventType::kAdClick) e.position = 4;
  if (type == EventType::kComment) e.text = "so good \xF0\x9F\x98\x82";  // an emoji
  if (type == EventType::kReport) e.reason = "spam";
  return e;
}

// The binary record of `e`.
inline std::string Encode(const Event& e) {
  std::string out;
  EncodeEvent(e, &out);
  return out;
}

// Random valid events (for the JSON and binary round trips).
class RandomEvents {
 public:
  explicit RandomEvents(uint64_t seed) : rng_(seed) {}

  Event Next() {
    Event e;
    e.type = static_cast<EventType>(Uniform(1, kNumEventTypes));
    e.user = Id(kMaxIdBytes);
    e.time_ms = Uniform(0, 3) == 0 ? kMinTimeMs + Uniform(0, 1) : Uniform(kMinTimeMs, kNow);
    const EventType t = e.type;
    const bool creator_type =
        t == EventType::kFollow || t == EventType::kUnfollow || t == EventType::kHideCreator;
    if (t == EventType::kImpression || t == EventType::kAdClick || Coin()) {
      e.request_id = Id(kMaxIdBytes);
    }
    if ((!creator_type && t != EventType::kHideSound) || Coin()) e.video = Id(kMaxIdBytes);
    if (creator_type || Coin(8)) e.creator = Id(kMaxIdBytes);
    if (t == EventType::kHideSound || Coin(8)) e.sound = Id(kMaxIdBytes);
    if (t == EventType::kComment || Coin(8)) e.text = Utf8(kMaxTextBytes);
    if (t == EventType::kReport || Coin(8)) e.reason = Utf8(kMaxReasonBytes);
    if (Coin(4)) e.surface = Id(kMaxSurfaceBytes);
    if (Coin(3)) e.position = static_cast<int32_t>(Number(std::numeric_limits<int32_t>::max()));
    if (Coin(3)) e.watch_ms = Number(kMaxWatchMs);
    if (Coin(3)) e.replays = static_cast<int32_t>(Number(std::numeric_limits<int32_t>::max()));
    e.completed = Coin(3);
    return e;
  }

  std::mt19937_64& rng() { return rng_; }

 private:
  int64_t Uniform(int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng_);
  }
  bool Coin(int one_in = 2) { return Uniform(1, one_in) == 1; }

  // 0, the maximum, or a value of random magnitude (so every varint length occurs).
  int64_t Number(int64_t max) {
    switch (Uniform(0, 3)) {
      case 0:
        return 0;
      case 1:
        return max;
      default:
        return Uniform(0, max) >> Uniform(0, 62);
    }
  }

  std::string Id(size_t max_bytes) {
    switch (Uniform(0, 5)) {
      case 0:
        return std::to_string(Uniform(0, std::numeric_limits<int64_t>::max()) >>
                              Uniform(0, 62));  // numeric: packed form
      case 1:
        return "0" + std::to_string(Uniform(0, 99999));  // leading zero: raw form
      case 2:
        return "9223372036854775808";  // 2^63: raw form
      case 3:
        return std::string(max_bytes, static_cast<char>(Uniform(0x21, 0x7E)));
      default: {
        std::string s(static_cast<size_t>(Uniform(1, 24)), ' ');
        for (char& c : s) c = static_cast<char>(Uniform(0x21, 0x7E));
        return s;
      }
    }
  }

  std::string Utf8(size_t max_bytes) {
    const size_t target = static_cast<size_t>(Uniform(1, static_cast<int64_t>(max_bytes)));
    std::string s;
    while (true) {
      std::string c;
      const int64_t cp = Uniform(0, 3) == 0 ? Uniform(0x20, 0x7E)
                         : Uniform(0, 1)    ? Uniform(0x80, 0xD7FF)
                                            : Uniform(0xE000, 0x10FFFF);
      if (cp < 0x80) {
        c = static_cast<char>(cp);
      } else if (cp < 0x800) {
        c = {static_cast<char>(0xC0 | (cp >> 6)), static_cast<char>(0x80 | (cp & 0x3F))};
      } else if (cp < 0x10000) {
        c = {static_cast<char>(0xE0 | (cp >> 12)), static_cast<char>(0x80 | ((cp >> 6) & 0x3F)),
             static_cast<char>(0x80 | (cp & 0x3F))};
      } else {
        c = {static_cast<char>(0xF0 | (cp >> 18)), static_cast<char>(0x80 | ((cp >> 12) & 0x3F)),
             static_cast<char>(0x80 | ((cp >> 6) & 0x3F)), static_cast<char>(0x80 | (cp & 0x3F))};
      }
      if (s.size() + c.size() > target) break;
      s += c;
    }
    return s.empty() ? "x" : s;
  }

  std::mt19937_64 rng_;
};

}  // namespace foryou::stream
