#include "model/model_config.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "common/file_util.h"
#include "common/status_macros.h"
#include "model/features.h"
#include "nlohmann/json.hpp"

namespace foryou::model {
namespace {

using nlohmann::json;

absl::Status Bad(std::string_view path, std::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("model config: ", std::string(path), ": ", std::string(what)));
}

// Reads an optional number at obj[key] into *out, checking lo <= value <= hi.
template <typename T>
absl::Status Number(const json& obj, const std::string& path, const char* key, double lo,
                    double hi, T* out) {
  auto it = obj.find(key);
  if (it == obj.end()) return absl::OkStatus();
  const std::string where = absl::StrCat(path, path.empty() ? "" : ".", key);
  if (!it->is_number()) return Bad(where, "must be a number");
  const double v = it->get<double>();
  if (!(v >= lo && v <= hi)) return Bad(where, absl::StrCat("must be in [", lo, ", ", hi, "]"));
  if constexpr (std::is_integral_v<T>) {
    if (v != static_cast<double>(static_cast<int64_t>(v))) return Bad(where, "must be an integer");
  }
  *out = static_cast<T>(v);
  return absl::OkStatus();
}

absl::Status CheckKeys(const json& obj, const std::string& path, std::set<std::string> allowed) {
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    if (!allowed.count(it.key())) {
      return Bad(absl::StrCat(path, path.empty() ? "" : ".", it.key()), "unknown setting");
    }
  }
  return absl::OkStatus();
}

// Sparse settings shared by "sparse_defaults" and each feature (which overrides them).
absl::Status ParseSparse(const json& obj, const std::string& path, embedding::SlotConfig* s) {
  if (auto it = obj.find("optimizer"); it != obj.end()) {
    const std::string name = it->is_string() ? it->get<std::string>() : "";
    if (name == "adagrad") s->optimizer = embedding::OptimizerKind::kAdagrad;
    else if (name == "ftrl") s->optimizer = embedding::OptimizerKind::kFtrl;
    else return Bad(path + ".optimizer", "must be \"adagrad\" or \"ftrl\"");
  }
  float lr = -1;
  FORYOU_RETURN_IF_ERROR(Number(obj, path, "learning_rate", 1e-9, 100, &lr));
  if (lr > 0) {
    s->adagrad.learning_rate = lr;
    s->ftrl.alpha = lr;
  }
  FORYOU_RETURN_IF_ERROR(Number(obj, path, "initial_accumulator", 0, 1e6, &s->adagrad.initial_accumulator));
  FORYOU_RETURN_IF_ERROR(Number(obj, path, "ftrl_beta", 0, 1e6, &s->ftrl.beta));
  FORYOU_RETURN_IF_ERROR(Number(obj, path, "l1", 0, 1e6, &s->ftrl.l1));
  FORYOU_RETURN_IF_ERROR(Number(obj, path, "l2", 0, 1e6, &s->ftrl.l2));
  FORYOU_RETURN_IF_ERROR(Number(obj, path, "init_scale", 0, 10, &s->init_scale));
  FORYOU_RETURN_IF_ERROR(Number(obj, path, "admit_min_count", 1, 255, &s->admission.min_count));
  FORYOU_RETURN_IF_ERROR(Number(obj, path, "admit_probability", 1e-9, 1, &s->admission.probability));
  double days = -1;
  FORYOU_RETURN_IF_ERROR(Number(obj, path, "expire_after_days", 0, 36500, &days));
  if (days >= 0) s->expire_after_s = static_cast<int64_t>(days * 86400);
  FORYOU_RETURN_IF_ERROR(Number(obj, path, "max_rows", 0, 1e12, &s->max_rows));
  return absl::OkStatus();
}

const std::set<std::string> kSparseKeys = {
    "optimizer", "learning_rate", "initial_accumulator", "ftrl_beta", "l1", "l2",
    "init_scale", "admit_min_count", "admit_probability", "expire_after_days",
    "max_rows"};

}  // namespace

bool ModelConfig::Has(std::string_view feature) const {
  for (const FeatureConfig& f : features) {
    if (f.name == feature) return true;
  }
  return false;
}

const FeatureSpec* ModelConfig::Find(std::string_view name) const {
  if (name.starts_with("user.")) {
    const std::string_view field = name.substr(5);
    for (size_t i = 0; i < profile_fields.size(); ++i) {
      if (profile_fields[i] == field) return FindFeature(absl::StrCat("user.profile", i));
    }
  }
  return FindFeature(name);
}

absl::StatusOr<embedding::TableConfig> ModelConfig::ToTableConfig() const {
  embedding::TableConfig table;
  table.seed = seed;
  for (const FeatureConfig& f : features) {
    const FeatureSpec* spec = Find(f.name);
    if (spec == nullptr) return Bad("features", absl::StrCat("unknown feature '", f.name, "'"));
    if (spec->kind == FeatureKind::kDense) continue;
    embedding::SlotConfig s = f.sparse;
    s.slot = spec->slot;
    s.name = f.name;
    s.dim = dim + kNumTasks;
    table.slots.push_back(std::move(s));
  }
  if (table.slots.empty()) return Bad("features", "needs at least one sparse or sequence feature");
  FORYOU_RETURN_IF_ERROR(table.Validate());
  return table;
}

