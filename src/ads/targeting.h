// Who an ad group may reach: the viewer's profile, the matcher of a Targeting against it, and
// lookalike audiences (the users nearest to a seed list in an embedding space).
//
// The viewer's interests and embeddings come from the caller (the model's behaviour state): this
// module depends on no model; vectors are spans of floats.
//
// Example:
//   ViewerProfile v{.country = "US", .age_band = "18-24", .interests = {"dance"}};
//   if (Matches(group.targeting, v)) ...
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "ads/model.h"

namespace foryou::ads {

// What targeting can see of one viewer. An empty field is unknown: it matches no include list
// of that field (an ad group aimed at "female" never reaches a viewer of unknown gender) and no
// exclusion.
struct ViewerProfile {
  std::string user;
  std::string country, language, age_band, gender, device;
  absl::flat_hash_set<std::string> interests;  // categories and hashtags the viewer engages with
  absl::flat_hash_set<std::string> audiences;  // custom and lookalike audiences the viewer is in
};

// True when `v` passes every include list of `t` (empty lists admit anyone) and no exclusion.
bool Matches(const Targeting& t, const ViewerProfile& v);

// The users nearest to a seed list by cosine similarity to the seeds' mean vector.
//   users:   n user ids; vectors: n * dim floats, row i the vector of users[i] (row-major).
//   seeds:   user ids, each of which must be in `users` (NotFound names the first that is not).
// Returns at most `count` users, nearest first (ties by id), the seeds excluded unless
// `include_seeds` (then a seed ranks by its own similarity like anyone else). A user whose
// vector is all zeros (no row) ranks last. InvalidArgument when vectors.size() !=
// users.size() * dim, dim == 0 or no seed is given.
// Cost: O(users x dim) time, O(users) memory.
[[nodiscard]] absl::StatusOr<std::vector<std::string>> Lookalike(
    absl::Span<const std::string> users, absl::Span<const float> vectors, size_t dim,
    absl::Span<const std::string> seeds, size_t count, bool include_seeds = false);

}  // namespace foryou::ads
