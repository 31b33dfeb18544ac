// The moderation states of a video, the transitions between them, and what each state lets the
// feed serve (docs/design/moderation.md, "States").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "catalog/types.h"

namespace foryou::moderation {

//   uploaded -> processing -> pending_review -> approved | limited | removed
//                        \--> limited (every rule passed)
//   approved | limited | removed -> (a moderator's new decision, or reports: -> limited)
//   limited | removed -> appealed (the creator, once per decision) -> pending_review -> decision
//   approved | limited | removed -> pending_review (a moderator reviews it again)
enum class State : uint8_t {
  kUploaded = 0,
  kProcessing = 1,
  kPendingReview = 2,
  kApproved = 3,
  kLimited = 4,
  kRemoved = 5,
  kAppealed = 6,
};
inline constexpr int kNumStates = 7;

const char* StateName(State s);  // "uploaded", "processing", "pending_review", ...
std::optional<State> ParseState(std::string_view name);

// OK if `from` -> `to` is a transition of the machine above; FailedPrecondition naming both
// states otherwise ("illegal transition removed -> approved: a removed video is reviewed
// again (pending_review) first"). `from` = nullopt is a video the machine has not seen: only -> uploaded is legal.
[[nodiscard]] absl::Status CheckTransition(std::optional<State> from, State to);

// What the catalog serves for a video in `s`; nullopt for kAppealed (the decision appealed
// stands until the review).
std::optional<catalog::Moderation> ServingOf(State s);

// The state the machine gives a video it has never seen but the catalog already holds (an import
// or a video from before the machine): pending -> pending_review, the rest by name.
State StateOfServing(catalog::Moderation m);

// A decision is a transition into approved, limited or removed.
inline bool IsDecision(State s) {
  return s == State::kApproved || s == State::kLimited || s == State::kRemoved;
}

}  // namespace foryou::moderation
