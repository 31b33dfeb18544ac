// The automatic rules (see the header).
#include "moderation/rules.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "nlohmann/json.hpp"

namespace foryou::moderation {
namespace {

using nlohmann::json;

absl::Status Field(const json& j, const char* name, json::value_t type, bool required = true) {
  const auto it = j.find(name);
  if (it == j.end() || it->is_null()) {
    return required ? absl::InvalidArgumentError(absl::StrCat(name, ": required"))
                    : absl::OkStatus();
  }
  const bool number = type == json::value_t::number_float;
  if (number ? !it->is_number() : it->type() != type) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, ": must be ", number ? "a number" : "a boolean"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<MediaResult> MediaResultFromJson(const json& j) {
  if (!j.is_object()) return absl::InvalidArgumentError("media result: must be an object");
  for (const char* f : {"duration_ms", "width", "height", "mean_luma"}) {
    if (absl::Status st = Field(j, f, json::value_t::number_float); !st.ok()) return st;
  }
  if (absl::Status st = Field(j, "has_audio", json::value_t::boolean); !st.ok()) return st;
  MediaResult m;
  m.duration_ms = j["duration_ms"].get<int64_t>();
  m.width = j["width"].get<int32_t>();
  m.height = j["height"].get<int32_t>();
  m.mean_luma = j["mean_luma"].get<double>();
  m.has_audio = j["has_audio"].get<bool>();
  if (absl::Status st = Field(j, "audio_peak_dbfs", json::value_t::number_float, m.has_audio);
      !st.ok()) {
    return st;
  }
  if (j.contains("audio_peak_dbfs") && j["audio_peak_dbfs"].is_number()) {
    m.audio_peak_dbfs = j["audio_peak_dbfs"].get<double>();
  }
  return m;
}

Rules::Rules(RulesConfig config)
    : config_(std::move(config)), terms_(config_.banned_terms, {.leet = config_.leet}) {}

std::optional<Reason> Rules::BannedTerm(const catalog::Video& video) const {
  std::optional<std::string> term = terms_.FindIn(video.caption);
  for (size_t i = 0; !term && i < video.hashtags.size(); ++i) term = terms_.FindIn(video.hashtags[i]);
  if (!term) return std::nullopt;
  return Reason{"banned_term", absl::StrCat("contains the banned term '", *term, "'")};
}

std::optional<Reason> Rules::MediaPolicy(const MediaResult& m) const {
  const RulesConfig& c = config_;
  std::vector<std::string> problems;
  if (m.duration_ms < c.min_duration_ms || m.duration_ms > c.max_duration_ms) {
    problems.push_back(absl::StrFormat("duration %d ms outside %d..%d", m.duration_ms,
                                       c.min_duration_ms, c.max_duration_ms));
  }
  if (std::min(m.width, m.height) < c.min_short_side || m.width > c.max_width ||
      m.height > c.max_height) {
    problems.push_back(absl::StrFormat("resolution %dx%d outside short side >= %d, at most %dx%d",
                                       m.width, m.height, c.min_short_side, c.max_width,
                                       c.max_height));
  }
  if (!(m.mean_luma >= c.min_mean_luma)) {
    problems.push_back(absl::StrFormat("black video (mean luma %.1f < %.1f)", m.mean_luma,
                                       c.min_mean_luma));
  }
  if (!c.silent_allowed) {
    if (!m.has_audio) {
      problems.push_back("silent (no audio)");
    } else if (!(m.audio_peak_dbfs >= c.min_audio_peak_dbfs)) {
      problems.push_back(absl::StrFormat("silent (audio peak %.1f dBFS < %.1f)",
                                         m.audio_peak_dbfs, c.min_audio_peak_dbfs));
    }
  }
  if (problems.empty()) return std::nullopt;
  return Reason{"media_policy", absl::StrJoin(problems, "; ")};
}

std::optional<Reason> Rules::Duplicate(const std::vector<DuplicateMatch>& matches) const {
  const DuplicateMatch* best = nullptr;
  for (const DuplicateMatch& m : matches) {
    if (m.matched_share >= config_.duplicate_share &&
        (best == nullptr || m.matched_share > best->matched_share)) {
      best = &m;
    }
  }
  if (best == nullptr) return std::nullopt;
  return Reason{"duplicate", absl::StrFormat("%.0f%% of its frames match video '%s'",
                                             best->matched_share * 100, best->video)};
}

Decision Rules::Evaluate(const catalog::Video& video, const std::optional<MediaResult>& media,
                         const std::vector<DuplicateMatch>& duplicates) const {
  Decision d;
  if (auto r = BannedTerm(video)) d.reasons.push_back(std::move(*r));
  if (!media.has_value()) {
    d.reasons.push_back({"no_media", "no media result (an import): a moderator reviews it"});
  } else if (auto r = MediaPolicy(*media)) {
    d.reasons.push_back(std::move(*r));
  }
  if (auto r = Duplicate(duplicates)) d.reasons.push_back(std::move(*r));
  d.state = d.reasons.empty() ? State::kLimited : State::kPendingReview;
  return d;
}

}  // namespace foryou::moderation
