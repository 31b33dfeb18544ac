// UTF-8 well-formedness, the one rule every text field of the project uses (events, catalog).
#pragma once

#include <cstddef>
#include <string_view>

namespace foryou::common {

// Offset of the first byte that is not part of well-formed UTF-8 (no overlong forms, no
// surrogates, nothing above U+10FFFF), or std::string_view::npos if `s` is well-formed.
size_t InvalidUtf8At(std::string_view s);

}  // namespace foryou::common
