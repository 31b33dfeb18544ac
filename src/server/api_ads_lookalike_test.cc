// Lookalike audiences over HTTP (docs/api.md, "Ads"): made from one of the advertiser's custom
// audiences, they hold the users whose rows in the serving model's user embedding space are
// nearest the seed's (the seed itself left out unless asked), are refused with a clear error
// that stores nothing, are recomputed on refresh, and an ad group targeting one serves its
// members and no one else.
#include "common/id_key.h"
#include "embedding/delta.h"
#include "embedding/feature_id.h"
#include "model/features.h"
#include "server/api_test_harness.h"

namespace foryou::server {
namespace {

constexpr char kLookalikePassword[] = "pass phrase 1";

class ApiAdsLookalikeTest : public ApiServerTest {
 protected:
  // Writes `row`, zero-padded to the slot's dim, as the serving replica's user_id row of `user`
  // (as a sync from the trainer would): the users here have no events, so no sync touches these
  // rows again.
  static void SetRow(const std::string& user, std::vector<float> row) {
    embedding::EmbeddingTable& table = h_->engine().loop().serving().table();
    embedding::SlotDelta slot;
    slot.slot = model::FindFeature("user_id")->slot;
    slot.dim = table.DimOf(slot.slot);
    ASSERT_LE(row.size(), slot.dim);
    row.resize(slot.dim, 0.0f);
    slot.keys = {embedding::HashFeature(slot.slot, common::UserKey(user))};
    slot.last_seen_s = {static_cast<uint32_t>(common::WallMs() / 1000)};
    slot.counts = {1};
    slot.values = std::move(row);
    embedding::TableDelta delta;
    delta.slots.push_back(std::move(slot));
    ASSERT_TRUE(table.ApplyDelta(delta).ok());
  }

  static void AddUser(const std::string& id) {
    Reply r = h_->Post("/v1/users", json({{"id", id}, {"interests", {"dance"}}}).dump());
    ASSERT_EQ(r.status, 201) << r.body;
  }

  // Signs `handle` up as an advertiser and returns its session token.
  static std::string Advertiser(const std::string& handle) {
    Reply up = h_->Post("/v1/auth/signup",
                        json({{"handle", handle}, {"password", kLookalikePassword}}).dump(), "");
    EXPECT_EQ(up.status, 201) << up.body;
    Reply r = h_->Post("/v1/admin/accounts/" + handle + "/roles",
                       json({{"roles", {"viewer", "advertiser"}}}).dump(), kAdminKey);
    EXPECT_EQ(r.status, 200) << r.body;
    return up.j.value("token", "");
  }

