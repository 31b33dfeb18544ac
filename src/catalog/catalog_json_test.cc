// Catalog JSON: every refusal is InvalidArgument naming the field; patches are all or nothing;
// ToJson reads back exactly; no input makes the parser throw.
#include "catalog/catalog_json.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace foryou::catalog {
namespace {

using nlohmann::json;

constexpr int64_t kNow = 1700000000000;

User FullUser() {
  User u;
  u.id = "u8412345";
  u.language = "en";
  u.country = "US";
  u.device = "ios";
  u.interests = {"cats", "cooking"};
  u.following = {"c1", "c2"};
  u.hidden_creators = {"c9"};
  u.hidden_sounds = {"s7"};
  u.keyword_filters = {"spoiler", "crème brûlée"};
  u.hashtag_filters = {"horror"};
  u.created_ms = kNow - 1000;
  u.epoch = 3;
  u.profile = {"full_active", "0", "[100,1k)"};
  return u;
}

Video FullVideo() {
  Video v;
  v.id = "v5550123";
  v.creator = "c771203";
  v.caption = "so good \xF0\x9F\x98\x82 #cats";
  v.hashtags = {"cats", "funny"};
  v.sound = "s42";
  v.duration_ms = 15230;
  v.upload_ms = kNow - 60000;
  v.duet_of = "v1";
  v.stitch_of = "v2";
  v.moderation = Moderation::kLimited;
  v.media_url = "https://cdn.example/v5550123.mp4";
  v.video_type = "NORMAL";
  v.upload_type = "Web";
  v.media_url_360 = "/media/v5550123/360.mp4";
  v.cover_url = "/media/v5550123/cover.jpg";
  v.frame_hash = "0123456789abcdef,fedcba9876543210";
  v.allow_duet = false;
  return v;
}

json MinimalVideo() { return json{{"id", "v1"}, {"creator", "c1"}, {"duration_ms", 1000}}; }

// The status's message must start with `field` + ":".
void ExpectRefused(const absl::Status& s, const std::string& field, const std::string& why = "") {
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_EQ(s.message().substr(0, field.size() + 1), field + ":") << s;
  if (!why.empty()) {
    EXPECT_NE(s.message().find(why), absl::string_view::npos) << s;
  }
}

TEST(ModerationTest, NamesRoundTrip) {
  for (Moderation m :
       {Moderation::kPending, Moderation::kApproved, Moderation::kLimited, Moderation::kRemoved}) {
    Moderation back;
    ASSERT_TRUE(ParseModeration(ModerationName(m), &back));
    EXPECT_EQ(back, m);
  }
  EXPECT_EQ(ModerationName(Moderation::kApproved), "approved");
  Moderation m;
  EXPECT_FALSE(ParseModeration("Approved", &m));
  EXPECT_FALSE(ParseModeration("", &m));
}

TEST(ValidateIdTest, Rules) {
  EXPECT_TRUE(ValidateId("id", "a").ok());
  EXPECT_TRUE(ValidateId("id", std::string(128, '~')).ok());
  EXPECT_TRUE(ValidateId("id", "!x/y:z").ok());
  ExpectRefused(ValidateId("id", ""), "id", "required");
  ExpectRefused(ValidateId("id", std::string(129, 'a')), "id", "1..128");
  ExpectRefused(ValidateId("creator", "a b"), "creator", "0x20");
  ExpectRefused(ValidateId("x", std::string("a\0b", 3)), "x", "0x00");
  ExpectRefused(ValidateId("x", "\x7f"), "x");
  ExpectRefused(ValidateId("x", "caf\xC3\xA9"), "x");
}

TEST(NormalizeHashtagTest, Rules) {
  EXPECT_EQ(NormalizeHashtag("h", "#FoodTok").value(), "foodtok");
  EXPECT_EQ(NormalizeHashtag("h", "caf\xC3\xA9").value(), "caf\xC3\xA9");
  EXPECT_EQ(NormalizeHashtag("h", std::string(100, 'a')).value(), std::string(100, 'a'));
  ExpectRefused(NormalizeHashtag("h", "#").status(), "h", "empty");
  ExpectRefused(NormalizeHashtag("h", "").status(), "h", "empty");
  ExpectRefused(NormalizeHashtag("h", "##a").status(), "h", "'#'");
  ExpectRefused(NormalizeHashtag("h", "a#b").status(), "h", "'#'");
  ExpectRefused(NormalizeHashtag("h", "a b").status(), "h");
  ExpectRefused(NormalizeHashtag("h", "a\tb").status(), "h");
  ExpectRefused(NormalizeHashtag("h", std::string(101, 'a')).status(), "h", "100");
  ExpectRefused(NormalizeHashtag("h", "\xC3").status(), "h", "UTF-8");
}

TEST(UserJsonTest, MinimalUser) {
  User u = UserFromJson(json{{"id", "u1"}}, kNow).value();
  EXPECT_EQ(u.id, "u1");
  EXPECT_EQ(u.created_ms, kNow);
  EXPECT_EQ(u.epoch, 0u);
  EXPECT_TRUE(u.interests.empty());
}

TEST(UserJsonTest, NormalizesListsAndKeywords) {
  json j = {{"id", "u1"},
            {"interests", {"#Cats", "cats", "Dogs"}},
            {"keyword_filters", {"SPOILER", "Crème"}},
            {"following", {"c1", "c1", "c2"}}};
  User u = UserFromJson(j, kNow).value();
  EXPECT_EQ(u.interests, (std::vector<std::string>{"cats", "dogs"}));
  EXPECT_EQ(u.keyword_filters, (std::vector<std::string>{"spoiler", "crème"}));
  EXPECT_EQ(u.following, (std::vector<std::string>{"c1", "c2"}));
}

TEST(UserJsonTest, RoundTrip) {
  const User u = FullUser();
  EXPECT_EQ(UserFromJson(ToJson(u), kNow).value(), u);
  User empty;
  empty.id = "x";
  empty.created_ms = 5;
  EXPECT_EQ(UserFromJson(ToJson(empty), kNow).value(), empty);
  // Through text, as the API sends it.
  EXPECT_EQ(UserFromJson(json::parse(ToJson(u).dump()), kNow).value(), u);
}

TEST(UserJsonTest, EveryRefusalNamesTheField) {
  const std::string long64(65, 'a');
  std::vector<json> list101(101, "x");
  struct Case {
    json j;
    std::string field, why;
  };
  std::vector<Case> cases = {
      {json::array(), "user", "object"},
      {json("u1"), "user", "object"},
      {json::object(), "id", "required"},
      {{{"language", "en"}}, "id", "required"},
      {{{"id", 7}}, "id", "string"},
      {{{"id", nullptr}}, "id", "string"},
      {{{"id", ""}}, "id", "required"},
      {{{"id", "a b"}}, "id", "printable"},
      {{{"id", std::string(129, 'a')}}, "id", "1..128"},
      {{{"id", "u"}, {"nickname", "x"}}, "nickname", "unknown field"},
      {{{"id", "u"}, {"language", 1}}, "language", "string"},
      {{{"id", "u"}, {"language", long64}}, "language", "64"},
      {{{"id", "u"}, {"country", "U S"}}, "country", "printable"},
      {{{"id", "u"}, {"device", long64}}, "device", "64"},
      {{{"id", "u"}, {"interests", "cats"}}, "interests", "array"},
      {{{"id", "u"}, {"interests", {"cats", "dogs", 3}}}, "interests[2]", "must be a string"},
      {{{"id", "u"}, {"interests", {"a b"}}}, "interests[0]"},
      {{{"id", "u"}, {"interests", list101}}, "interests", "at most 100"},
      {{{"id", "u"}, {"following", {"ok", "not ok"}}}, "following[1]", "printable"},
      {{{"id", "u"}, {"following", list101}}, "following", "at most 100"},
      {{{"id", "u"}, {"hidden_creators", {""}}}, "hidden_creators[0]", "required"},
      {{{"id", "u"}, {"hidden_sounds", {nullptr}}}, "hidden_sounds[0]", "string"},
      {{{"id", "u"}, {"keyword_filters", {""}}}, "keyword_filters[0]", "empty"},
      {{{"id", "u"}, {"keyword_filters", {std::string(101, 'k')}}}, "keyword_filters[0]", "100"},
      {{{"id", "u"}, {"keyword_filters", {"\xFF"}}}, "keyword_filters[0]", "UTF-8"},
      {{{"id", "u"}, {"hashtag_filters", {"#"}}}, "hashtag_filters[0]", "empty"},
      {{{"id", "u"}, {"hashtag_filters", json::object()}}, "hashtag_filters", "array"},
      {{{"id", "u"}, {"created_ms", -1}}, "created_ms", ">= 0"},
      {{{"id", "u"}, {"created_ms", kNow + 86400001}}, "created_ms", "<="},
      {{{"id", "u"}, {"created_ms", 1.5}}, "created_ms", "integer"},
      {{{"id", "u"}, {"created_ms", "5"}}, "created_ms", "integer"},
      {{{"id", "u"}, {"epoch", -1}}, "epoch", ">= 0"},
      {{{"id", "u"}, {"epoch", 4294967296ull}}, "epoch", "<="},
      {{{"id", "u"}, {"profile", {1}}}, "profile[0]", "string"},
      {{{"id", "u"}, {"profile", {long64}}}, "profile[0]", "64"},
      {{{"id", "u"}, {"profile", std::vector<json>(65, "x")}}, "profile", "at most 64"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.j.dump(-1, ' ', false, json::error_handler_t::replace));
    ExpectRefused(UserFromJson(c.j, kNow).status(), c.field, c.why);
  }
}

TEST(UserJsonTest, UnknownFieldNameIsEscapedAndShortened) {
  absl::Status s =
      UserFromJson(json{{"id", "u"}, {std::string(200, 'z') + "\n", 1}}, kNow).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_LT(s.message().size(), 100u) << s;
  EXPECT_EQ(s.message().find('\n'), absl::string_view::npos);
}

TEST(UserPatchTest, SetsOnlyWhatIsGiven) {
  User u = FullUser();
  ASSERT_TRUE(ApplyUserPatch(json{{"language", "fr"}, {"hashtag_filters", {"#Gore"}}}, &u).ok());
  User want = FullUser();
  want.language = "fr";
  want.hashtag_filters = {"gore"};
  EXPECT_EQ(u, want);
  ASSERT_TRUE(ApplyUserPatch(json::object(), &u).ok());
  EXPECT_EQ(u, want);
  ASSERT_TRUE(ApplyUserPatch(json{{"following", json::array()}}, &u).ok());
  EXPECT_TRUE(u.following.empty());
}

TEST(UserPatchTest, RefusalLeavesTheUserUnchanged) {
  struct Case {
    json j;
    std::string field, why;
  };
  std::vector<Case> cases = {
      {json::array(), "user", "object"},
      {{{"id", "other"}}, "id", "not patchable"},
      {{{"created_ms", 1}}, "created_ms", "not patchable"},
      {{{"epoch", 9}}, "epoch", "not patchable"},
      {{{"profile", json::array()}}, "profile", "not patchable"},
      {{{"shoe_size", 44}}, "shoe_size", "unknown field"},
      // A good field before a bad one must not stick.
      {{{"country", "FR"}, {"language", 5}}, "language", "string"},
      {{{"device", "web"}, {"interests", {"ok", 1}}}, "interests[1]", "string"},
      {{{"keyword_filters", {"a"}}, {"language", std::string(65, 'x')}}, "language", "64"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.j.dump(-1, ' ', false, json::error_handler_t::replace));
    User u = FullUser();
    ExpectRefused(ApplyUserPatch(c.j, &u), c.field, c.why);
    EXPECT_EQ(u, FullUser());
  }
}

TEST(VideoJsonTest, MinimalVideoTakesDefaults) {
  Video v = VideoFromJson(MinimalVideo(), kNow).value();
  EXPECT_EQ(v.id, "v1");
  EXPECT_EQ(v.creator, "c1");
  EXPECT_EQ(v.duration_ms, 1000u);
  EXPECT_EQ(v.upload_ms, kNow);
  EXPECT_EQ(v.moderation, Moderation::kPending);
  EXPECT_TRUE(v.hashtags.empty());
  EXPECT_TRUE(v.sound.empty());
}

TEST(VideoJsonTest, HashtagsAreNormalized) {
  json j = MinimalVideo();
  j["hashtags"] = {"#FYP", "fyp", "#Cats"};
  EXPECT_EQ(VideoFromJson(j, kNow).value().hashtags, (std::vector<std::string>{"fyp", "cats"}));
}

TEST(VideoJsonTest, RoundTrip) {
  const Video v = FullVideo();
  EXPECT_EQ(VideoFromJson(ToJson(v), kNow).value(), v);
  EXPECT_EQ(VideoFromJson(json::parse(ToJson(v).dump()), kNow).value(), v);
  Video plain;
  plain.id = "v9";
  plain.creator = "c9";
  plain.duration_ms = kMaxDurationMs;
  EXPECT_EQ(VideoFromJson(ToJson(plain), kNow).value(), plain);
}

TEST(VideoJsonTest, EveryRefusalNamesTheField) {
  auto with = [](const std::string& k, json v) {
    json j = MinimalVideo();
    j[k] = std::move(v);
    return j;
  };
  auto without = [](const std::string& k) {
    json j = MinimalVideo();
    j.erase(k);
    return j;
  };
  struct Case {
    json j;
    std::string field, why;
  };
  std::vector<Case> cases = {
      {json(nullptr), "video", "object"},
      {without("id"), "id", "required"},
      {without("creator"), "creator", "required"},
      {without("duration_ms"), "duration_ms", "required"},
      {with("id", 5), "id", "string"},
      {with("id", "a\tb"), "id", "printable"},
      {with("creator", ""), "creator", "required"},
      {with("creator", nullptr), "creator", "string"},
      {with("duration_ms", 0), "duration_ms", ">= 1"},
      {with("duration_ms", -5), "duration_ms", ">= 1"},
      {with("duration_ms", 3600001), "duration_ms", "<= 3600000"},
      {with("duration_ms", 1000.0), "duration_ms", "integer"},
      {with("duration_ms", "1000"), "duration_ms", "integer"},
      {with("caption", 1), "caption", "string"},
      {with("caption", std::string(2201, 'c')), "caption", "2200"},
      {with("caption", "bad \xC0\xAF"), "caption", "UTF-8"},
      {with("hashtags", "cats"), "hashtags", "array"},
      {with("hashtags", {"ok", "#"}), "hashtags[1]", "empty"},
      {with("hashtags", std::vector<json>(31, "t")), "hashtags", "at most 30"},
      {with("sound", "a b"), "sound", "printable"},
      {with("sound", 42), "sound", "string"},
      {with("upload_ms", -1), "upload_ms", ">= 0"},
      {with("upload_ms", kNow + 86400001), "upload_ms", "<="},
      {with("duet_of", "v1"), "duet_of", "itself"},
      {with("stitch_of", "v1"), "stitch_of", "itself"},
      {with("duet_of", "x y"), "duet_of", "printable"},
      {with("media_url", "https://a b"), "media_url", "printable"},
      {with("media_url", std::string(2049, 'u')), "media_url", "2048"},
      {with("moderation", "ok"), "moderation", "unknown state"},
      {with("moderation", 1), "moderation", "string"},
      {with("video_type", std::string(65, 'T')), "video_type", "64"},
      {with("upload_type", false), "upload_type", "string"},
      {with("likes", 5), "likes", "unknown field"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.j.dump(-1, ' ', false, json::error_handler_t::replace));
    ExpectRefused(VideoFromJson(c.j, kNow).status(), c.field, c.why);
  }
}

TEST(VideoPatchTest, SetsPatchableFields) {
  Video v = FullVideo();
  ASSERT_TRUE(ApplyVideoPatch(json{{"moderation", "removed"},
                                   {"caption", ""},
                                   {"hashtags", {"#New"}},
                                   {"media_url", ""}},
                              &v)
                  .ok());
  Video want = FullVideo();
  want.moderation = Moderation::kRemoved;
  want.caption = "";
  want.hashtags = {"new"};
  want.media_url = "";
  EXPECT_EQ(v, want);
}

TEST(VideoPatchTest, RefusalLeavesTheVideoUnchanged) {
  struct Case {
    json j;
    std::string field, why;
  };
  std::vector<Case> cases = {
      {json(3), "video", "object"},
      {{{"id", "v2"}}, "id", "not patchable"},
      {{{"creator", "c2"}}, "creator", "not patchable"},
      {{{"duration_ms", 5}}, "duration_ms", "not patchable"},
      {{{"upload_ms", 5}}, "upload_ms", "not patchable"},
      {{{"sound", "s"}}, "sound", "not patchable"},
      {{{"duet_of", "v"}}, "duet_of", "not patchable"},
      {{{"views", 5}}, "views", "unknown field"},
      {{{"caption", "fine"}, {"moderation", "gone"}}, "moderation", "unknown state"},
      {{{"moderation", "approved"}, {"hashtags", {"ok", 5}}}, "hashtags[1]", "string"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.j.dump(-1, ' ', false, json::error_handler_t::replace));
    Video v = FullVideo();
    ExpectRefused(ApplyVideoPatch(c.j, &v), c.field, c.why);
    EXPECT_EQ(v, FullVideo());
  }
}

TEST(OtherJsonTest, CreatorSoundHashtag) {
  EXPECT_EQ(ToJson(Creator{.id = "c1", .name = "Ann", .created_ms = 7}),
            (json{{"id", "c1"}, {"name", "Ann"}, {"created_ms", 7}}));
  EXPECT_EQ(ToJson(Sound{.id = "s1", .title = "Song", .creator = "c1"}),
            (json{{"id", "s1"},
             {"title", "Song"},
             {"creator", "c1"},
             {"audio_url", ""},
             {"original_video", ""}}));
  EXPECT_EQ(ToJson(Hashtag{.name = "cats", .videos = 12}),
            (json{{"name", "cats"}, {"videos", 12}}));
}

// Deeply nested, huge or odd JSON values never throw out of the parsers.
TEST(JsonRobustnessTest, OddValuesAreRefusedNotThrown) {
  json deep = json::array();
  for (int i = 0; i < 200; ++i) deep = json::array({deep});
  for (const json& v : {deep, json(1e308), json(-0.0), json(true), json::binary({1, 2, 3}),
                        json(18446744073709551615ull), json(std::string(1 << 16, 'x'))}) {
    for (const char* k : {"id", "interests", "created_ms", "epoch", "profile", "language"}) {
      json u = {{"id", "u"}};
      u[k] = v;
      EXPECT_FALSE(UserFromJson(u, kNow).ok()) << k;
      User user = FullUser();
      (void)ApplyUserPatch(json{{k, v}}, &user);
    }
    for (const char* k : {"id", "hashtags", "duration_ms", "upload_ms", "moderation", "caption"}) {
      json j = MinimalVideo();
      j[k] = v;
      absl::StatusOr<Video> got = VideoFromJson(j, kNow);
      if (std::string(k) != "caption" || !v.is_string()) {
        EXPECT_FALSE(got.ok()) << k;
      }
      Video video = FullVideo();
      (void)ApplyVideoPatch(json{{k, v}}, &video);
    }
  }
}

}  // namespace
}  // namespace foryou::catalog
