#include "moderation/state.h"

#include "gtest/gtest.h"

namespace foryou::moderation {
namespace {

TEST(State, NamesRoundTrip) {
  for (int i = 0; i < kNumStates; ++i) {
    const State s = static_cast<State>(i);
    EXPECT_EQ(ParseState(StateName(s)), s);
  }
  EXPECT_EQ(ParseState("pending"), std::nullopt);
}

TEST(State, TheMachineAllowsItsPathsAndRefusesTheRest) {
  using S = State;
  const std::pair<S, S> legal[] = {
      {S::kUploaded, S::kProcessing},      {S::kProcessing, S::kLimited},
      {S::kProcessing, S::kPendingReview}, {S::kPendingReview, S::kApproved},
      {S::kPendingReview, S::kRemoved},    {S::kApproved, S::kLimited},
      {S::kLimited, S::kAppealed},         {S::kRemoved, S::kAppealed},
      {S::kAppealed, S::kPendingReview}};
  for (auto [from, to] : legal) EXPECT_TRUE(CheckTransition(from, to).ok()) << StateName(from);
  const std::pair<S, S> illegal[] = {
      {S::kUploaded, S::kApproved},  {S::kRemoved, S::kApproved}, {S::kApproved, S::kAppealed},
      {S::kAppealed, S::kApproved},  {S::kPendingReview, S::kAppealed},
      {S::kLimited, S::kLimited},    {S::kApproved, S::kUploaded}};
  for (auto [from, to] : illegal) {
    absl::Status st = CheckTransition(from, to);
    EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_NE(st.message().find(StateName(from)), std::string_view::npos) << st;
  }
  EXPECT_NE(CheckTransition(S::kRemoved, S::kApproved).message().find("reviewed again"),
            std::string_view::npos);
  EXPECT_TRUE(CheckTransition(S::kRemoved, S::kPendingReview).ok());
  EXPECT_TRUE(CheckTransition(std::nullopt, S::kUploaded).ok());
  EXPECT_FALSE(CheckTransition(std::nullopt, S::kApproved).ok());
}

TEST(State, ServingState) {
  EXPECT_EQ(ServingOf(State::kProcessing), catalog::Moderation::kPending);
  EXPECT_EQ(ServingOf(State::kPendingReview), catalog::Moderation::kPending);
  EXPECT_EQ(ServingOf(State::kLimited), catalog::Moderation::kLimited);
  EXPECT_EQ(ServingOf(State::kAppealed), std::nullopt);
  EXPECT_EQ(StateOfServing(catalog::Moderation::kPending), State::kPendingReview);
  EXPECT_EQ(StateOfServing(catalog::Moderation::kRemoved), State::kRemoved);
}

}  // namespace
}  // namespace foryou::moderation