absl::StatusOr<ModelConfig> ParseModelConfig(std::string_view json_text) {
  json root = json::parse(json_text, nullptr, /*allow_exceptions=*/false, /*ignore_comments=*/true);
  if (root.is_discarded()) return Bad("(file)", "not valid JSON");
  if (!root.is_object()) return Bad("(file)", "must be a JSON object");
  FORYOU_RETURN_IF_ERROR(CheckKeys(root, "", {"seed", "dim", "hidden", "dense_learning_rate",
                                              "task_weights", "sequence_length",
                                              "counter_half_life_hours", "rate_prior_strength",
                                              "max_pair_counters", "sparse_defaults",
                                              "profile_fields", "features", "description"}));
  ModelConfig c;
  FORYOU_RETURN_IF_ERROR(Number(root, "", "seed", 0, 9.0e15, &c.seed));
  FORYOU_RETURN_IF_ERROR(Number(root, "", "dim", 1, 256, &c.dim));
  FORYOU_RETURN_IF_ERROR(Number(root, "", "dense_learning_rate", 1e-9, 10, &c.dense_learning_rate));
  FORYOU_RETURN_IF_ERROR(Number(root, "", "sequence_length", 0, 1000, &c.sequence_length));
  FORYOU_RETURN_IF_ERROR(Number(root, "", "counter_half_life_hours", 1e-3, 1e6, &c.counter_half_life_hours));
  FORYOU_RETURN_IF_ERROR(Number(root, "", "rate_prior_strength", 0, 1e6, &c.rate_prior_strength));
  FORYOU_RETURN_IF_ERROR(Number(root, "", "max_pair_counters", 0, 1e12, &c.max_pair_counters));
  if (auto it = root.find("hidden"); it != root.end()) {
    if (!it->is_array() || it->size() > 8) return Bad("hidden", "must be an array of up to 8 layer sizes");
    c.hidden.clear();
    for (size_t i = 0; i < it->size(); ++i) {
      int n = 0;
      const json wrap = {{"size", (*it)[i]}};
      FORYOU_RETURN_IF_ERROR(Number(wrap, absl::StrCat("hidden[", i, "]"), "size", 1, 8192, &n));
      c.hidden.push_back(n);
    }
  }
  if (auto it = root.find("task_weights"); it != root.end()) {
    if (!it->is_object()) return Bad("task_weights", "must be an object of task: weight");
    for (auto t = it->begin(); t != it->end(); ++t) {
      int task = -1;
      for (int i = 0; i < kNumTasks; ++i) {
        if (t.key() == kTaskNames[i]) task = i;
      }
      if (task < 0) return Bad(absl::StrCat("task_weights.", t.key()), "unknown task");
      FORYOU_RETURN_IF_ERROR(Number(*it, "task_weights", t.key().c_str(), 0, 1e3, &c.task_weights[task]));
    }
  }
  embedding::SlotConfig defaults;
  if (auto it = root.find("sparse_defaults"); it != root.end()) {
    if (!it->is_object()) return Bad("sparse_defaults", "must be an object");
    FORYOU_RETURN_IF_ERROR(CheckKeys(*it, "sparse_defaults", kSparseKeys));
    FORYOU_RETURN_IF_ERROR(ParseSparse(*it, "sparse_defaults", &defaults));
  }
  c.sparse_defaults = defaults;
  if (auto it = root.find("profile_fields"); it != root.end()) {
    if (!it->is_array() || it->size() > static_cast<size_t>(kProfileValues)) {
      return Bad("profile_fields",
                 absl::StrCat("must be an array of at most ", kProfileValues, " names"));
    }
    std::set<std::string> names;
    for (size_t i = 0; i < it->size(); ++i) {
      const std::string path = absl::StrCat("profile_fields[", i, "]");
      const json& v = (*it)[i];
      if (!v.is_string() || v.get<std::string>().empty()) return Bad(path, "must be a non-empty string");
      const std::string name = v.get<std::string>();
      if (FindFeature("user." + name) != nullptr) {
        return Bad(path, absl::StrCat("'", name, "' is a built-in user feature"));
      }
      if (!names.insert(name).second) return Bad(path, absl::StrCat("'", name, "' listed twice"));
      c.profile_fields.push_back(name);
    }
  }
  auto fit = root.find("features");
  if (fit == root.end() || !fit->is_array() || fit->empty()) {
    return Bad("features", "must be a non-empty array");
  }
  std::set<std::string> seen;
  bool any_field = false;
  for (size_t i = 0; i < fit->size(); ++i) {
    const json& f = (*fit)[i];
    const std::string path = absl::StrCat("features[", i, "]");
    FeatureConfig fc;
    fc.sparse = defaults;
    if (f.is_string()) {
      fc.name = f.get<std::string>();
    } else if (f.is_object() && f.contains("name") && f["name"].is_string()) {
      std::set<std::string> keys = kSparseKeys;
      keys.insert("name");
      FORYOU_RETURN_IF_ERROR(CheckKeys(f, path, keys));
      fc.name = f["name"].get<std::string>();
      FORYOU_RETURN_IF_ERROR(ParseSparse(f, path, &fc.sparse));
    } else {
      return Bad(path, "must be a feature name or an object with a \"name\"");
    }
    const FeatureSpec* spec = c.Find(fc.name);
    if (spec == nullptr) return Bad(path + ".name", absl::StrCat("unknown feature '", fc.name, "'"));
    if (!seen.insert(fc.name).second) return Bad(path + ".name", absl::StrCat("'", fc.name, "' listed twice"));
    any_field |= spec->kind != FeatureKind::kDense;
    c.features.push_back(std::move(fc));
  }
  if (!any_field) return Bad("features", "needs at least one sparse or sequence feature");
  FORYOU_RETURN_IF_ERROR(c.ToTableConfig().status());
  return c;
}

absl::StatusOr<ModelConfig> LoadModelConfig(const std::string& path) {
  FORYOU_ASSIGN_OR_RETURN(std::string text, common::ReadFile(path));
  absl::StatusOr<ModelConfig> c = ParseModelConfig(text);
  if (!c.ok()) return absl::Status(c.status().code(), absl::StrCat(path, ": ", c.status().message()));
  return c;
}

}  // namespace foryou::model
