// The rules a comment's text must pass before it is stored: 1..2000 bytes of well-formed UTF-8
// without a banned term (docs/design/social.md, "Text").
#pragma once

#include <string_view>

#include "absl/status/status.h"

namespace foryou::social {

inline constexpr size_t kMaxCommentBytes = 2000;

// InvalidArgument naming the problem ("text: contains the banned term 'free followers'").
// Terms match anywhere in the text after folding (common/text_fold.h: accents, case, and
// spaces, punctuation or zero-width characters between letters do not hide a term).
[[nodiscard]] absl::Status CheckCommentText(std::string_view text);

// Characters (UTF-8 code points) of well-formed `s`.
size_t CodePoints(std::string_view s);

}  // namespace foryou::social
