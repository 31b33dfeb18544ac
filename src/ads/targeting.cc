// Targeting match and lookalike audiences (see targeting.h).
#include "ads/targeting.h"

#include <algorithm>
#include <cmath>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"

namespace foryou::ads {
namespace {

bool Admits(const std::vector<std::string>& list, const std::string& value) {
  if (list.empty()) return true;
  if (value.empty()) return false;
  return std::find(list.begin(), list.end(), value) != list.end();
}

bool AnyIn(const std::vector<std::string>& list, const absl::flat_hash_set<std::string>& set) {
  for (const std::string& x : list) {
    if (set.contains(x)) return true;
  }
  return false;
}

}  // namespace

bool Matches(const Targeting& t, const ViewerProfile& v) {
  if (!Admits(t.countries, v.country) || !Admits(t.languages, v.language) ||
      !Admits(t.age_bands, v.age_band) || !Admits(t.genders, v.gender) ||
      !Admits(t.devices, v.device)) {
    return false;
  }
  if (!t.interests.empty() && !AnyIn(t.interests, v.interests)) return false;
  if (!t.audiences.empty() && !AnyIn(t.audiences, v.audiences)) return false;
  return !AnyIn(t.excluded_interests, v.interests) && !AnyIn(t.excluded_audiences, v.audiences);
}

absl::StatusOr<std::vector<std::string>> Lookalike(absl::Span<const std::string> users,
                                                   absl::Span<const float> vectors, size_t dim,
                                                   absl::Span<const std::string> seeds,
                                                   size_t count, bool include_seeds) {
  if (dim == 0 || vectors.size() != users.size() * dim) {
    return absl::InvalidArgumentError(absl::StrCat("lookalike: ", vectors.size(),
                                                   " floats for ", users.size(), " users of dim ",
                                                   dim));
  }
  if (seeds.empty()) return absl::InvalidArgumentError("lookalike: no seed users");
  absl::flat_hash_map<absl::string_view, size_t> row;
  for (size_t i = 0; i < users.size(); ++i) row.emplace(users[i], i);
  absl::flat_hash_set<size_t> seed_rows;
  // The seeds' centroid of unit vectors: every seed weighs the same whatever its norm.
  std::vector<double> centre(dim, 0.0);
  for (const std::string& s : seeds) {
    auto it = row.find(s);
    if (it == row.end()) return absl::NotFoundError(absl::StrCat("lookalike: seed ", s, " has no vector"));
    if (!seed_rows.insert(it->second).second) continue;
    const float* x = &vectors[it->second * dim];
    double norm = 0;
    for (size_t d = 0; d < dim; ++d) norm += double{x[d]} * x[d];
    if (norm <= 0) continue;
    norm = std::sqrt(norm);
    for (size_t d = 0; d < dim; ++d) centre[d] += x[d] / norm;
  }
  std::vector<std::pair<double, size_t>> scored;
  scored.reserve(users.size());
  for (size_t i = 0; i < users.size(); ++i) {
    if (!include_seeds && seed_rows.contains(i)) continue;
    const float* x = &vectors[i * dim];
    double dot = 0, norm = 0;
    for (size_t d = 0; d < dim; ++d) {
      dot += centre[d] * x[d];
      norm += double{x[d]} * x[d];
    }
    scored.emplace_back(norm > 0 ? dot / std::sqrt(norm) : -2.0, i);
  }
  const size_t n = std::min(count, scored.size());
  auto better = [&](const auto& a, const auto& b) {
    if (a.first != b.first) return a.first > b.first;
    return users[a.second] < users[b.second];
  };
  std::partial_sort(scored.begin(), scored.begin() + n, scored.end(), better);
  std::vector<std::string> out;
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) out.push_back(users[scored[i].second]);
  return out;
}

}  // namespace foryou::ads