  // Whether any of `user`'s next three pages carries `ad`. (A page that shows the ad's video as
  // an organic item cannot carry the ad; the seen set keeps it off the next ones.)
  static bool SeesAd(const std::string& user, const std::string& ad) {
    for (int p = 0; p < 3; ++p) {
      Reply r = h_->Get("/v1/feed?user=" + user + "&count=10");
      EXPECT_EQ(r.status, 200) << r.body;
      for (const json& item : r.j["items"]) {
        if (item.value("ad", "") == ad) return true;
      }
    }
    return false;
  }
};

TEST_F(ApiAdsLookalikeTest, HoldsTheUsersNearestTheSeedAndATargetingGroupServesOnlyThem) {
  // Rows in a 4-d space: the seed's members point along x; "near" users close to x, "far" ones
  // along y or against x; "blank" has no row at all (never learned) and is in no lookalike.
  const std::vector<std::string> seeds = {"seed_a", "seed_b"}, near = {"near_a", "near_b"},
                                 far = {"far_a", "far_b", "far_c"};
  for (const auto* group : {&seeds, &near, &far}) {
    for (const std::string& u : *group) AddUser(u);
  }
  AddUser("blank");
  SetRow("seed_a", {1.0f, 0.1f, 0.0f, 0.0f});
  SetRow("seed_b", {2.0f, 0.0f, 0.2f, 0.0f});
  SetRow("near_a", {0.9f, 0.2f, 0.1f, 0.0f});
  SetRow("near_b", {1.5f, 0.0f, 0.0f, 0.4f});
  SetRow("far_a", {0.0f, 1.0f, 0.0f, 0.0f});
  SetRow("far_b", {-1.0f, 0.2f, 0.0f, 0.0f});
  SetRow("far_c", {0.1f, 0.0f, 0.0f, 1.0f});

  const std::string token = Advertiser("lal_shop");
  const std::string rival = Advertiser("lal_rival");
  ASSERT_EQ(h_->Post("/v1/ads/accounts", json({{"id", "lal"}, {"name", "Shop"}}).dump(), token)
                .status,
            201);
  ASSERT_EQ(h_->Post("/v1/ads/accounts", json({{"id", "lal2"}, {"name", "Other"}}).dump(), token)
                .status,
            201);
  ASSERT_EQ(
      h_->Post("/v1/ads/accounts", json({{"id", "rival"}, {"name", "Rival"}}).dump(), rival).status,
      201);
  Reply seed = h_->Post("/v1/ads/audiences",
                        json({{"id", "buyers"}, {"account", "lal"}, {"name", "Buyers"},
                              {"users", {"seed_a", "seed_b", "nobody_known"}}})
                            .dump(),
                        token);
  ASSERT_EQ(seed.status, 201) << seed.body;
  ASSERT_EQ(h_->Post("/v1/ads/audiences",
                     json({{"id", "rival_buyers"}, {"account", "rival"}, {"name", "Theirs"},
                           {"users", {"seed_a"}}})
                         .dump(),
                     rival)
                .status,
            201);
  ASSERT_EQ(h_->Post("/v1/ads/audiences",
                     json({{"id", "other_buyers"}, {"account", "lal2"}, {"name", "Other"},
                           {"users", {"seed_a"}}})
                         .dump(),
                     token)
                .status,
            201);

  // The two nearest users with a row, the seed's members left out.
  Reply made = h_->Post("/v1/ads/audiences",
                        json({{"kind", "lookalike"}, {"id", "like_buyers"}, {"account", "lal"},
                              {"name", "Like buyers"}, {"seed", "buyers"}, {"size", 2}})
                            .dump(),
                        token);
  ASSERT_EQ(made.status, 201) << made.body;
  EXPECT_EQ(made.j["kind"], "lookalike");
  EXPECT_EQ(made.j["seed"], "buyers");
  EXPECT_EQ(made.j["requested_size"], 2);
  EXPECT_EQ(made.j["size"], 2);
  EXPECT_EQ(made.j["include_seed"], false);
  EXPECT_GT(made.j["computed_ms"].get<int64_t>(), 0);
  ads::AdsStore& store = h_->engine().ads_store();
  EXPECT_EQ(store.AudienceMembers("like_buyers").value(), near);
  EXPECT_EQ(h_->Get("/v1/ads/audiences/like_buyers", token).j, made.j);

  // Refused, naming the field; nothing is stored.
  auto refused = [&](json body, const std::string& who, int status, const std::string& message) {
    body["kind"] = "lookalike";
    body["id"] = "refused";
    Reply r = h_->Post("/v1/ads/audiences", body.dump(), who);
    EXPECT_EQ(r.status, status) << body << " -> " << r.body;
    EXPECT_NE(r.body.find(message), std::string::npos) << r.body;
    EXPECT_EQ(h_->Get("/v1/ads/audiences/refused", kAdminKey).status, 404);
  };
  const json ok = {{"account", "lal"}, {"name", "L"}, {"seed", "buyers"}, {"size", 2}};
  auto with = [&](const std::string& key, const json& v) {
    json b = ok;
    if (v.is_null()) {
      b.erase(key);
    } else {
      b[key] = v;
    }
    return b;
  };
  refused(with("seed", "nobody"), token, 404, "audience.seed: audience nobody not found");
  refused(with("seed", "rival_buyers"), token, 404, "audience.seed: audience rival_buyers not found");
  refused(with("seed", "other_buyers"), token, 400,
          "audience.seed: audience other_buyers is not an audience of account lal");
  refused(with("seed", "like_buyers"), token, 400, "must be a custom audience");
  refused(with("seed", nullptr), token, 400, "audience.seed: required");
  refused(with("size", nullptr), token, 400, "audience.size: required");
  refused(with("size", 0), token, 400, "audience.size: must be in [1, 100000]");
  refused(with("size", 100001), token, 400, "audience.size: must be in [1, 100000]");
  refused(with("size", "2"), token, 400, "audience.size: must be an integer");
  refused(with("users", json::array({"x"})), token, 400, "audience.users: a lookalike's members");
  refused(with("colour", "red"), token, 400, "audience.colour: unknown field");
  refused(with("account", "rival"), token, 404, "audience.account: account rival not found");
  refused(ok, rival, 404, "audience.account: account lal not found");
  Reply wrong_kind = h_->Post("/v1/ads/audiences",
                              json({{"kind", "similar"}, {"account", "lal"}, {"name", "X"},
                                    {"users", {"u1"}}})
                                  .dump(),
                              token);
  EXPECT_EQ(wrong_kind.status, 400) << wrong_kind.body;
  EXPECT_NE(wrong_kind.body.find("audience.kind"), std::string::npos) << wrong_kind.body;
  // A seed none of whose members the model knows yet.
  ASSERT_EQ(h_->Post("/v1/ads/audiences",
                     json({{"id", "unknown_buyers"}, {"account", "lal"}, {"name", "New"},
                           {"users", {"blank"}}})
                         .dump(),
                     token)
                .status,
            201);
  refused(with("seed", "unknown_buyers"), token, 400,
          "none of the 1 members of audience unknown_buyers has a user row");
  // Its members are computed: a PUT of members is refused, and a custom audience does not
  // refresh.
  Reply put = h_->Call("PUT", "/v1/ads/audiences/like_buyers", token,
                       json({{"users", {"far_a"}}}).dump());
  EXPECT_EQ(put.status, 400) << put.body;
  EXPECT_EQ(h_->Post("/v1/ads/audiences/buyers/refresh", "", token).status, 400);
  EXPECT_EQ(h_->Post("/v1/ads/audiences/like_buyers/refresh", "", rival).status, 404);
  EXPECT_EQ(h_->Post("/v1/ads/audiences/like_buyers/refresh",
                     json({{"seed", "other_buyers"}}).dump(), token)
                .status,
            400);
  EXPECT_EQ(store.AudienceMembers("like_buyers").value(), near);

  // An ad group of the account targets it; a CPM far above any organic reserve, so that only
  // the targeting decides who sees the ad.
  json video = {{"id", "lal-video"}, {"creator", "lal_shop"}, {"hashtags", {"shop"}},
                {"caption", "ad"}, {"duration_ms", 15000},
                {"media_url", "https://cdn.example/ad.mp4"}, {"moderation", "approved"}};
  ASSERT_EQ(h_->Post("/v1/videos", video.dump(), kAdminKey).status, 201);
  ASSERT_EQ(h_->Post("/v1/ads/campaigns",
                     json({{"id", "lal-cmp"}, {"account", "lal"}, {"name", "Sale"},
                           {"objective", "reach"}, {"budget_mode", "daily"},
                           {"budget_micros", 100'000'000}})
                         .dump(),
                     token)
                .status,
            201);
  Reply group = h_->Post(
      "/v1/ads/ad_groups",
      json({{"id", "lal-grp"}, {"campaign", "lal-cmp"}, {"name", "Lookalikes"},
            {"targeting", {{"audiences", {"like_buyers"}}}}, {"goal", "impression"},
            {"bid_strategy", "bid_cap"}, {"bid_micros", 200'000'000}, {"budget_mode", "daily"},
            {"budget_micros", 50'000'000}, {"pacing", "fast"}})
          .dump(),
      token);
  ASSERT_EQ(group.status, 201) << group.body;
  Reply ad = h_->Post("/v1/ads/ads",
                      json({{"id", "lal-ad"}, {"ad_group", "lal-grp"}, {"name", "Ad"},
                            {"video", "lal-video"}, {"call_to_action", "shop_now"},
                            {"landing_url", "https://shop.example/"}})
                          .dump(),
                      token);
  ASSERT_EQ(ad.status, 201) << ad.body;
  ASSERT_EQ(h_->Post("/v1/ads/ads/lal-ad/approval", json({{"approval", "approved"}}).dump(),
                     kAdminKey)
                .status,
            200);
  for (const std::string& u : near) EXPECT_TRUE(SeesAd(u, "lal-ad")) << u;
  for (const auto* group : {&seeds, &far}) {
    for (const std::string& u : *group) EXPECT_FALSE(SeesAd(u, "lal-ad")) << u;
  }
  EXPECT_FALSE(SeesAd("blank", "lal-ad"));

  // The model moves far_a next to the seed; a refresh, asking for the seed's members too, follows.
  SetRow("far_a", {1.0f, 0.05f, 0.05f, 0.0f});
  Reply refreshed = h_->Post("/v1/ads/audiences/like_buyers/refresh",
                             json({{"size", 5}, {"include_seed", true}}).dump(), token);
  ASSERT_EQ(refreshed.status, 200) << refreshed.body;
  EXPECT_EQ(refreshed.j["size"], 5);
  EXPECT_EQ(refreshed.j["include_seed"], true);
  EXPECT_EQ(store.AudienceMembers("like_buyers").value(),
            (std::vector<std::string>{"far_a", "near_a", "near_b", "seed_a", "seed_b"}));
  EXPECT_TRUE(SeesAd("far_a", "lal-ad"));
  EXPECT_FALSE(SeesAd("far_c", "lal-ad"));

  // Every write is audited, refusals included.
  Reply audit = h_->Get("/v1/admin/audit?limit=200", kAdminKey);
  int created = 0, refreshes = 0, refusals = 0;
  for (const json& r : audit.j["records"]) {
    if (r["who"] != "account:lal_shop") continue;
    created += r["route"] == "/v1/ads/audiences" && r["target"] == "like_buyers" &&
               r["status"] == 201;
    refreshes += r["route"] == "/v1/ads/audiences/ID/refresh" && r["target"] == "like_buyers" &&
                 r["status"] == 200;
    refusals += r["route"] == "/v1/ads/audiences" && r["status"].get<int>() >= 400;
  }
  EXPECT_EQ(created, 1) << audit.body;
  EXPECT_EQ(refreshes, 1) << audit.body;
  EXPECT_GE(refusals, 10) << audit.body;
}

}  // namespace
}  // namespace foryou::server
