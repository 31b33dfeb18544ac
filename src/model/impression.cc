#include "model/impression.h"

#include "absl/time/civil_time.h"
#include "common/id_key.h"

namespace foryou::model {

Impression MakeImpression(std::string_view user, std::string_view video, int64_t time_ms,
                          std::string_view surface, int32_t utc_offset_minutes) {
  Impression imp;
  imp.user_id = common::UserKey(user);
  imp.video_id = common::VideoKey(video);
  imp.time_ms = time_ms;
  const int64_t local_ms = time_ms + int64_t{utc_offset_minutes} * 60'000;
  const int64_t day = local_ms >= 0 ? local_ms / 86'400'000 : 0;
  imp.day = static_cast<int32_t>(day);
  imp.hour = static_cast<uint8_t>((local_ms / 3'600'000) % 24);
  imp.weekday = static_cast<uint8_t>(absl::GetWeekday(absl::CivilDay(1970, 1, 1) + day));
  imp.tab = static_cast<uint32_t>(common::IdKey(surface));
  return imp;
}

}  // namespace foryou::model
