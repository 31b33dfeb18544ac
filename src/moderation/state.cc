// The moderation state machine's table (see the header).
#include "moderation/state.h"

#include "absl/strings/str_cat.h"

namespace foryou::moderation {
namespace {

constexpr const char* kNames[kNumStates] = {
    "uploaded", "processing", "pending_review", "approved", "limited", "removed", "appealed"};

constexpr uint8_t Bit(State s) { return static_cast<uint8_t>(1u << static_cast<int>(s)); }

// kNext[from]: the states `from` may move to.
constexpr uint8_t kNext[kNumStates] = {
    /*uploaded*/ Bit(State::kProcessing),
    /*processing*/ Bit(State::kPendingReview) | Bit(State::kLimited) | Bit(State::kRemoved),
    /*pending_review*/ Bit(State::kApproved) | Bit(State::kLimited) | Bit(State::kRemoved),
    /*approved*/ Bit(State::kLimited) | Bit(State::kRemoved) | Bit(State::kPendingReview),
    /*limited*/ Bit(State::kApproved) | Bit(State::kRemoved) | Bit(State::kPendingReview) |
        Bit(State::kAppealed),
    /*removed*/ Bit(State::kAppealed) | Bit(State::kPendingReview),
    /*appealed*/ Bit(State::kPendingReview),
};

}  // namespace

const char* StateName(State s) {
  const int i = static_cast<int>(s);
  return i < kNumStates ? kNames[i] : "unknown";
}

std::optional<State> ParseState(std::string_view name) {
  for (int i = 0; i < kNumStates; ++i) {
    if (name == kNames[i]) return static_cast<State>(i);
  }
  return std::nullopt;
}

absl::Status CheckTransition(std::optional<State> from, State to) {
  if (!from.has_value()) {
    if (to == State::kUploaded) return absl::OkStatus();
    return absl::FailedPreconditionError(
        absl::StrCat("illegal transition (new) -> ", StateName(to), ": a video starts uploaded"));
  }
  if ((kNext[static_cast<int>(*from)] & Bit(to)) != 0) return absl::OkStatus();
  std::string why;
  if (*from == State::kRemoved) why = ": a removed video is reviewed again (pending_review) first";
  if (*from == State::kAppealed) why = ": an appeal goes back to pending_review first";
  if (*from == State::kUploaded || *from == State::kProcessing) why = ": processing comes first";
  if (*from == to) why = ": the video is already in that state";
  return absl::FailedPreconditionError(
      absl::StrCat("illegal transition ", StateName(*from), " -> ", StateName(to), why));
}

std::optional<catalog::Moderation> ServingOf(State s) {
  switch (s) {
    case State::kApproved: return catalog::Moderation::kApproved;
    case State::kLimited: return catalog::Moderation::kLimited;
    case State::kRemoved: return catalog::Moderation::kRemoved;
    case State::kAppealed: return std::nullopt;
    default: return catalog::Moderation::kPending;
  }
}

State StateOfServing(catalog::Moderation m) {
  switch (m) {
    case catalog::Moderation::kApproved: return State::kApproved;
    case catalog::Moderation::kLimited: return State::kLimited;
    case catalog::Moderation::kRemoved: return State::kRemoved;
    default: return State::kPendingReview;
  }
}

}  // namespace foryou::moderation
