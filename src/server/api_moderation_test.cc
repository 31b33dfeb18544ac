// HTTP API end to end, moderation: videos created pending enter the review queue; a moderator's
// decision reaches the next feed request; the creator reads the history and appeals once;
// viewers' reports (validated reason codes, one per viewer) limit a video past the threshold.

#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "server/api_test_harness.h"

namespace foryou::server {
namespace {

constexpr char kPassword[] = "pass phrase 1";

// Signs `handle` up and returns its session token.
std::string SignUp(Harness& h, const std::string& handle) {
  Reply r = h.Post("/v1/auth/signup",
                   json({{"handle", handle}, {"password", kPassword}, {"interests", {"dance"}}})
                       .dump(),
                   "");
  EXPECT_EQ(r.status, 201) << r.body;
  return r.j.is_object() && r.j.contains("token") ? r.j["token"].get<std::string>() : "";
}

// A signed-in account with the moderator role.
std::string Moderator(Harness& h, const std::string& handle) {
  SignUp(h, handle);
  Reply g = h.Post(absl::StrCat("/v1/admin/accounts/", handle, "/roles"),
                   R"({"roles":["viewer","moderator"]})", kAdminKey);
  EXPECT_EQ(g.status, 200) << g.body;
  Reply r = h.Post("/v1/auth/signin", json({{"handle", handle}, {"password", kPassword}}).dump(), "");
  EXPECT_EQ(r.status, 200) << r.body;
  return r.j.is_object() && r.j.contains("token") ? r.j["token"].get<std::string>() : "";
}

std::vector<std::string> QueueIds(Harness& h, const std::string& token) {
  Reply q = h.Get("/v1/moderation/queue?limit=100", token);
  EXPECT_EQ(q.status, 200) << q.body;
  std::vector<std::string> ids;
  if (!q.j.contains("items")) return ids;
  for (const json& item : q.j["items"]) ids.push_back(item["video"]["id"].get<std::string>());
  return ids;
}

// Every video of `user`'s feed pages until one comes back empty (at most 20 pages).
std::set<std::string> FeedVideos(Harness& h, const std::string& user) {
  std::set<std::string> all;
  for (int i = 0; i < 20; ++i) {
    Reply r = h.Get(absl::StrCat("/v1/feed?user=", user, "&count=10"));
    EXPECT_EQ(r.status, 200) << r.body;
    if (!r.j.contains("items") || r.j["items"].empty()) break;
    for (const json& item : r.j["items"]) all.insert(item["video"].get<std::string>());
  }
  return all;
}

using ApiModerationTest = ApiServerTest;

TEST_F(ApiModerationTest, APendingVideoIsQueuedAndADecisionReachesTheNextFeedRequest) {
  const std::string mod = Moderator(*h_, "mod1");
  ASSERT_EQ(h_->Post("/v1/videos", VideoJson(100, "pending"), kAdminKey).status, 201);
  EXPECT_EQ(QueueIds(*h_, mod), std::vector<std::string>{"v100"});
  Reply q = h_->Get("/v1/moderation/queue", mod);
  ASSERT_EQ(q.status, 200);
  EXPECT_EQ(q.j["items"][0]["state"], "pending_review");
  EXPECT_EQ(q.j["items"][0]["reasons"][0]["code"], "no_media");
  EXPECT_EQ(q.j["items"][0]["reports_total"], 0);
  EXPECT_EQ(q.j["next_cursor"], "");
  // Not servable while pending.
  Reply x = h_->Get("/v1/feed/explain?user=u5&video=v100");
  ASSERT_EQ(x.status, 200) << x.body;
  EXPECT_EQ(x.j["can_serve"], false) << x.body;

  // Viewers and app keys may not read the queue or decide.
  EXPECT_TRUE(IsError(h_->Get("/v1/moderation/queue", kAppKey), 403, "permission_denied"));
  const std::string viewer = SignUp(*h_, "viewer1");
  EXPECT_TRUE(IsError(h_->Post("/v1/moderation/videos/v100/decision", R"({"state":"approved"})",
                               viewer),
                      403, "permission_denied"));
  EXPECT_TRUE(IsError(h_->Post("/v1/moderation/videos/v100/decision", R"({"state":"pending"})",
                               mod),
                      400, "invalid_argument", "state"));
  EXPECT_TRUE(IsError(h_->Post("/v1/moderation/videos/nope/decision", R"({"state":"approved"})",
                               mod),
                      404, "not_found"));

  Reply d = h_->Post("/v1/moderation/videos/v100/decision",
                     R"({"state":"approved","reason":"fine"})", mod);
  ASSERT_EQ(d.status, 200) << d.body;
  EXPECT_TRUE(QueueIds(*h_, mod).empty());
  EXPECT_EQ(h_->Get("/v1/videos/v100").j["moderation"], "approved");
  x = h_->Get("/v1/feed/explain?user=u5&video=v100");
  EXPECT_EQ(x.j["can_serve"], true) << x.body;

  // Removing a served video: the next feed request never shows it.
  ASSERT_EQ(h_->Post("/v1/moderation/videos/v3/decision", R"({"state":"removed","reason":"x"})",
                     mod)
                .status,
            200);
  x = h_->Get("/v1/feed/explain?user=u5&video=v3");
  EXPECT_EQ(x.j["can_serve"], false) << x.body;
  EXPECT_EQ(FeedVideos(*h_, "u5").count("v3"), 0u);

  // The history names who and why; the decision was audit-logged.
  Reply hist = h_->Get("/v1/videos/v100/moderation", mod);
  ASSERT_EQ(hist.status, 200) << hist.body;
  EXPECT_EQ(hist.j["state"], "approved");
  const json& last = hist.j["transitions"].back();
  EXPECT_EQ(last["from"], "pending_review");
  EXPECT_EQ(last["to"], "approved");
  EXPECT_EQ(last["who"], "mod1");
  EXPECT_EQ(last["reasons"][0]["text"], "fine");
  Reply audit = h_->Get("/v1/admin/audit?limit=100", kAdminKey);
  ASSERT_EQ(audit.status, 200) << audit.body;
  EXPECT_NE(audit.body.find("/v1/moderation/videos/ID/decision"), std::string::npos);
}

TEST_F(ApiModerationTest, TheCreatorReadsTheHistoryAndAppealsOnce) {
  const std::string mod = Moderator(*h_, "mod2");
  const std::string creator = SignUp(*h_, "maker");
  json v = json::parse(VideoJson(101, "pending"));
  v["creator"] = "maker";
  ASSERT_EQ(h_->Post("/v1/videos", v.dump(), kAdminKey).status, 201);
  ASSERT_EQ(h_->Post("/v1/moderation/videos/v101/decision", R"({"state":"removed"})", mod).status,
            200);
  const std::string other = SignUp(*h_, "someone");
  EXPECT_TRUE(IsError(h_->Get("/v1/videos/v101/moderation", other), 403, "permission_denied"));
  EXPECT_EQ(h_->Get("/v1/videos/v101/moderation", creator).status, 200);
  EXPECT_TRUE(IsError(h_->Post("/v1/videos/v101/appeal", R"({"message":"mine"})", other), 403,
                      "permission_denied"));
  EXPECT_TRUE(IsError(h_->Post("/v1/videos/v101/appeal", R"({"message":""})", creator), 400,
                      "invalid_argument", "message"));
  EXPECT_EQ(h_->Post("/v1/videos/v101/appeal", R"({"message":"it is my own dance"})", creator)
                .status,
            202);
  EXPECT_TRUE(IsError(h_->Post("/v1/videos/v101/appeal", R"({"message":"again"})", creator), 400,
                      "failed_precondition", "once per decision"));
  EXPECT_EQ(QueueIds(*h_, mod), std::vector<std::string>{"v101"});
  EXPECT_EQ(h_->Get("/v1/videos/v101/moderation", creator).j["state"], "appealed");
  // The review of the appeal approves it.
  ASSERT_EQ(h_->Post("/v1/moderation/videos/v101/decision", R"({"state":"approved"})", mod).status,
            200);
  EXPECT_EQ(h_->Get("/v1/videos/v101").j["moderation"], "approved");
  ASSERT_EQ(h_->Post("/v1/moderation/videos/v101/decision", R"({"state":"removed"})", mod).status,
            200);
}

TEST_F(ApiModerationTest, ReportsAreValidatedCountedOncePerViewerAndLimitTheVideo) {
  const std::string mod = Moderator(*h_, "mod3");
  auto report = [&](const std::string& user, const std::string& reason) {
    json e = json::parse(Event("report", user, "v40"));
    e["reason"] = reason;
    return h_->Post("/v1/events", json::array({e}).dump());
  };
  Reply bad = report("u1", "i do not like it");
  EXPECT_TRUE(IsError(bad, 400, "invalid_argument", "no event was accepted")) << bad.body;
  EXPECT_NE(bad.body.find("spam, nudity"), std::string::npos) << bad.body;
  ASSERT_EQ(report("u1", "spam").status, 200);
  ASSERT_EQ(report("u1", "spam").status, 200);  // the same viewer: counted once
  ASSERT_EQ(report("u2", "hate").status, 200);
  EXPECT_EQ(h_->Get("/v1/videos/v40").j["moderation"], "approved");
  ASSERT_EQ(report("u3", "spam").status, 200);  // 3 distinct viewers, no views: past it
  EXPECT_EQ(h_->Get("/v1/videos/v40").j["moderation"], "limited");
  Reply q = h_->Get("/v1/moderation/queue", mod);
  ASSERT_EQ(q.status, 200);
  bool found = false;
  for (const json& item : q.j["items"]) {
    if (item["video"]["id"] != "v40") continue;
    found = true;
    EXPECT_EQ(item["reports_total"], 3);
    EXPECT_EQ(item["reports"]["spam"], 2);
    EXPECT_EQ(item["reasons"][0]["code"], "reports");
  }
  EXPECT_TRUE(found) << q.body;
  Reply hist = h_->Get("/v1/videos/v40/moderation", mod);
  ASSERT_EQ(hist.status, 200);
  EXPECT_EQ(hist.j["transitions"].back()["who"], "rule:reports");
  EXPECT_EQ(hist.j["transitions"].back()["to"], "limited");
  // A fourth viewer's report does not limit it again.
  ASSERT_EQ(report("u4", "other").status, 200);
  EXPECT_EQ(h_->Get("/v1/videos/v40/moderation", mod).j["transitions"].size(),
            hist.j["transitions"].size());
}

TEST_F(ApiModerationTest, PatchModerationIsAStepOfTheMachine) {
  ASSERT_EQ(h_->Patch("/v1/videos/v50", R"({"moderation":"removed"})").status, 200);
  EXPECT_EQ(h_->Get("/v1/videos/v50").j["moderation"], "removed");
  Reply hist = h_->Get("/v1/videos/v50/moderation", kAdminKey);
  ASSERT_EQ(hist.status, 200);
  EXPECT_EQ(hist.j["transitions"].back()["to"], "removed");
  EXPECT_EQ(hist.j["transitions"].back()["who"], "key:admin");
  EXPECT_EQ(hist.j["transitions"].back()["reasons"][0]["code"], "patch");
  // Back to approved: a re-review, then the decision.
  ASSERT_EQ(h_->Patch("/v1/videos/v50", R"({"moderation":"approved"})").status, 200);
  hist = h_->Get("/v1/videos/v50/moderation", kAdminKey);
  const json& t = hist.j["transitions"];
  ASSERT_GE(t.size(), 2u);
  EXPECT_EQ(t[t.size() - 2]["to"], "pending_review");
  EXPECT_EQ(t.back()["to"], "approved");
  // "pending" queues it for review.
  ASSERT_EQ(h_->Patch("/v1/videos/v50", R"({"moderation":"pending"})").status, 200);
  EXPECT_EQ(h_->Get("/v1/videos/v50").j["moderation"], "pending");
  EXPECT_EQ(h_->Get("/v1/moderation/queue", kAdminKey).j["items"][0]["video"]["id"], "v50");
  // An appeal of an approved video is refused; nothing changes.
  EXPECT_TRUE(IsError(h_->Post("/v1/videos/v51/appeal", R"({"message":"why"})", kAdminKey), 400,
                      "failed_precondition", "limited or removed"));
}

}  // namespace
}  // namespace foryou::server
