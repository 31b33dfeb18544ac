// FoldForMatch and TermMatcher (see the header). The folding is a table over Latin-1 and Latin
// Extended-A (what NFKD plus dropping the combining marks gives for them) rather than full
// Unicode normalisation: the project has no ICU, and evasions of banned terms use these letters.
#include "common/text_fold.h"

#include <cstdint>

namespace foryou::common {
namespace {

// U+00C0..U+00FF folded; "" = removed (the signs x and /).
constexpr const char* kLatin1[64] = {
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",
    "d", "n", "o", "o", "o", "o", "o", "",  "o", "u", "u", "u", "u", "y", "th", "ss",
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",
    "d", "n", "o", "o", "o", "o", "o", "",  "o", "u", "u", "u", "u", "y", "th", "y"};

// U+0100..U+017F by ranges: [first, last] -> letters.
struct Range {
  char32_t first, last;
  const char* to;
};
constexpr Range kLatinExtA[] = {
    {0x100, 0x105, "a"}, {0x106, 0x10D, "c"}, {0x10E, 0x111, "d"}, {0x112, 0x11B, "e"},
    {0x11C, 0x123, "g"}, {0x124, 0x127, "h"}, {0x128, 0x131, "i"}, {0x132, 0x133, "ij"},
    {0x134, 0x135, "j"}, {0x136, 0x138, "k"}, {0x139, 0x142, "l"}, {0x143, 0x14B, "n"},
    {0x14C, 0x151, "o"}, {0x152, 0x153, "oe"}, {0x154, 0x159, "r"}, {0x15A, 0x161, "s"},
    {0x162, 0x167, "t"}, {0x168, 0x173, "u"}, {0x174, 0x175, "w"}, {0x176, 0x178, "y"},
    {0x179, 0x17E, "z"}, {0x17F, 0x17F, "s"}};

// Decodes one code point at s[*i] and advances *i; malformed bytes give U+FFFD (then dropped).
char32_t Next(std::string_view s, size_t* i) {
  const auto b = [&](size_t k) { return static_cast<uint8_t>(s[k]); };
  const uint8_t c = b(*i);
  int n = c < 0x80 ? 0 : (c >> 5) == 6 ? 1 : (c >> 4) == 14 ? 2 : (c >> 3) == 30 ? 3 : -1;
  if (n < 0 || *i + n >= s.size()) {
    ++*i;
    return 0xFFFD;
  }
  char32_t cp = n == 0 ? c : c & (0x3F >> n);
  for (int k = 1; k <= n; ++k) {
    if ((b(*i + k) & 0xC0) != 0x80) {
      ++*i;
      return 0xFFFD;
    }
    cp = (cp << 6) | (b(*i + k) & 0x3F);
  }
  *i += n + 1;
  return cp;
}

void Append(char32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Marks, invisible characters, spaces and punctuation outside ASCII: removed.
bool Removed(char32_t cp) {
  return (cp >= 0x80 && cp <= 0xBF) ||     // Latin-1 controls, NBSP, signs, soft hyphen
         (cp >= 0x300 && cp <= 0x36F) ||   // combining diacritical marks
         (cp >= 0x2000 && cp <= 0x206F) || // spaces, zero-width, general punctuation
         (cp >= 0x3000 && cp <= 0x303F) || // CJK spaces and punctuation
         (cp >= 0xFE00 && cp <= 0xFE0F) || // variation selectors
         cp == 0xFEFF || cp == 0xFFFD || cp == 0x1680 || cp == 0x180E;
}

char Leet(char c) {
  switch (c) {
    case '0': return 'o';
    case '1': return 'i';
    case '3': return 'e';
    case '4': case '@': return 'a';
    case '5': case '$': return 's';
    case '7': return 't';
    default: return c;
  }
}

}  // namespace

std::string FoldForMatch(std::string_view text, FoldOptions options) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    char32_t cp = Next(text, &i);
    if (cp >= 0xFF01 && cp <= 0xFF5E) cp -= 0xFF01 - 0x21;  // fullwidth ASCII
    if (cp < 0x80) {
      char c = static_cast<char>(cp);
      if (options.leet) c = Leet(c);
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) out.push_back(c);
      continue;
    }
    if (cp >= 0xC0 && cp <= 0xFF) {
      out += kLatin1[cp - 0xC0];
      continue;
    }
    if (cp >= 0x100 && cp <= 0x17F) {
      for (const Range& r : kLatinExtA) {
        if (cp >= r.first && cp <= r.last) out += r.to;
      }
      continue;
    }
    if (Removed(cp)) continue;
    Append(cp, &out);
  }
  return out;
}

TermMatcher::TermMatcher(std::vector<std::string> terms, FoldOptions options)
    : terms_(std::move(terms)), options_(options) {
  folded_.reserve(terms_.size());
  for (const std::string& t : terms_) folded_.push_back(FoldForMatch(t, options_));
}

std::optional<std::string> TermMatcher::FindIn(std::string_view text) const {
  const std::string folded = FoldForMatch(text, options_);
  for (size_t i = 0; i < folded_.size(); ++i) {
    if (!folded_[i].empty() && folded.find(folded_[i]) != std::string::npos) return terms_[i];
  }
  return std::nullopt;
}

}  // namespace foryou::common
