// Lookalike audiences from the serving replica's user rows (see ads_lookalike.h).
#include "server/ads_lookalike.h"

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "ads/targeting.h"
#include "common/id_key.h"
#include "common/status_macros.h"
#include "embedding/feature_id.h"
#include "feed/user_directory.h"
#include "model/features.h"

namespace foryou::server {
namespace {

// Users looked up in the table at once: bounds the lookup buffer, not the result.
constexpr size_t kLookalikeLookupBatch = 4096;

}  // namespace

absl::StatusOr<ServingUserRows> ReadServingUserRows(const catalog::CatalogStore& catalog,
                                                    const embedding::EmbeddingTable& table) {
  const model::FeatureSpec* spec = model::FindFeature("user_id");
  const uint32_t dim = spec == nullptr ? 0 : table.DimOf(spec->slot);
  if (dim == 0) {
    return absl::FailedPreconditionError("lookalike: the model has no user_id embedding");
  }
  ServingUserRows out;
  out.dim = dim;
  std::vector<std::string> batch_users;
  std::vector<embedding::FeatureId> keys;
  std::vector<float> rows;
  // Keeps the users of the batch whose row is not all zeros (Lookup's answer for no row).
  auto flush = [&]() -> absl::Status {
    if (keys.empty()) return absl::OkStatus();
    rows.assign(keys.size() * dim, 0.0f);
    FORYOU_RETURN_IF_ERROR(table.Lookup(keys, absl::MakeSpan(rows)));
    for (size_t i = 0; i < keys.size(); ++i) {
      const float* x = &rows[i * dim];
      bool any = false;
      for (uint32_t d = 0; d < dim && !any; ++d) any = x[d] != 0.0f;
      if (!any) continue;
      out.users.push_back(std::move(batch_users[i]));
      out.rows.insert(out.rows.end(), x, x + dim);
    }
    batch_users.clear();
    keys.clear();
    return absl::OkStatus();
  };
  absl::Status lookup_status;
  FORYOU_RETURN_IF_ERROR(catalog.ForEachUser([&](const catalog::User& u) {
    if (!lookup_status.ok()) return;
    std::string model_user = feed::ModelUserOf(u);
    keys.push_back(embedding::HashFeature(spec->slot, common::UserKey(model_user)));
    batch_users.push_back(u.id);
    if (keys.size() >= kLookalikeLookupBatch) lookup_status = flush();
  }));
  FORYOU_RETURN_IF_ERROR(lookup_status);
  FORYOU_RETURN_IF_ERROR(flush());
  return out;
}

absl::StatusOr<std::vector<std::string>> ComputeLookalike(const ads::AdsStore& ads,
                                                          const catalog::CatalogStore& catalog,
                                                          const embedding::EmbeddingTable& table,
                                                          const ads::Audience& a) {
  FORYOU_ASSIGN_OR_RETURN(std::vector<std::string> seed_members, ads.AudienceMembers(a.seed));
  FORYOU_ASSIGN_OR_RETURN(ServingUserRows rows, ReadServingUserRows(catalog, table));
  absl::flat_hash_set<std::string_view> has_row;
  for (size_t i = 0; i < rows.users.size(); ++i) has_row.insert(rows.users[i]);
  std::vector<std::string> seeds;
  for (const std::string& s : seed_members) {
    if (has_row.contains(s)) seeds.push_back(s);
  }
  if (seeds.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "audience.seed: none of the ", seed_members.size(), " members of audience ", a.seed,
        " has a user row in the serving model yet"));
  }
  return ads::Lookalike(rows.users, rows.rows, rows.dim, seeds,
                        static_cast<size_t>(a.requested_size), a.include_seed);
}

}  // namespace foryou::server
