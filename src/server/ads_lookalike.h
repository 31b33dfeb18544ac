// Lookalike audiences over the serving model: the users nearest to a seed audience's members in
// the model's user embedding space (each catalog user's user_id row in the serving replica), by
// cosine to the seeds' centroid (ads::Lookalike). Computed when the audience is created or
// refreshed (api_server_ads_audiences.cc); the members are then stored like a custom audience's.
//
// Example:
//   absl::StatusOr<std::vector<std::string>> members =
//       ComputeLookalike(ads_store, catalog, *loop.serving().shared_table(), audience);
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "ads/ads_store.h"
#include "ads/model.h"
#include "catalog/catalog_store.h"
#include "embedding/embedding_table.h"

namespace foryou::server {

// The users a lookalike compares: every catalog user with a user_id row in `table`, keyed as the
// model keys them ("<id>#<epoch>" after a refresh), and those rows (users.size() x dim floats,
// row-major). A user without a row (never trained on, expired, deleted) is left out.
struct ServingUserRows {
  std::vector<std::string> users;
  std::vector<float> rows;
  size_t dim = 0;
};
// One pass over the catalog's users and batched lookups in `table` (thread-safe reads).
// FailedPrecondition when the model has no user_id embedding.
[[nodiscard]] absl::StatusOr<ServingUserRows> ReadServingUserRows(
    const catalog::CatalogStore& catalog, const embedding::EmbeddingTable& table);

// The members of lookalike `a` now (at most a.requested_size user ids, nearest first), from its
// seed audience's current members. Cost: one catalog scan and O(users x dim) arithmetic,
// O(users x dim) memory. FailedPrecondition naming the seed when none of its members has a row
// yet (the model has not learned any of them).
[[nodiscard]] absl::StatusOr<std::vector<std::string>> ComputeLookalike(
    const ads::AdsStore& ads, const catalog::CatalogStore& catalog,
    const embedding::EmbeddingTable& table, const ads::Audience& a);

}  // namespace foryou::server
