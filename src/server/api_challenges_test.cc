// The challenge routes (create, edit, the active list, a challenge's entries in cursor pages) and
// the sound page's original video, over a running server.
#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "server/api_test_harness.h"

namespace foryou::server {
namespace {

// A server of its own (the fixture's catalog, users and videos), so that the challenges and
// videos made here change nothing the other API tests count.
class ChallengeApiTest : public ApiServerTest {};

int64_t Hours(int n) { return int64_t{n} * 3600'000; }

json Dance(int64_t now) {
  return {{"name", "dance"},
          {"title", "Dance off"},
          {"description", "Show your moves"},
          {"start_ms", now - Hours(1)},
          {"end_ms", now + Hours(24)},
          {"sponsor", "adv1"}};
}

// Approved harness videos carrying `tag`.
int Carrying(const std::string& tag) {
  int n = 0;
  for (int v = 0; v < kVideos; ++v) {
    const std::vector<std::string> tags = HashtagsOf(v);
    n += std::find(tags.begin(), tags.end(), tag) != tags.end();
  }
  return n;
}

TEST_F(ChallengeApiTest, ChallengesAreCreatedByAdminsAndValidated) {
  const int64_t now = common::WallMs();
  EXPECT_TRUE(IsError(h_->Post("/v1/challenges", Dance(now).dump()), 403, "permission_denied"));
  auto refused = [&](json body, const std::string& part) {
    EXPECT_TRUE(
        IsError(h_->Post("/v1/challenges", body.dump(), kAdminKey), 400, "invalid_argument", part))
        << body.dump();
  };
  json j = Dance(now);
  j["name"] = "#Dance";
  refused(j, "want 'dance'");
  j = Dance(now);
  j["title"] = std::string(101, 't');
  refused(j, "title");
  j = Dance(now);
  j["description"] = std::string(2201, 'd');
  refused(j, "description");
  j = Dance(now);
  j["end_ms"] = j["start_ms"];
  refused(j, "end_ms");
  EXPECT_TRUE(IsError(h_->Get("/v1/challenges/dance"), 404, "not_found"));

  Reply created = h_->Post("/v1/challenges", Dance(now).dump(), kAdminKey);
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(created.j["sponsor"], "adv1");
  EXPECT_TRUE(
      IsError(h_->Post("/v1/challenges", Dance(now).dump(), kAdminKey), 409, "already_exists"));

  // PATCH: admin only, validated, all or nothing.
  EXPECT_TRUE(IsError(h_->Call("PATCH", "/v1/challenges/dance", kAppKey, R"({"title":"x"})"), 403,
                      "permission_denied"));
  EXPECT_TRUE(IsError(h_->Call("PATCH", "/v1/challenges/dance", kAdminKey,
                               json{{"title", "New"}, {"end_ms", 0}}.dump()),
                      400, "invalid_argument", "end_ms"));
  EXPECT_TRUE(IsError(h_->Call("PATCH", "/v1/challenges/nope", kAdminKey, R"({"title":"x"})"), 404,
                      "not_found"));
  EXPECT_EQ(h_->Get("/v1/challenges/dance", "").j["title"], "Dance off");
  Reply patched = h_->Call("PATCH", "/v1/challenges/dance", kAdminKey,
                           R"({"title":"Dance off!","sponsor":""})");
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(patched.j["title"], "Dance off!");
  EXPECT_EQ(h_->Get("/v1/challenges/dance", "").j["sponsor"], "");
}

TEST_F(ChallengeApiTest, TheActiveListCountsEntries) {
  const int64_t now = common::WallMs();
  json cats = {{"name", "cats"},
               {"title", "Cats"},
               {"start_ms", now - Hours(2)},
               {"end_ms", now + Hours(2)}};
  ASSERT_EQ(h_->Post("/v1/challenges", cats.dump(), kAdminKey).status, 201);
  json later = {{"name", "food"},
                {"title", "Later"},
                {"start_ms", now + Hours(24)},
                {"end_ms", now + Hours(48)}};
  ASSERT_EQ(h_->Post("/v1/challenges", later.dump(), kAdminKey).status, 201);
  // A pending video with the hashtag is no entry.
  json pending = {{"id", "pending_cat"},
                  {"creator", "c1"},
                  {"hashtags", {"cats"}},
                  {"duration_ms", 5000},
                  {"moderation", "pending"}};
  ASSERT_EQ(h_->Post("/v1/videos", pending.dump(), kAdminKey).status, 201);

  Reply active = h_->Get("/v1/challenges?active=1", "");  // public
  ASSERT_EQ(active.status, 200) << active.body;
  std::set<std::string> names;
  for (const json& c : active.j["challenges"]) {
    names.insert(c["name"].get<std::string>());
    EXPECT_TRUE(c["active"].get<bool>());
    if (c["name"] == "cats") {
      EXPECT_EQ(c["entries"], Carrying("cats"));
    }
  }
  EXPECT_TRUE(names.contains("cats"));
  EXPECT_FALSE(names.contains("food"));  // not started
  Reply all = h_->Get("/v1/challenges", "");
  ASSERT_EQ(all.status, 200);
  bool saw_food = false;
  for (const json& c : all.j["challenges"]) {
    if (c["name"] == "food") {
      saw_food = true;
      EXPECT_FALSE(c["active"].get<bool>());
    }
  }
  EXPECT_TRUE(saw_food);
  EXPECT_TRUE(IsError(h_->Get("/v1/challenges?active=yes", ""), 400, "invalid_argument", "active"));
}

TEST_F(ChallengeApiTest, AChallengePagesItsEntriesMostEngagingFirst) {
  const int64_t now = common::WallMs();
  json travel = {{"name", "travel"},
                 {"title", "Travel"},
                 {"start_ms", now - Hours(2)},
                 {"end_ms", now + Hours(2)}};
  ASSERT_EQ(h_->Post("/v1/challenges", travel.dump(), kAdminKey).status, 201);
  // One entry gets engagement: it leads the page.
  int liked = -1;
  for (int v = kVideos - 1; v >= 0 && liked < 0; --v) {
    const std::vector<std::string> tags = HashtagsOf(v);
    if (std::find(tags.begin(), tags.end(), "travel") != tags.end()) liked = v;
  }
  ASSERT_GE(liked, 0);
  const std::string liked_id = absl::StrCat("v", liked);
  for (const char* user : {"u1", "u2", "u3"}) {
    Reply r =
        h_->Post("/v1/events", json::array({json::parse(Event("like", user, liked_id))}).dump());
    ASSERT_EQ(r.status, 200) << r.body;
  }
  std::vector<std::string> ids;
  std::string cursor;
  for (int pages = 0; pages < 100; ++pages) {
    Reply r = h_->Get(absl::StrCat("/v1/challenges/travel?limit=4&cursor=", cursor), "");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.j["title"], "Travel");
    EXPECT_EQ(r.j["entries"], Carrying("travel"));
    EXPECT_LE(r.j["videos"].size(), 4u);
    for (const json& v : r.j["videos"]) {
      const std::vector<std::string> tags = v["hashtags"];
      EXPECT_NE(std::find(tags.begin(), tags.end(), "travel"), tags.end());
      EXPECT_EQ(v["moderation"], "approved");
      ids.push_back(v["id"]);
    }
    cursor = r.j["next_cursor"];
    if (cursor.empty()) break;
  }
  ASSERT_EQ(static_cast<int>(ids.size()), Carrying("travel"));
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), ids.size());
  EXPECT_EQ(ids[0], liked_id);
  EXPECT_TRUE(
      IsError(h_->Get("/v1/challenges/travel?cursor=abc", ""), 400, "invalid_argument", "cursor"));
}

