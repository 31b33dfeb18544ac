// HTTP API end to end, GET /v1/search: public, prefix search over videos / creators / sounds /
// hashtags fed by every catalog write path (POST /v1/videos, PATCH /v1/videos/ID, users),
// moderation hiding videos, cursors, and the 400 answers of bad input.
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "catalog/catalog_store.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "server/api_test_harness.h"

namespace foryou::server {
namespace {

// GET /v1/search with no key and no session; `query` is already URL-encoded.
Reply Search(Harness* h, const std::string& query) {
  return h->Get(absl::StrCat("/v1/search?", query), /*key=*/"");
}

std::vector<std::string> Ids(const Reply& r, const char* field = "id") {
  std::vector<std::string> ids;
  if (!r.j.is_object() || !r.j.contains("results")) return ids;
  for (const json& x : r.j["results"]) ids.push_back(x[field]);
  return ids;
}

TEST_F(ApiServerTest, SearchFindsVideosByThePrefixOfTheLastWordWithoutAKey) {
  Reply r = Search(h_, "q=video%20numb&count=7");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.j["type"], "videos");
  ASSERT_EQ(r.j["results"].size(), 7u);
  EXPECT_TRUE(r.j["results"][0].contains("creator"));  // video objects
  // Counts as on every video object (the social store's).
  EXPECT_TRUE(r.j["results"][0]["counts"].contains("likes")) << r.j["results"][0];
  ASSERT_TRUE(r.j["next_cursor"].is_string());
  std::set<std::string> seen;
  for (const std::string& id : Ids(r)) seen.insert(id);
  // Every page follows the last one, none repeats, the last has a null cursor.
  std::string cursor = r.j["next_cursor"];
  int pages = 1;
  while (!cursor.empty()) {
    Reply next = Search(h_, absl::StrCat("q=video%20numb&count=7&cursor=", cursor));
    ASSERT_EQ(next.status, 200) << next.body;
    for (const std::string& id : Ids(next)) EXPECT_TRUE(seen.insert(id).second) << id;
    cursor = next.j["next_cursor"].is_string() ? next.j["next_cursor"].get<std::string>() : "";
    ASSERT_LT(++pages, 20);
  }
  EXPECT_EQ(seen.size(), static_cast<size_t>(kVideos));
}

TEST_F(ApiServerTest, SearchFollowsVideoWritesAndModeration) {
  const std::string video =
      json({{"id", "zv1"}, {"creator", "zelda"}, {"caption", "zebra crossing at dawn"},
            {"hashtags", {"zebras"}}, {"duration_ms", 9000}, {"moderation", "pending"}})
          .dump();
  ASSERT_EQ(h_->Post("/v1/videos", video, kAdminKey).status, 201);
  EXPECT_TRUE(Ids(Search(h_, "q=zebra%20cro")).empty());  // pending
  ASSERT_EQ(h_->Patch("/v1/videos/zv1", R"({"moderation":"approved"})").status, 200);
  EXPECT_EQ(Ids(Search(h_, "q=zebra%20cro")), std::vector<std::string>{"zv1"});
  Reply tags = Search(h_, "q=%23zeb&type=hashtags");
  ASSERT_EQ(tags.status, 200) << tags.body;
  EXPECT_EQ(tags.j["results"], json::parse(R"([{"name":"zebras","videos":1}])"));
  // An edit re-indexes it.
  ASSERT_EQ(h_->Patch("/v1/videos/zv1", R"({"caption":"giraffe at noon"})").status, 200);
  EXPECT_TRUE(Ids(Search(h_, "q=zebra%20cro")).empty());
  EXPECT_EQ(Ids(Search(h_, "q=giraf")), std::vector<std::string>{"zv1"});
  // Removed: gone from videos, and its creator and hashtag with it.
  ASSERT_EQ(h_->Patch("/v1/videos/zv1", R"({"moderation":"removed"})").status, 200);
  EXPECT_TRUE(Ids(Search(h_, "q=giraf")).empty());
  EXPECT_TRUE(Ids(Search(h_, "q=zeb&type=hashtags"), "name").empty());
  EXPECT_TRUE(Ids(Search(h_, "q=zeld&type=creators")).empty());
}

TEST_F(ApiServerTest, SearchCreatorsSoundsAndHashtagsWithTheirCounts) {
  Reply c = Search(h_, "q=c1&type=creators");
  ASSERT_EQ(c.status, 200) << c.body;
  ASSERT_EQ(c.j["results"].size(), 1u);
  EXPECT_EQ(c.j["results"][0], json::parse(R"({"id":"c1","name":"c1","avatar":null,"followers":0})"));
  // A user write reaches the index: u3 now follows c1.
  ASSERT_EQ(h_->Patch("/v1/users/u3", R"({"following":["c1"]})").status, 200);
  c = Search(h_, "q=c1&type=creators");
  ASSERT_EQ(c.j["results"].size(), 1u);
  EXPECT_EQ(c.j["results"][0]["followers"], 1);

  Reply s = Search(h_, "q=s2&type=sounds");
  ASSERT_EQ(s.status, 200) << s.body;
  ASSERT_EQ(s.j["results"].size(), 1u);
  EXPECT_EQ(s.j["results"][0]["id"], "s2");
  EXPECT_EQ(s.j["results"][0]["videos"], kVideos / 5);
  // A sound that is a name only has no audio a post could use; one with a file names it.
  EXPECT_TRUE(s.j["results"][0]["audio_url"].is_null()) << s.body;
  absl::StatusOr<catalog::Sound> s2 = h_->engine().store().GetSound("s2");
  ASSERT_TRUE(s2.ok()) << s2.status();
  s2->audio_url = "/media/s2.m4a";
  ASSERT_TRUE(h_->engine().store().PutSound(*s2).ok());
  s = Search(h_, "q=s2&type=sounds");
  ASSERT_EQ(s.j["results"].size(), 1u);
  EXPECT_EQ(s.j["results"][0]["audio_url"], "/media/s2.m4a");

  Reply t = Search(h_, "q=tra&type=hashtags");
  ASSERT_EQ(t.status, 200) << t.body;
  ASSERT_EQ(t.j["results"].size(), 1u);
  EXPECT_EQ(t.j["results"][0]["name"], "travel");
  int travel = 0;
  for (int v = 0; v < kVideos; ++v) {
    const auto tags = HashtagsOf(v);
    travel += tags[0] == "travel" || tags[1] == "travel";
  }
  EXPECT_EQ(t.j["results"][0]["videos"], travel);
}

TEST_F(ApiServerTest, SearchRefusesBadInputWith400) {
  EXPECT_TRUE(IsError(Search(h_, "q="), 400, "invalid_argument", "q"));
  EXPECT_TRUE(IsError(Search(h_, "type=videos"), 400, "invalid_argument", "q"));
  EXPECT_TRUE(IsError(Search(h_, "q=%20%20"), 400, "invalid_argument", "q"));
  EXPECT_TRUE(IsError(Search(h_, absl::StrCat("q=", std::string(201, 'a'))), 400,
                      "invalid_argument", "200 bytes"));
  EXPECT_EQ(Search(h_, absl::StrCat("q=", std::string(200, 'a'))).status, 200);
  EXPECT_TRUE(IsError(Search(h_, "q=%FF%FE"), 400, "invalid_argument", "UTF-8"));
  EXPECT_TRUE(IsError(Search(h_, "q=cats&type=songs"), 400, "invalid_argument", "type"));
  EXPECT_TRUE(IsError(Search(h_, "q=cats&cursor=xyz"), 400, "invalid_argument", "cursor"));
  EXPECT_TRUE(IsError(Search(h_, "q=cats&count=0"), 400, "invalid_argument", "count"));
  EXPECT_TRUE(IsError(Search(h_, "q=cats&count=101"), 400, "invalid_argument", "count"));
  // Operators and punctuation are text, never a parse error.
  EXPECT_EQ(Search(h_, "q=%22cats%20AND%20(NOT%20-dance*").status, 200);
}

}  // namespace
}  // namespace foryou::server
