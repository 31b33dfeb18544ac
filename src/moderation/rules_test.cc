#include "moderation/rules.h"

#include "gtest/gtest.h"
#include "moderation/reports.h"
#include "nlohmann/json.hpp"

namespace foryou::moderation {
namespace {

catalog::Video Captioned(std::string caption, std::vector<std::string> tags = {"dance"}) {
  catalog::Video v;
  v.id = "v1";
  v.creator = "c1";
  v.caption = std::move(caption);
  v.hashtags = std::move(tags);
  v.duration_ms = 10'000;
  return v;
}

MediaResult Good() {
  return {.duration_ms = 12'000, .width = 720, .height = 1280, .has_audio = true,
          .mean_luma = 90, .audio_peak_dbfs = -3};
}

TEST(BannedTerm, MatchesFoldedCaptionAndHashtags) {
  const Rules rules({.banned_terms = {"banned", "buy followers"}});
  for (const char* caption : {"B.a.n-n e d", "BÄNNED", "ba\u200Bnned", "b4nn3d!", "Buy_Followers"}) {
    std::optional<Reason> r = rules.BannedTerm(Captioned(caption));
    ASSERT_TRUE(r.has_value()) << caption;
    EXPECT_EQ(r->code, "banned_term");
  }
  EXPECT_EQ(rules.BannedTerm(Captioned("a fine dance")), std::nullopt);
  EXPECT_TRUE(rules.BannedTerm(Captioned("fine", {"dance", "bannedstuff"})).has_value());
  const Rules no_leet({.banned_terms = {"banned"}, .leet = false});
  EXPECT_EQ(no_leet.BannedTerm(Captioned("b4nn3d")), std::nullopt);
}

TEST(MediaPolicy, DurationResolutionBlackAndSilent) {
  const Rules rules({});
  EXPECT_EQ(rules.MediaPolicy(Good()), std::nullopt);
  auto trips = [&](MediaResult m, std::string_view what) {
    std::optional<Reason> r = rules.MediaPolicy(m);
    ASSERT_TRUE(r.has_value()) << what;
    EXPECT_EQ(r->code, "media_policy");
    EXPECT_NE(r->text.find(what), std::string::npos) << r->text;
  };
  MediaResult m = Good();
  m.duration_ms = 500;
  trips(m, "duration 500 ms");
  m = Good();
  m.duration_ms = 700'000;
  trips(m, "duration");
  m = Good();
  m.width = 160;
  m.height = 120;
  trips(m, "resolution 160x120");
  m = Good();
  m.mean_luma = 2.5;
  trips(m, "black video");
  m = Good();
  m.audio_peak_dbfs = -80;
  trips(m, "silent (audio peak");
  m = Good();
  m.has_audio = false;
  trips(m, "silent (no audio)");
  const Rules silent_ok({.silent_allowed = true});
  EXPECT_EQ(silent_ok.MediaPolicy(m), std::nullopt);
}

TEST(MediaPolicy, ReadsTheWorkersResult) {
  auto m = MediaResultFromJson(nlohmann::json::parse(
      R"({"duration_ms":12000,"width":720,"height":1280,"has_audio":true,"mean_luma":3.5,
          "audio_peak_dbfs":-1.5,"video_codec":"h264"})"));
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->height, 1280);
  EXPECT_DOUBLE_EQ(m->mean_luma, 3.5);
  EXPECT_DOUBLE_EQ(m->audio_peak_dbfs, -1.5);
  auto silent = MediaResultFromJson(nlohmann::json::parse(
      R"({"duration_ms":1,"width":1,"height":1,"has_audio":false,"mean_luma":0})"));
  ASSERT_TRUE(silent.ok());
  EXPECT_TRUE(std::isinf(silent->audio_peak_dbfs));
  auto bad = MediaResultFromJson(nlohmann::json::parse(R"({"duration_ms":"x"})"));
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("duration_ms"), std::string_view::npos);
  EXPECT_FALSE(MediaResultFromJson(nlohmann::json::parse(
                   R"({"duration_ms":1,"width":1,"height":1,"has_audio":true,"mean_luma":0})"))
                   .ok());  // audio without its peak
}

TEST(Duplicate, TripsAtTheShare) {
  const Rules rules({.duplicate_share = 0.8});
  EXPECT_EQ(rules.Duplicate({}), std::nullopt);
  EXPECT_EQ(rules.Duplicate({{"v9", 0, 0.5}}), std::nullopt);
  std::optional<Reason> r = rules.Duplicate({{"v9", 0, 0.5}, {"v7", 0, 0.95}, {"v8", 0, 0.85}});
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->code, "duplicate");
  EXPECT_NE(r->text.find("'v7'"), std::string::npos) << r->text;
}

TEST(Evaluate, PassesToLimitedElseReviewWithEveryReason) {
  const Rules rules({.banned_terms = {"banned"}});
  Decision d = rules.Evaluate(Captioned("hello"), Good(), {});
  EXPECT_EQ(d.state, State::kLimited);
  EXPECT_TRUE(d.reasons.empty());
  MediaResult dark = Good();
  dark.mean_luma = 0;
  d = rules.Evaluate(Captioned("BANNED"), dark, {{"v2", 0, 1.0}});
  EXPECT_EQ(d.state, State::kPendingReview);
  ASSERT_EQ(d.reasons.size(), 3u);
  EXPECT_EQ(d.reasons[0].code, "banned_term");
  EXPECT_EQ(d.reasons[1].code, "media_policy");
  EXPECT_EQ(d.reasons[2].code, "duplicate");
  d = rules.Evaluate(Captioned("hello"), std::nullopt, {});
  EXPECT_EQ(d.state, State::kPendingReview);
  EXPECT_EQ(d.reasons[0].code, "no_media");
}

TEST(Reports, ReasonsAndThreshold) {
  EXPECT_TRUE(IsReportReason("spam"));
  EXPECT_FALSE(IsReportReason("Spam"));
  EXPECT_FALSE(IsReportReason(""));
  const ReportPolicy p{.min_reports = 3, .per_thousand_views = 10};
  EXPECT_FALSE(ReportsTrip(p, 2, 0));      // below the minimum count
  EXPECT_TRUE(ReportsTrip(p, 3, 300));     // 10 per 1,000
  EXPECT_FALSE(ReportsTrip(p, 3, 301));
  EXPECT_TRUE(ReportsTrip(p, 50, 5000));
}

}  // namespace
}  // namespace foryou::moderation
