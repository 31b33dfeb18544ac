// CheckCommentText: length, UTF-8 and the banned terms (see the header).
#include "social/text_check.h"

#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/text_fold.h"
#include "common/utf8.h"

namespace foryou::social {
namespace {

// Spam phrases refused in comments, matched on folded text (common/text_fold.h): accents,
// case, spaces, punctuation and zero-width characters between the letters do not hide them.
const common::TermMatcher& BannedTerms() {
  static const common::TermMatcher* const matcher = new common::TermMatcher(
      {"free followers", "buy followers", "free likes", "buy likes", "click my link"});
  return *matcher;
}

}  // namespace

absl::Status CheckCommentText(std::string_view text) {
  if (text.empty()) return absl::InvalidArgumentError("text: required (1..2000 bytes)");
  if (text.size() > kMaxCommentBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("text: ", text.size(), " bytes; at most ", kMaxCommentBytes));
  }
  if (size_t at = common::InvalidUtf8At(text); at != std::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat("text: invalid UTF-8 at byte ", at));
  }
  if (std::optional<std::string> term = BannedTerms().FindIn(text)) {
    return absl::InvalidArgumentError(absl::StrCat("text: contains the banned term '", *term, "'"));
  }
  return absl::OkStatus();
}

size_t CodePoints(std::string_view s) {
  size_t n = 0;
  for (char c : s) n += (static_cast<uint8_t>(c) & 0xC0) != 0x80;
  return n;
}

}  // namespace foryou::social
