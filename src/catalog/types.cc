// Names of the moderation states, as the JSON API and the docs spell them.
#include "catalog/types.h"

namespace foryou::catalog {
namespace {
constexpr std::string_view kModerationNames[] = {"pending", "approved", "limited", "removed"};
}  // namespace

std::string_view ModerationName(Moderation m) {
  const auto i = static_cast<size_t>(m);
  return i < std::size(kModerationNames) ? kModerationNames[i] : std::string_view("unknown");
}

bool ParseModeration(std::string_view name, Moderation* out) {
  for (size_t i = 0; i < std::size(kModerationNames); ++i) {
    if (name == kModerationNames[i]) {
      *out = static_cast<Moderation>(i);
      return true;
    }
  }
  return false;
}

}  // namespace foryou::catalog
