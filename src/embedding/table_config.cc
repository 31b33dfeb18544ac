// Validation of TableConfig.
#include "embedding/table_config.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "embedding/feature_id.h"

namespace foryou::embedding {

const char* OptimizerName(OptimizerKind kind) {
  switch (kind) {
    case OptimizerKind::kNone: return "none";
    case OptimizerKind::kAdagrad: return "adagrad";
    case OptimizerKind::kFtrl: return "ftrl";
  }
  return "unknown";
}

absl::Status TableConfig::Validate() const {
  if (slots.empty()) return absl::InvalidArgumentError("slots: at least one slot is required");
  if (slots.size() > 4096) return absl::InvalidArgumentError("slots: at most 4096 slots");
  if (shards_per_slot == 0 || shards_per_slot > 1024 ||
      (shards_per_slot & (shards_per_slot - 1)) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("shards_per_slot: must be a power of two in 1..1024, got ", shards_per_slot));
  }
  std::set<uint32_t> seen;
  for (const SlotConfig& s : slots) {
    const std::string where = absl::StrCat("slot ", s.slot, " (", s.name, "): ");
    if (s.slot > kMaxSlot) {
      return absl::InvalidArgumentError(absl::StrCat(where, "slot: must be < 32768"));
    }
    if (!seen.insert(s.slot).second) {
      return absl::InvalidArgumentError(absl::StrCat(where, "slot: configured twice"));
    }
    if (s.dim == 0 || s.dim > 1024) {
      return absl::InvalidArgumentError(absl::StrCat(where, "dim: must be in 1..1024"));
    }
    if (s.optimizer != OptimizerKind::kNone && s.optimizer != OptimizerKind::kAdagrad &&
        s.optimizer != OptimizerKind::kFtrl) {
      return absl::InvalidArgumentError(absl::StrCat(where, "optimizer: unknown kind"));
    }
    if (s.admission.min_count == 0 || s.admission.min_count > 255) {
      return absl::InvalidArgumentError(absl::StrCat(where, "admission.min_count: must be 1..255"));
    }
    if (!(s.admission.probability > 0.0 && s.admission.probability <= 1.0)) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, "admission.probability: must be in (0, 1]"));
    }
    const uint32_t w = s.admission.sketch_width;
    if (s.admission.min_count > 1 && (w < 64 || (w & (w - 1)) != 0 || w > (1u << 28))) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, "admission.sketch_width: must be a power of two in 64..2^28"));
    }
    if (s.expire_after_s < 0) {
      return absl::InvalidArgumentError(absl::StrCat(where, "expire_after_s: must be >= 0"));
    }
    if (!(s.init_scale >= 0.0f && s.init_scale < 10.0f)) {
      return absl::InvalidArgumentError(absl::StrCat(where, "init_scale: must be in [0, 10)"));
    }
    if (s.optimizer == OptimizerKind::kAdagrad &&
        !(s.adagrad.learning_rate > 0 && s.adagrad.epsilon > 0 && s.adagrad.initial_accumulator >= 0)) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, "adagrad: learning_rate and epsilon must be > 0"));
    }
    if (s.optimizer == OptimizerKind::kFtrl &&
        !(s.ftrl.alpha > 0 && s.ftrl.beta >= 0 && s.ftrl.l1 >= 0 && s.ftrl.l2 >= 0)) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, "ftrl: alpha must be > 0, beta/l1/l2 >= 0"));
    }
  }
  return absl::OkStatus();
}

}  // namespace foryou::embedding
