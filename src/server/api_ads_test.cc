// The Ads Manager over HTTP (docs/api.md, "Ads"): records validated by field and refused
// without a trace, advertisers kept to their own accounts, an admin's approval of ads, the audit
// log, conversions deduplicated by event id, reports equal to the billing ledger, and custom
// audiences uploaded by their advertiser and targeted by its ad groups.
#include "server/api_test_harness.h"

#include "ads/report.h"

namespace foryou::server {
namespace {

constexpr char kPassword[] = "pass phrase 1";

// Signs `handle` up, gives it `roles` (admin key) and returns its session token.
std::string Account(Harness& h, const std::string& handle, const json& roles) {
  Reply up = h.Post("/v1/auth/signup",
                    json({{"handle", handle}, {"password", kPassword}}).dump(), "");
  EXPECT_EQ(up.status, 201) << up.body;
  Reply r = h.Post("/v1/admin/accounts/" + handle + "/roles", json({{"roles", roles}}).dump(),
                   kAdminKey);
  EXPECT_EQ(r.status, 200) << r.body;
  return up.j.value("token", "");
}

// A catalog video posted by `creator`, with moderation `state`.
void PostVideo(Harness& h, const std::string& id, const std::string& creator,
               const std::string& state = "approved") {
  json v = json::parse(VideoJson(1, state));
  v["id"] = id;
  v["creator"] = creator;
  Reply r = h.Post("/v1/videos", v.dump(), kAdminKey);
  ASSERT_EQ(r.status, 201) << r.body;
}

json Campaign(const std::string& id, const std::string& account) {
  return {{"id", id},          {"account", account},      {"name", "Spring sale"},
          {"objective", "traffic"}, {"budget_mode", "daily"}, {"budget_micros", 50'000'000}};
}
json Group(const std::string& id, const std::string& campaign) {
  return {{"id", id},
          {"campaign", campaign},
          {"name", "Young dancers"},
          {"targeting", {{"countries", {"US"}}, {"interests", {"dance"}}}},
          {"goal", "click"},
          {"bid_strategy", "bid_cap"},
          {"bid_micros", 400'000},
          {"budget_mode", "daily"},
          {"budget_micros", 20'000'000}};
}
json Ad(const std::string& id, const std::string& group, const std::string& video) {
  return {{"id", id},         {"ad_group", group},         {"name", "Shoe ad"},
          {"video", video},   {"call_to_action", "shop_now"},
          {"landing_url", "https://shoes.example/spring"}};
}

// An advertiser with an account, a campaign, an ad group and an ad: the ids' prefix is `p`.
struct Tree {
  std::string token, account, campaign, group, ad;
};
Tree MakeTree(Harness& h, const std::string& p) {
  Tree t{Account(h, p + "_adv", {"viewer", "advertiser"}), p + "-acc", p + "-cmp", p + "-grp",
         p + "-ad"};
  PostVideo(h, p + "-video", p + "_adv");
  EXPECT_EQ(h.Post("/v1/ads/accounts", json({{"id", t.account}, {"name", p}}).dump(), t.token)
                .status,
            201);
  EXPECT_EQ(h.Post("/v1/ads/campaigns", Campaign(t.campaign, t.account).dump(), t.token).status,
            201);
  EXPECT_EQ(h.Post("/v1/ads/ad_groups", Group(t.group, t.campaign).dump(), t.token).status, 201);
  Reply ad = h.Post("/v1/ads/ads", Ad(t.ad, t.group, p + "-video").dump(), t.token);
  EXPECT_EQ(ad.status, 201) << ad.body;
  return t;
}

using ApiAdsTest = ApiServerTest;

TEST_F(ApiAdsTest, RecordsRoundTripAndPauseResume) {
  const Tree t = MakeTree(*h_, "rt");
  Reply g = h_->Get("/v1/ads/ad_groups/" + t.group, t.token);
  ASSERT_EQ(g.status, 200) << g.body;
  EXPECT_EQ(g.j["bid_micros"], 400'000);
  EXPECT_EQ(g.j["targeting"]["countries"], json({"US"}));
  EXPECT_GT(g.j["created_ms"].get<int64_t>(), 0);  // set by the server
  // A partial update merges: the other targeting lists stay.
  Reply p = h_->Patch("/v1/ads/ad_groups/" + t.group,
                      json({{"targeting", {{"countries", {"US", "CA"}}}}}).dump(), t.token);
  ASSERT_EQ(p.status, 200) << p.body;
  EXPECT_EQ(p.j["targeting"]["countries"], json({"US", "CA"}));
  EXPECT_EQ(p.j["targeting"]["interests"], json({"dance"}));
  EXPECT_EQ(p.j["created_ms"], g.j["created_ms"]);
  // Pause and resume a campaign; the list shows it.
  ASSERT_EQ(h_->Patch("/v1/ads/campaigns/" + t.campaign, R"({"paused": true})", t.token).status,
            200);
  Reply list = h_->Get("/v1/ads/campaigns?account=" + t.account, t.token);
  ASSERT_EQ(list.status, 200) << list.body;
  ASSERT_EQ(list.j["campaigns"].size(), 1u);
  EXPECT_EQ(list.j["campaigns"][0]["paused"], true);
  ASSERT_EQ(h_->Patch("/v1/ads/campaigns/" + t.campaign, R"({"paused": false})", t.token).status,
            200);
  EXPECT_EQ(h_->Get("/v1/ads/campaigns/" + t.campaign, t.token).j["paused"], false);
  // A record without an id gets one; the ad lists under its group.
  Reply made = h_->Post("/v1/ads/ad_groups",
                        [&] {
                          json j = Group("", t.campaign);
                          j.erase("id");
                          return j.dump();
                        }(),
                        t.token);
  ASSERT_EQ(made.status, 201) << made.body;
  EXPECT_EQ(made.j["id"].get<std::string>().rfind("grp_", 0), 0u);
  Reply ads = h_->Get("/v1/ads/ads?ad_group=" + t.group, t.token);
  ASSERT_EQ(ads.status, 200) << ads.body;
  ASSERT_EQ(ads.j["ads"].size(), 1u);
  EXPECT_EQ(ads.j["ads"][0]["approval"], "pending");
}

TEST_F(ApiAdsTest, ValidationErrorsNameTheFieldAndChangeNothing) {
  const Tree t = MakeTree(*h_, "val");
  const std::string campaigns = "/v1/ads/campaigns?account=" + t.account;
  const std::string before = h_->Get(campaigns, t.token).body;
  json bad = Campaign("val-c2", t.account);
  bad["budget_micros"] = -5;
  EXPECT_TRUE(IsError(h_->Post("/v1/ads/campaigns", bad.dump(), t.token), 400,
                      "invalid_argument", "campaign.budget_micros"));
  bad = Campaign("val-c2", t.account);
  bad["colour"] = "red";
  EXPECT_TRUE(IsError(h_->Post("/v1/ads/campaigns", bad.dump(), t.token), 400,
                      "invalid_argument", "campaign.colour: unknown field"));
  bad = Campaign("val-c2", t.account);
  bad["objective"] = 3;
  EXPECT_TRUE(IsError(h_->Post("/v1/ads/campaigns", bad.dump(), t.token), 400,
                      "invalid_argument", "campaign.objective"));
  EXPECT_TRUE(IsError(h_->Post("/v1/ads/campaigns", "[1,2]", t.token), 400, "invalid_argument",
                      "body"));
  // An existing id is not replaced by a create.
  EXPECT_TRUE(IsError(h_->Post("/v1/ads/campaigns", Campaign(t.campaign, t.account).dump(),
                               t.token),
                      409, "already_exists", "campaign.id"));
  EXPECT_EQ(h_->Get(campaigns, t.token).body, before);
  // Bad updates leave the record as it was.
  const std::string group = "/v1/ads/ad_groups/" + t.group;
  const std::string group_before = h_->Get(group, t.token).body;
  EXPECT_TRUE(IsError(h_->Patch(group, R"({"bid_micros": 0})", t.token), 400, "invalid_argument",
                      "ad_group.bid_micros: must be > 0 for bid_cap"));
  EXPECT_TRUE(IsError(h_->Patch(group, R"({"targeting": {"interest": ["x"]}})", t.token), 400,
                      "invalid_argument", "ad_group.targeting.interest: unknown field"));
  EXPECT_TRUE(IsError(h_->Patch(group, R"({"hours": [25]})", t.token), 400, "invalid_argument",
                      "ad_group.hours"));
  EXPECT_TRUE(IsError(h_->Patch(group, R"({"campaign": "other"})", t.token), 400,
                      "invalid_argument", "ad_group.campaign: cannot be changed"));
  EXPECT_TRUE(IsError(h_->Patch(group, R"({"created_ms": 5})", t.token), 400, "invalid_argument",
                      "ad_group.created_ms: set by the server"));
  EXPECT_TRUE(IsError(h_->Patch(group, R"({"budget_micros": null})", t.token), 400,
                      "invalid_argument", "ad_group.budget_micros: null"));
  EXPECT_EQ(h_->Get(group, t.token).body, group_before);
  // An ad's video must be the advertiser's own catalog video; its approval is not the
  // advertiser's to set.
  EXPECT_TRUE(IsError(h_->Post("/v1/ads/ads", Ad("val-ad2", t.group, "v3").dump(), t.token), 400,
                      "invalid_argument", "ad.video: 'v3' was posted by 'c3'"));
  EXPECT_TRUE(IsError(h_->Post("/v1/ads/ads", Ad("val-ad2", t.group, "nope").dump(), t.token),
                      400, "invalid_argument", "ad.video: no video 'nope'"));
  json approved = Ad("val-ad2", t.group, "val-video");
  approved["approval"] = "approved";
  EXPECT_TRUE(IsError(h_->Post("/v1/ads/ads", approved.dump(), t.token), 400, "invalid_argument",
                      "ad.approval"));
  EXPECT_TRUE(IsError(h_->Patch("/v1/ads/ads/" + t.ad, R"({"approval": "approved"})", t.token),
                      400, "invalid_argument", "ad.approval"));
  EXPECT_TRUE(IsError(h_->Get("/v1/ads/ads/val-ad2", t.token), 404, "not_found"));
}

TEST_F(ApiAdsTest, AnAdvertiserSeesAndChangesOnlyItsOwnRecords) {
  const Tree mine = MakeTree(*h_, "own");
  const Tree theirs = MakeTree(*h_, "oth");
  for (const std::string& path :
       {"/v1/ads/accounts/" + theirs.account, "/v1/ads/campaigns/" + theirs.campaign,
        "/v1/ads/ad_groups/" + theirs.group, "/v1/ads/ads/" + theirs.ad,
        "/v1/ads/campaigns?account=" + theirs.account, "/v1/ads/ads?ad_group=" + theirs.group,
        "/v1/ads/reports?account=" + theirs.account}) {
    EXPECT_TRUE(IsError(h_->Get(path, mine.token), 404, "not_found")) << path;
  }
  const std::string before = h_->Get("/v1/ads/campaigns/" + theirs.campaign, theirs.token).body;
  EXPECT_TRUE(IsError(
      h_->Patch("/v1/ads/campaigns/" + theirs.campaign, R"({"paused": true})", mine.token), 404,
      "not_found"));
  EXPECT_TRUE(IsError(h_->Post("/v1/ads/campaigns", Campaign("own-c9", theirs.account).dump(),
                               mine.token),
                      404, "not_found", "campaign.account"));
  // Nor take another's id, nor give itself another owner.
  EXPECT_TRUE(IsError(h_->Post("/v1/ads/campaigns", Campaign(theirs.campaign, mine.account).dump(),
                               mine.token),
                      409, "already_exists"));
  EXPECT_TRUE(IsError(h_->Post("/v1/ads/accounts",
                               json({{"id", "own-acc2"}, {"name", "x"}, {"owner", "oth_adv"}})
                                   .dump(),
                               mine.token),
                      403, "permission_denied", "account.owner"));
  EXPECT_EQ(h_->Get("/v1/ads/campaigns/" + theirs.campaign, theirs.token).body, before);
  // The list of accounts is one's own; an admin sees all.
  Reply accounts = h_->Get("/v1/ads/accounts", mine.token);
  ASSERT_EQ(accounts.status, 200) << accounts.body;
  ASSERT_EQ(accounts.j["accounts"].size(), 1u);
  EXPECT_EQ(accounts.j["accounts"][0]["id"], mine.account);
  Reply all = h_->Get("/v1/ads/accounts", kAdminKey);
  ASSERT_EQ(all.status, 200) << all.body;
  EXPECT_GE(all.j["accounts"].size(), 2u);
  EXPECT_EQ(h_->Get("/v1/ads/campaigns/" + theirs.campaign, kAdminKey).status, 200);
  // Neither a viewer account nor an app key reaches the ads routes.
  const std::string viewer = Account(*h_, "own_viewer", {"viewer"});
  EXPECT_TRUE(IsError(h_->Get("/v1/ads/accounts", viewer), 403, "permission_denied",
                      "advertiser or admin"));
  EXPECT_TRUE(IsError(h_->Get("/v1/ads/campaigns/" + mine.campaign, kAppKey), 403,
                      "permission_denied"));
  EXPECT_TRUE(IsError(h_->Get("/v1/ads/accounts", ""), 401, "unauthenticated"));
}

TEST_F(ApiAdsTest, AnAdminApprovesAdsAndEveryActionIsAudited) {
  const Tree t = MakeTree(*h_, "apr");
  const std::string approval = "/v1/ads/ads/" + t.ad + "/approval";
  EXPECT_TRUE(IsError(h_->Post(approval, R"({"approval": "approved"})", t.token), 403,
                      "permission_denied"));
  EXPECT_TRUE(IsError(h_->Post(approval, R"({"approval": "yes"})", kAdminKey), 400,
                      "invalid_argument", "approval"));
  Reply ok = h_->Post(approval, R"({"approval": "approved"})", kAdminKey);
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(ok.j["approval"], "approved");
  EXPECT_EQ(h_->Get("/v1/ads/ads/" + t.ad, t.token).j["approval"], "approved");
  // Pausing keeps the approval; a new landing page goes back to review.
  Reply paused = h_->Patch("/v1/ads/ads/" + t.ad, R"({"paused": true})", t.token);
  ASSERT_EQ(paused.status, 200) << paused.body;
  EXPECT_EQ(paused.j["approval"], "approved");
  Reply moved =
      h_->Patch("/v1/ads/ads/" + t.ad, R"({"landing_url": "https://shoes.example/b"})", t.token);
  ASSERT_EQ(moved.status, 200) << moved.body;
  EXPECT_EQ(moved.j["approval"], "pending");
  // A video moderation has not approved cannot run.
  PostVideo(*h_, "apr-pending-video", "apr_adv", "pending");
  ASSERT_EQ(h_->Post("/v1/ads/ads", Ad("apr-ad2", t.group, "apr-pending-video").dump(), t.token)
                .status,
            201);
  EXPECT_TRUE(IsError(h_->Post("/v1/ads/ads/apr-ad2/approval", R"({"approval": "approved"})",
                               kAdminKey),
                      400, "failed_precondition", "only an approved video"));
  EXPECT_EQ(h_->Get("/v1/ads/ads/apr-ad2", t.token).j["approval"], "pending");
  // The audit log holds the advertiser's and the admin's actions, refused ones included.
  Reply audit = h_->Get("/v1/admin/audit?limit=50", kAdminKey);
  ASSERT_EQ(audit.status, 200) << audit.body;
  auto has = [&](const std::string& who, const std::string& route, const std::string& target,
                 int status) {
    for (const json& r : audit.j["records"]) {
      if (r["who"] == who && r["route"] == route && r["target"] == target &&
          r["status"] == status) {
        return true;
      }
    }
    return false;
  };
  EXPECT_TRUE(has("key:admin", "/v1/ads/ads/ID/approval", t.ad, 200)) << audit.body;
  EXPECT_TRUE(has("account:apr_adv", "/v1/ads/ads/ID/approval", t.ad, 403)) << audit.body;
  EXPECT_TRUE(has("account:apr_adv", "/v1/ads/ads/ID", t.ad, 200)) << audit.body;
  EXPECT_TRUE(has("account:apr_adv", "/v1/ads/campaigns", t.campaign, 201)) << audit.body;
}

TEST_F(ApiAdsTest, CustomAudiencesAreTheAdvertisersOwnAndTargetable) {
  const Tree t = MakeTree(*h_, "aud");
  const Tree other = MakeTree(*h_, "aux");
  Reply made = h_->Post("/v1/ads/audiences",
                        json({{"id", "buyers"}, {"account", t.account}, {"name", "Past buyers"},
                              {"users", {"u1", "u2", "u2", "u3"}}}).dump(),
                        t.token);
  ASSERT_EQ(made.status, 201) << made.body;
  EXPECT_EQ(made.j, json({{"id", "buyers"}, {"account", t.account}, {"name", "Past buyers"},
                          {"size", 3}, {"kind", "custom"}}));
  EXPECT_EQ(h_->engine().ads_store().AudiencesOf("u2").value(),
            std::vector<std::string>{"buyers"});

  // Refused, naming the field, and nothing changes.
  auto refused = [&](const json& body, const std::string& token, int status,
                     const std::string& message) {
    Reply r = h_->Post("/v1/ads/audiences", body.dump(), token);
    EXPECT_EQ(r.status, status) << r.body;
    EXPECT_NE(r.body.find(message), std::string::npos) << r.body;
  };
  refused({{"account", t.account}, {"name", "X"}}, t.token, 400, "audience.users: required");
  refused({{"account", t.account}, {"name", "X"}, {"users", {"u1", 7}}}, t.token, 400,
          "audience.users[1]: must be a string");
  refused({{"account", t.account}, {"name", "X"}, {"users", json::array()}, {"size", 9}},
          t.token, 400, "audience.size: set by the server");
  refused({{"account", t.account}, {"name", ""}, {"users", json::array()}}, t.token, 400,
          "audience.name");
  refused({{"id", "buyers"}, {"account", t.account}, {"name", "X"}, {"users", {"u9"}}}, t.token,
          409, "already exists");
  refused({{"id", "theirs"}, {"account", other.account}, {"name", "X"}, {"users", {"u9"}}},
          t.token, 404, "audience.account: account aux-acc not found");
  EXPECT_EQ(h_->Get("/v1/ads/audiences/theirs", kAdminKey).status, 404);
  EXPECT_EQ(h_->engine().ads_store().AudiencesOf("u9").value(), std::vector<std::string>{});

  // Another advertiser reads it as missing; its owner and an admin read it; a PUT replaces the
  // members whole.
  EXPECT_EQ(h_->Get("/v1/ads/audiences/buyers", other.token).status, 404);
  EXPECT_EQ(h_->Get("/v1/ads/audiences/buyers", kAdminKey).j["size"], 3);
  auto put_members = [&](const json& body, const std::string& token) {
    return h_->Call("PUT", "/v1/ads/audiences/buyers", token, body.dump());
  };
  EXPECT_EQ(put_members({{"users", {"u9"}}}, other.token).status, 404);
  Reply put = put_members({{"users", {"u4", "u5"}}}, t.token);
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_EQ(put.j["size"], 2);
  EXPECT_EQ(put.j["name"], "Past buyers");
  EXPECT_EQ(h_->engine().ads_store().AudiencesOf("u2").value(), std::vector<std::string>{});
  EXPECT_EQ(put_members({{"account", other.account}, {"users", json::array()}}, t.token).status,
            400);

  // Its ad groups target and exclude it; another advertiser's cannot.
  Reply g = h_->Patch("/v1/ads/ad_groups/" + t.group,
                      json({{"targeting", {{"audiences", {"buyers"}}}}}).dump(), t.token);
  EXPECT_EQ(g.status, 200) << g.body;
  Reply foreign = h_->Patch("/v1/ads/ad_groups/" + other.group,
                            json({{"targeting", {{"excluded_audiences", {"buyers"}}}}}).dump(),
                            other.token);
  EXPECT_EQ(foreign.status, 400) << foreign.body;

  // The upload is audited with its id.
  Reply audit = h_->Get("/v1/admin/audit?limit=50", kAdminKey);
  bool audited = false;
  for (const json& r : audit.j["records"]) {
    audited |= r["who"] == "account:aud_adv" && r["route"] == "/v1/ads/audiences" &&
               r["target"] == "buyers" && r["status"] == 201;
  }
  EXPECT_TRUE(audited) << audit.body;
}

// A touch (impression or click) of `user` on the tree's ad, written to the ledger as the feed's
// ad source writes it.
void Touch(Harness& h, const Tree& t, const std::string& id, ads::EventKind kind,
           const std::string& user, int64_t time_ms, int64_t charge) {
  ads::LedgerEntry e{.event_id = id, .kind = kind, .user = user, .account = t.account,
                     .campaign = t.campaign, .ad_group = t.group, .ad = t.ad,
                     .time_ms = time_ms, .charge_micros = charge};
  absl::StatusOr<bool> added = h.engine().ads_ledger().Append(e, ads::BudgetLimits{});
  ASSERT_TRUE(added.ok()) << added.status();
  ASSERT_TRUE(*added);
}

TEST_F(ApiAdsTest, ConversionsAreAttributedOnceAndBadOnesChangeNothing) {
  const Tree t = MakeTree(*h_, "cnv");
  const Tree other = MakeTree(*h_, "cnx");
  const int64_t now = common::WallMs();
  Touch(*h_, t, "cnv-click-1", ads::EventKind::kClick, "u1", now - 60'000, 400'000);
  json c = {{"event_id", "cnv-order-1"}, {"click_id", "cnv-click-1"}, {"type", "purchase"},
            {"value_micros", 25'000'000}, {"time_ms", now - 1000}};
  Reply first = h_->Post("/v1/conversions", c.dump(), t.token);
  ASSERT_EQ(first.status, 201) << first.body;
  EXPECT_EQ(first.j["duplicate"], false);
  EXPECT_EQ(first.j["conversion"]["attributed_to"], "cnv-click-1");
  EXPECT_EQ(first.j["conversion"]["ad"], t.ad);
  // The same event again, even with other fields, is the same conversion, counted once.
  c["value_micros"] = 99;
  Reply again = h_->Post("/v1/conversions", c.dump(), t.token);
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(again.j["duplicate"], true);
  EXPECT_EQ(again.j["conversion"]["value_micros"], 25'000'000);
  EXPECT_EQ(h_->engine().ads_ledger().Events(t.group, ads::EventKind::kConversion), 1);
  // By user and ad: attributed to the user's last touch within the window, or to nothing.
  Reply by_user = h_->Post("/v1/conversions",
                           json({{"event_id", "cnv-order-2"}, {"user", "u1"}, {"ad", t.ad},
                                 {"type", "signup"}})
                               .dump(),
                           t.token);
  ASSERT_EQ(by_user.status, 201) << by_user.body;
  EXPECT_EQ(by_user.j["conversion"]["attributed_to"], "cnv-click-1");
  Reply cold = h_->Post("/v1/conversions",
                        json({{"event_id", "cnv-order-3"}, {"user", "u2"}, {"ad", t.ad},
                              {"type", "signup"}})
                            .dump(),
                        t.token);
  ASSERT_EQ(cold.status, 201) << cold.body;
  EXPECT_EQ(cold.j["conversion"]["attributed"], false);
  EXPECT_EQ(h_->engine().ads_ledger().Events(t.group, ads::EventKind::kConversion), 2);
  // Bad input: 400 naming the field, and no entry.
  const std::vector<std::pair<json, std::string>> bad = {
      {{{"event_id", "cnv-bad"}, {"click_id", "cnv-click-1"}}, "type: required"},
      {{{"click_id", "cnv-click-1"}, {"type", "purchase"}}, "event_id: required"},
      {{{"event_id", "cnv-bad"}, {"type", "purchase"}}, "click_id: required, or user and ad"},
      {{{"event_id", "cnv-bad"}, {"click_id", "cnv-click-1"}, {"user", "u1"}, {"type", "p"}},
       "not both"},
      {{{"event_id", "cnv-bad"}, {"click_id", "cnv-click-1"}, {"type", "p"}, {"price", 1}},
       "price: unknown field"},
      {{{"event_id", "cnv-bad"}, {"click_id", "cnv-click-1"}, {"type", "p"},
        {"value_micros", -1}},
       "value_micros"},
      {{{"event_id", "cnv-bad"}, {"click_id", "cnv-click-1"}, {"type", "p"},
        {"time_ms", now + 3'600'000}},
       "time_ms: must be >= 0 and not in the future"},
      {{{"event_id", "cnv-bad"}, {"click_id", "nope"}, {"type", "p"}}, "click_id: no click"},
      {{{"event_id", "cnv-bad"}, {"user", "u1"}, {"ad", "nope"}, {"type", "p"}}, "ad: no ad"},
      // Another advertiser's ad reads as unknown.
      {{{"event_id", "cnv-bad"}, {"user", "u1"}, {"ad", other.ad}, {"type", "p"}}, "ad: no ad"},
  };
  for (const auto& [body, message] : bad) {
    EXPECT_TRUE(IsError(h_->Post("/v1/conversions", body.dump(), t.token), 400,
                        "invalid_argument", message))
        << body;
  }
  EXPECT_TRUE(absl::IsNotFound(h_->engine().ads_ledger().Find("cnv-bad").status()));
  // An event id another account's event holds is refused, not shared.
  EXPECT_TRUE(IsError(h_->Post("/v1/conversions",
                               json({{"event_id", "cnv-order-1"}, {"user", "u1"},
                                     {"ad", other.ad}, {"type", "p"}})
                                   .dump(),
                               other.token),
                      409, "already_exists", "event_id"));
  EXPECT_EQ(h_->engine().ads_ledger().Events(t.group, ads::EventKind::kConversion), 2);
}

TEST_F(ApiAdsTest, ReportsEqualTheLedgerToTheMicro) {
  const Tree t = MakeTree(*h_, "rep");
  const int64_t day = (common::WallMs() / ads::kDayMs - 1) * ads::kDayMs;  // yesterday, UTC
  int64_t charged = 0;
  for (int i = 0; i < 40; ++i) {
    const int64_t charge = 1'000 + 7'919 * i;  // uneven micros: no rounding may hide
    charged += charge;
    Touch(*h_, t, absl::StrCat("rep-imp-", i), ads::EventKind::kImpression,
          absl::StrCat("u", 1 + i % 4), day + (i % 24) * ads::kHourMs + 1000 * i, charge);
    if (i % 5 == 0) {
      Touch(*h_, t, absl::StrCat("rep-click-", i), ads::EventKind::kClick, "u1",
            day + (i % 24) * ads::kHourMs + 1000 * i + 500, 0);
    }
  }
  const std::string q = absl::StrCat("/v1/ads/reports?account=", t.account,
                                     "&level=ad&by=hour&from_ms=", day,
                                     "&to_ms=", day + ads::kDayMs);
  Reply r = h_->Get(q, t.token);
  ASSERT_EQ(r.status, 200) << r.body;
  absl::StatusOr<std::vector<ads::ReportRow>> want = ads::BuildReport(
      h_->engine().ads_ledger(), {.account = t.account, .from_ms = day,
                                  .to_ms = day + ads::kDayMs, .bucket = ads::Bucket::kHour,
                                  .level = ads::Level::kAd});
  ASSERT_TRUE(want.ok()) << want.status();
  ASSERT_EQ(r.j["rows"].size(), want->size());
  int64_t spend = 0;
  for (size_t i = 0; i < want->size(); ++i) {
    const json& row = r.j["rows"][i];
    const ads::ReportRow& w = (*want)[i];
    EXPECT_EQ(row["bucket_ms"], w.bucket_ms);
    EXPECT_EQ(row["id"], t.ad);
    EXPECT_EQ(row["spend_micros"], w.spend_micros);
    EXPECT_EQ(row["impressions"], w.impressions);
    EXPECT_EQ(row["reach"], w.reach);
    EXPECT_EQ(row["clicks"], w.clicks);
    spend += row["spend_micros"].get<int64_t>();
  }
  EXPECT_EQ(spend, charged);
  EXPECT_EQ(r.j["totals"]["spend_micros"], charged);
  EXPECT_EQ(r.j["totals"]["impressions"], 40);
  EXPECT_EQ(r.j["totals"]["clicks"], 8);
  // The group's state and its plan: one entry per hour, adding up to at most its daily budget.
  ASSERT_EQ(r.j["ad_groups"].size(), 1u);
  const json& g = r.j["ad_groups"][0];
  EXPECT_EQ(g["id"], t.group);
  EXPECT_EQ(g["learning"], true);
  EXPECT_EQ(g["goal_events"], 8);
  ASSERT_EQ(g["plan"].size(), 24u);
  int64_t planned = 0;
  for (const json& h : g["plan"]) planned += h["planned_micros"].get<int64_t>();
  EXPECT_GT(planned, 19'000'000);
  EXPECT_LE(planned, 20'000'000);
  // By day at the campaign level: one row with the same spend.
  Reply by_day = h_->Get(absl::StrCat("/v1/ads/reports?account=", t.account,
                                      "&level=campaign&by=day&from_ms=", day,
                                      "&to_ms=", day + ads::kDayMs),
                         t.token);
  ASSERT_EQ(by_day.status, 200) << by_day.body;
  ASSERT_EQ(by_day.j["rows"].size(), 1u);
  EXPECT_EQ(by_day.j["rows"][0]["spend_micros"], charged);
  // Bad parameters name themselves.
  EXPECT_TRUE(IsError(h_->Get("/v1/ads/reports?account=" + t.account + "&level=x", t.token), 400,
                      "invalid_argument", "level"));
  EXPECT_TRUE(IsError(h_->Get("/v1/ads/reports?account=" + t.account + "&by=week", t.token), 400,
                      "invalid_argument", "by"));
  EXPECT_TRUE(IsError(h_->Get(absl::StrCat("/v1/ads/reports?account=", t.account,
                                           "&by=hour&from_ms=0&to_ms=", 40 * ads::kDayMs),
                              t.token),
                      400, "invalid_argument", "to_ms"));
  EXPECT_TRUE(IsError(h_->Get("/v1/ads/reports", t.token), 400, "invalid_argument", "account"));
}

}  // namespace
}  // namespace foryou::server
