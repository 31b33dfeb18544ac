// Challenge records: validation, JSON, the store's create / update / get / scan, the encoding
// and its refusal of bad bytes.
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "catalog/catalog_store.h"
#include "catalog/challenge.h"
#include "catalog/record_codec.h"
#include "gtest/gtest.h"
#include "rocksdb/db.h"

namespace foryou::catalog {
namespace {

using json = nlohmann::json;

Challenge Dance() {
  return {.name = "dance",
          .title = "Dance off",
          .description = "Show your moves",
          .start_ms = 1000,
          .end_ms = 5000,
          .sponsor = "adv1",
          .created_ms = 900};
}

class ChallengeStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = absl::StrCat(::testing::TempDir(), "/challenge_store_", getpid(), "_",
                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    Reopen();
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Reopen() {
    store_.reset();
    auto s = CatalogStore::Open(dir_);
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = std::move(*s);
  }
  std::vector<Challenge> All() {
    std::vector<Challenge> out;
    EXPECT_TRUE(store_->ForEachChallenge([&](const Challenge& c) { out.push_back(c); }).ok());
    return out;
  }
  std::string dir_;
  std::unique_ptr<CatalogStore> store_;
};

TEST_F(ChallengeStoreTest, CreateGetUpdateSurviveReopen) {
  ASSERT_TRUE(store_->CreateChallenge(Dance()).ok());
  EXPECT_EQ(store_->CreateChallenge(Dance()).code(), absl::StatusCode::kAlreadyExists);
  Challenge other = Dance();
  other.name = "cats";
  EXPECT_EQ(store_->UpdateChallenge(other).code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(store_->CreateChallenge(other).ok());
  Challenge changed = Dance();
  changed.title = "Dance off 2";
  ASSERT_TRUE(store_->UpdateChallenge(changed).ok());
  Reopen();
  auto got = store_->GetChallenge("dance");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, changed);
  EXPECT_EQ(store_->GetChallenge("nope").status().code(), absl::StatusCode::kNotFound);
  const std::vector<Challenge> all = All();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].name, "cats");  // by name
  EXPECT_EQ(all[1], changed);
}

TEST_F(ChallengeStoreTest, InvalidChallengesAreRefusedAndChangeNothing) {
  ASSERT_TRUE(store_->CreateChallenge(Dance()).ok());
  Challenge bad = Dance();
  bad.title = "";
  EXPECT_EQ(store_->UpdateChallenge(bad).code(), absl::StatusCode::kInvalidArgument);
  bad = Dance();
  bad.end_ms = bad.start_ms;
  EXPECT_EQ(store_->UpdateChallenge(bad).code(), absl::StatusCode::kInvalidArgument);
  bad = Dance();
  bad.name = "Dance";
  EXPECT_EQ(store_->CreateChallenge(bad).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(*store_->GetChallenge("dance"), Dance());
  EXPECT_EQ(All().size(), 1u);
}

TEST_F(ChallengeStoreTest, ChallengesLeaveVideosCountsAndIndexesAlone) {
  Video v{.id = "v1",
          .creator = "c1",
          .hashtags = {"dance"},
          .duration_ms = 1000,
          .upload_ms = 10,
          .moderation = Moderation::kApproved};
  ASSERT_TRUE(store_->CreateVideo(v).ok());
  ASSERT_TRUE(store_->CreateChallenge(Dance()).ok());
  EXPECT_EQ(store_->GetHashtag("dance")->videos, 1u);
  EXPECT_EQ(store_->VideosByHashtag("dance")->size(), 1u);
  EXPECT_EQ(store_->num_videos(), 1u);
}

TEST(ChallengeCodecTest, RoundTripsAndRefusesBadBytes) {
  const std::string bytes = codec::Encode(Dance());
  Challenge back;
  ASSERT_TRUE(codec::Decode(bytes, "dance", &back));
  EXPECT_EQ(back, Dance());
  EXPECT_FALSE(codec::Decode(bytes, "cats", &back));         // another key's record
  EXPECT_FALSE(codec::Decode(bytes + "x", "dance", &back));  // trailing bytes
  for (size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_FALSE(codec::Decode(bytes.substr(0, n), "dance", &back)) << n;  // short
  }
  std::string v2 = bytes;
  v2[0] = 2;
  EXPECT_FALSE(codec::Decode(v2, "dance", &back));
}

TEST(ChallengeJsonTest, ValidatesEveryField) {
  const json ok = {{"name", "dance"}, {"title", "Dance off"}, {"start_ms", 1000}, {"end_ms", 5000}};
  auto c = ChallengeFromJson(ok, 77);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->created_ms, 77);
  EXPECT_EQ(c->sponsor, "");
  const json out = ToJson(*c);
  EXPECT_EQ(out["name"], "dance");
  EXPECT_EQ(out["end_ms"], 5000);
  EXPECT_EQ(out["created_ms"], 77);
  // created_ms is the server's: a client may not set it.
  EXPECT_FALSE(ChallengeFromJson(out, 77).ok());
  auto refused = [&](json j, std::string_view field) {
    auto r = ChallengeFromJson(j, 77);
    ASSERT_FALSE(r.ok()) << j.dump();
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(std::string(r.status().message()).find(field), std::string::npos) << r.status();
  };
  json j = ok;
  j["name"] = "#Dance";
  refused(j, "want 'dance'");
  j = ok;
  j["title"] = std::string(101, 'x');
  refused(j, "title");
  j = ok;
  j["description"] = std::string(2201, 'x');
  refused(j, "description");
  j = ok;
  j["end_ms"] = 1000;
  refused(j, "end_ms");
  j = ok;
  j.erase("title");
  refused(j, "title");
  j = ok;
  j["color"] = "red";
  refused(j, "unknown field");
  j = ok;
  j["sponsor"] = "has space";
  refused(j, "sponsor");
  j = ok;
  j["start_ms"] = "soon";
  refused(j, "start_ms");

  Challenge patched = *c;
  EXPECT_FALSE(ApplyChallengePatch(json{{"end_ms", 10}}, &patched).ok());
  EXPECT_FALSE(ApplyChallengePatch(json{{"name", "cats"}}, &patched).ok());
  EXPECT_EQ(patched, *c);  // unchanged by refusals
  ASSERT_TRUE(ApplyChallengePatch(json{{"title", "New"}, {"sponsor", "adv2"}}, &patched).ok());
  EXPECT_EQ(patched.title, "New");
  EXPECT_EQ(patched.sponsor, "adv2");
}

}  // namespace
}  // namespace foryou::catalog
