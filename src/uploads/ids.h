// Ids the uploads module hands out: a prefix and 16 random hex digits ("up-", "job-", "vu-"),
// unguessable, so one user cannot reach another's upload by counting.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace foryou::uploads {

inline std::string NewId(std::string_view prefix) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  return absl::StrCat(absl::string_view(prefix.data(), prefix.size()), absl::StrFormat("%016x", rng()));
}

}  // namespace foryou::uploads