TEST_F(ChallengeApiTest, ASoundPageShowsItsOriginalVideoAndCreator) {
  const int64_t now = common::WallMs();
  auto post = [&](const std::string& id, const std::string& creator, int64_t upload_ms,
                  const std::string& moderation) {
    json v = {{"id", id},
              {"creator", creator},
              {"sound", "hit_song"},
              {"duration_ms", 5000},
              {"upload_ms", upload_ms},
              {"moderation", moderation}};
    Reply r = h_->Post("/v1/videos", v.dump(), kAdminKey);
    ASSERT_EQ(r.status, 201) << r.body;
  };
  post("song_removed", "early", now - Hours(96), "removed");  // first, but not shown
  post("song_first", "maker", now - Hours(72), "approved");
  post("song_popular", "fan1", now - Hours(48), "approved");
  post("song_latest", "fan2", now - Hours(24), "approved");
  for (const char* user : {"u1", "u2"}) {
    Reply r = h_->Post("/v1/events",
                       json::array({json::parse(Event("like", user, "song_popular"))}).dump());
    ASSERT_EQ(r.status, 200) << r.body;
  }
  Reply s = h_->Get("/v1/sounds/hit_song", "");
  ASSERT_EQ(s.status, 200) << s.body;
  ASSERT_TRUE(s.j["original"].is_object()) << s.body;
  EXPECT_EQ(s.j["original"]["video"]["id"], "song_first");
  EXPECT_EQ(s.j["original"]["creator"]["id"], "maker");
  ASSERT_EQ(s.j["videos"].size(), 3u);
  EXPECT_EQ(s.j["videos"][0]["id"], "song_popular");  // most engaging first
  for (const json& v : s.j["videos"]) EXPECT_EQ(v["original"], v["id"] == "song_first");
  // Only the original in the page's first item? Still named in "original" when past the limit.
  Reply one = h_->Get("/v1/sounds/hit_song?limit=1", "");
  EXPECT_EQ(one.j["original"]["video"]["id"], "song_first");
}

}  // namespace
}  // namespace foryou::server
