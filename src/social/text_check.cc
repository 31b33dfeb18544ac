// CheckCommentText: length, UTF-8 and the banned terms (see the header).
#include "social/text_check.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/utf8.h"

namespace foryou::social {
namespace {

// Spam phrases refused in comments. Lower case; matched case-insensitively.
constexpr std::string_view kBannedTerms[] = {"free followers", "buy followers", "free likes",
                                             "buy likes", "click my link"};

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
  const std::string lower = absl::AsciiStrToLower(absl::string_view(text.data(), text.size()));
  for (std::string_view term : kBannedTerms) {
    if (absl::StrContains(lower, absl::string_view(term.data(), term.size()))) {
      return absl::InvalidArgumentError(absl::StrCat("text: contains the banned term '", absl::string_view(term.data(), term.size()), "'"));
    }
  }
  return absl::OkStatus();
}

size_t CodePoints(std::string_view s) {
  size_t n = 0;
  for (char c : s) n += (static_cast<uint8_t>(c) & 0xC0) != 0x80;
  return n;
}

}  // namespace foryou::social
