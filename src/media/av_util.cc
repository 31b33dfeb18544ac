// AVERROR -> absl::Status.
#include "media/av_util.h"

#include "absl/strings/str_cat.h"

namespace foryou::media {

std::string AvErrorText(int err) {
  char buf[AV_ERROR_MAX_STRING_SIZE] = {};
  av_strerror(err, buf, sizeof(buf));
  return buf;
}

absl::Status InputError(absl::string_view what, int err) {
  return absl::InvalidArgumentError(absl::StrCat(what, ": ", AvErrorText(err)));
}

absl::Status InternalError(absl::string_view what, int err) {
  return absl::InternalError(absl::StrCat(what, ": ", AvErrorText(err)));
}

}  // namespace foryou::media
