// Text folded for matching banned terms: accents, case, fullwidth forms, punctuation, spaces and
// zero-width characters inserted between letters, and optionally leetspeak digits. Comments
// (social) and video captions (moderation) share it, so a term caught in one is caught in the
// other.
//
// Example:
//   common::TermMatcher m({"banned"}, {.leet = true});
//   m.FindIn("B.a.n-n e d")  // -> "banned"
//   m.FindIn("b4nn3d")       // -> "banned" (leet on)
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace foryou::common {

struct FoldOptions {
  // Read the digits 0 1 3 4 5 7 and the signs @ $ as the letters o i e a s t a s.
  bool leet = false;
};

// `text` (UTF-8; malformed bytes are dropped) reduced to what a reader sees as its letters:
// Latin letters with accents lose them (NFKD-style: "Ä" -> "a", "ß" -> "ss", "Æ" -> "ae"),
// fullwidth ASCII becomes ASCII, everything is lower case (ASCII and folded Latin), combining
// marks, zero-width characters (U+200B..U+200D, U+2060, U+FEFF, soft hyphen), spaces and
// punctuation are removed. Letters of other scripts are kept as they are.
std::string FoldForMatch(std::string_view text, FoldOptions options = {});

// A fixed list of terms, each folded once; FindIn folds the text and looks for each term.
// Immutable after construction: thread-safe.
class TermMatcher {
 public:
  explicit TermMatcher(std::vector<std::string> terms, FoldOptions options = {});
  // The first term (as given) found in `text`, or nullopt. Terms that fold to "" never match.
  std::optional<std::string> FindIn(std::string_view text) const;
  const std::vector<std::string>& terms() const { return terms_; }

 private:
  std::vector<std::string> terms_;
  std::vector<std::string> folded_;
  FoldOptions options_;
};

}  // namespace foryou::common
