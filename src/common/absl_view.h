// absl::string_view from std::string_view. Debian's Abseil is built with its own string_view
// (ABSL_OPTION_USE_STD_STRING_VIEW 0), so the two types do not convert into each other.
#pragma once

#include <string_view>

#include "absl/strings/string_view.h"

namespace foryou::common {

// Short on purpose: it wraps every std::string_view handed to absl::StrCat and friends.
inline absl::string_view A(std::string_view s) { return absl::string_view(s.data(), s.size()); }

}  // namespace foryou::common
