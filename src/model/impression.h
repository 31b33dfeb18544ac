// How client events become the model's impressions and labels: the serving-time impression the
// feed scores and the training impression the joiner labels are built by the same function, and
// the watch-time thresholds that turn a play into a label are defined here once.
//
// Example:
//   model::Impression imp = model::MakeImpression("7", "42", now_ms, "foryou", 480);
//   bool long_view = watch_ms >= model::kLongViewMs;
#pragma once

#include <cstdint>
#include <string_view>

#include "model/features.h"

namespace foryou::model {

// A play or skip of at least this long is a long view when the client did not report completion.
inline constexpr int64_t kLongViewMs = 18'000;
// A skip after at least this long still counts as a play (a click); shorter is a quick skip.
inline constexpr int64_t kPlayedMs = 3'000;

// The impression (no labels) of `video` shown to `user` on `surface` at `time_ms`, with the day /
// hour / weekday of the platform's local time (`utc_offset_minutes` east of UTC). Ids are keyed
// with common::IdKey; a numeric surface names itself (KuaiRand's tabs), any other is hashed.
Impression MakeImpression(std::string_view user, std::string_view video, int64_t time_ms,
                          std::string_view surface, int32_t utc_offset_minutes);

}  // namespace foryou::model
