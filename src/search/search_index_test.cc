// SearchIndex over a real CatalogStore: prefix matching of the last word, popularity ranking
// among equal text matches, moderation (pending / removed never found), re-indexing on change,
// creators / sounds / hashtags with their counts, rebuild on reopen, cursors and bad arguments.
#include "search/search_index.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace foryou::search {
namespace {

using catalog::Moderation;

class FakePopularity : public Popularity {
 public:
  void VideoEngagement(absl::Span<const std::string> ids, double* out) const override {
    for (size_t i = 0; i < ids.size(); ++i) {
      auto it = engagement.find(ids[i]);
      out[i] = it == engagement.end() ? 0.0 : it->second;
    }
  }
  std::map<std::string, double> engagement;
};

class SearchIndexTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = absl::StrCat(::testing::TempDir(), "/search_index_", getpid(), "_",
                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    auto s = catalog::CatalogStore::Open(dir_ + "/catalog");
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = std::move(*s);
  }
  void TearDown() override {
    if (store_) store_->SetListener(nullptr);
    index_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void OpenIndex() {
    if (store_) store_->SetListener(nullptr);
    index_.reset();
    auto i = SearchIndex::Open({.dir = dir_ + "/search"}, store_.get(), &popularity_);
    ASSERT_TRUE(i.ok()) << i.status();
    index_ = std::move(*i);
    store_->SetListener([this](const catalog::CatalogChange& c) {
      absl::Status st = index_->Apply(c);
      EXPECT_TRUE(st.ok()) << st;
    });
  }
  void AddVideo(const std::string& id, const std::string& caption,
                std::vector<std::string> tags = {}, const std::string& creator = "ann",
                Moderation m = Moderation::kApproved, const std::string& sound = "") {
    catalog::Video v{.id = id, .creator = creator, .caption = caption, .hashtags = tags,
                     .sound = sound, .duration_ms = 1000, .upload_ms = 1, .moderation = m};
    ASSERT_TRUE(store_->PutVideo(v).ok());
  }
  void SetModeration(const std::string& id, Moderation m) {
    ASSERT_TRUE(store_->SetModeration(id, m).ok());
  }
  std::vector<std::string> Ids(std::string_view q, SearchType type = SearchType::kVideos) {
    auto page = index_->Search(q, type, 0, 100);
    EXPECT_TRUE(page.ok()) << page.status();
    std::vector<std::string> ids;
    if (page.ok()) {
      for (const SearchResult& r : page->results) ids.push_back(r.id);
    }
    return ids;
  }
  std::vector<std::string> Sorted(std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    return v;
  }

  std::string dir_;
  std::unique_ptr<catalog::CatalogStore> store_;
  FakePopularity popularity_;
  std::unique_ptr<SearchIndex> index_;
};

TEST_F(SearchIndexTest, TheLastWordIsAPrefixUnlessFollowedBySpace) {
  OpenIndex();
  AddVideo("v1", "funny cats compilation");
  AddVideo("v2", "funky dance battle");
  AddVideo("v3", "cooking pasta");
  EXPECT_EQ(Sorted(Ids("fun")), (std::vector<std::string>{"v1", "v2"}));
  EXPECT_EQ(Ids("funn"), std::vector<std::string>{"v1"});
  EXPECT_EQ(Ids("cats comp"), std::vector<std::string>{"v1"});
  EXPECT_EQ(Ids("FUNKY D"), std::vector<std::string>{"v2"});  // case folded
  // Earlier words are whole words (and all must match).
  EXPECT_TRUE(Ids("fun dance").empty());
  EXPECT_TRUE(Ids("fun ").empty());  // a finished word matches only itself
  EXPECT_TRUE(Ids("pizza").empty());
  // Stemming: "battles" finds "battle".
  EXPECT_EQ(Ids("battles dance"), std::vector<std::string>{"v2"});
}

TEST_F(SearchIndexTest, HashtagsCreatorAndSoundAreSearchableOnAVideo) {
  OpenIndex();
  ASSERT_TRUE(store_->PutCreator({.id = "bob", .name = "Bobby Tables"}).ok());
  ASSERT_TRUE(store_->PutSound({.id = "s1", .title = "Moonlight Sonata"}).ok());
  AddVideo("v1", "a quiet evening", {"piano"}, "bob", Moderation::kApproved, "s1");
  EXPECT_EQ(Ids("#pia"), std::vector<std::string>{"v1"});
  EXPECT_EQ(Ids("bobby"), std::vector<std::string>{"v1"});
  EXPECT_EQ(Ids("moonl"), std::vector<std::string>{"v1"});
}

TEST_F(SearchIndexTest, PopularityOrdersEqualMatchesAndIsRefreshedPeriodically) {
  popularity_.engagement = {{"a", 0}, {"b", 5000}};
  AddVideo("a", "skateboard trick");
  AddVideo("b", "skateboard trick");
  OpenIndex();  // built with b more popular
  EXPECT_EQ(Ids("skate"), (std::vector<std::string>{"b", "a"}));
  popularity_.engagement = {{"a", 100000}, {"b", 3}};
  EXPECT_EQ(Ids("skate"), (std::vector<std::string>{"b", "a"}));  // not per request
  ASSERT_TRUE(index_->RefreshPopularity().ok());
  EXPECT_EQ(Ids("skate"), (std::vector<std::string>{"a", "b"}));
}

TEST_F(SearchIndexTest, PendingLimitedAndRemovedVideosAreNeverFound) {
  OpenIndex();
  AddVideo("p", "sunset beach", {"travel"}, "ann", Moderation::kPending);
  AddVideo("ok", "sunset mountain", {"travel"});
  EXPECT_EQ(Ids("sunset"), std::vector<std::string>{"ok"});
  SetModeration("ok", Moderation::kRemoved);
  EXPECT_TRUE(Ids("sunset").empty());
  EXPECT_TRUE(Ids("trav", SearchType::kHashtags).empty());  // no visible video carries it
  EXPECT_TRUE(Ids("ann", SearchType::kCreators).empty());
  SetModeration("ok", Moderation::kLimited);
  EXPECT_TRUE(Ids("sunset").empty());
  SetModeration("p", Moderation::kApproved);
  EXPECT_EQ(Ids("sunset"), std::vector<std::string>{"p"});
  EXPECT_EQ(Ids("trav", SearchType::kHashtags), std::vector<std::string>{"travel"});
}

TEST_F(SearchIndexTest, AChangedVideoIsReindexed) {
  OpenIndex();
  AddVideo("v", "old words", {"alpha"});
  EXPECT_EQ(Ids("old"), std::vector<std::string>{"v"});
  AddVideo("v", "new text", {"beta"});
  EXPECT_TRUE(Ids("old").empty());
  EXPECT_TRUE(Ids("alp").empty());
  EXPECT_EQ(Ids("new te"), std::vector<std::string>{"v"});
  EXPECT_TRUE(Ids("alpha", SearchType::kHashtags).empty());
  EXPECT_EQ(Ids("bet", SearchType::kHashtags), std::vector<std::string>{"beta"});
  // A renamed creator is found by the new name, on the creator and on the video.
  ASSERT_TRUE(store_->PutCreator({.id = "ann", .name = "Annabel Lee"}).ok());
  EXPECT_EQ(Ids("annab"), std::vector<std::string>{"v"});
  EXPECT_EQ(Ids("annab", SearchType::kCreators), std::vector<std::string>{"ann"});
}

TEST_F(SearchIndexTest, CreatorsSoundsAndHashtagsCarryTheirCounts) {
  OpenIndex();
  ASSERT_TRUE(store_->PutSound({.id = "s1", .title = "Summer Vibes"}).ok());
  AddVideo("v1", "one", {"summer", "fun"}, "cara", Moderation::kApproved, "s1");
  AddVideo("v2", "two", {"summer"}, "cara", Moderation::kApproved, "s1");
  AddVideo("v3", "three", {"summertime"}, "dan");
  ASSERT_TRUE(store_->PutUser({.id = "u1", .following = {"dan"}}).ok());
  ASSERT_TRUE(store_->PutUser({.id = "u2", .following = {"dan", "cara"}}).ok());
  auto tags = index_->Search("summ", SearchType::kHashtags, 0, 10);
  ASSERT_TRUE(tags.ok());
  ASSERT_EQ(tags->results.size(), 2u);
  EXPECT_EQ(tags->results[0].id, "summer");  // two videos beat one
  EXPECT_EQ(tags->results[0].count, 2u);
  EXPECT_EQ(tags->results[1].id, "summertime");
  auto sounds = index_->Search("vibe", SearchType::kSounds, 0, 10);
  ASSERT_TRUE(sounds.ok());
  ASSERT_EQ(sounds->results.size(), 1u);
  EXPECT_EQ(sounds->results[0].id, "s1");
  EXPECT_EQ(sounds->results[0].name, "Summer Vibes");
  EXPECT_EQ(sounds->results[0].count, 2u);
  auto dan = index_->Search("dan", SearchType::kCreators, 0, 10);
  ASSERT_TRUE(dan.ok());
  ASSERT_EQ(dan->results.size(), 1u);
  EXPECT_EQ(dan->results[0].count, 2u);  // followers
  ASSERT_TRUE(store_->DeleteUser("u1").ok());
  dan = index_->Search("dan", SearchType::kCreators, 0, 10);
  ASSERT_TRUE(dan.ok());
  ASSERT_EQ(dan->results.size(), 1u);
  EXPECT_EQ(dan->results[0].count, 1u);
}

TEST_F(SearchIndexTest, AReopenedIndexIsRebuiltFromTheCatalog) {
  OpenIndex();
  AddVideo("v1", "river rafting");
  AddVideo("v2", "river fishing", {}, "ann", Moderation::kPending);
  // Writes while no index listens (a crash between a catalog write and the index) are picked
  // up by the rebuild.
  store_->SetListener(nullptr);
  AddVideo("v3", "river cruise");
  SetModeration("v1", Moderation::kRemoved);
  OpenIndex();
  EXPECT_EQ(Ids("riv"), std::vector<std::string>{"v3"});
  EXPECT_EQ(index_->documents(), 2u);  // v3 and its creator
}

TEST_F(SearchIndexTest, PagesAndCursors) {
  OpenIndex();
  for (int i = 0; i < 25; ++i) AddVideo(absl::StrCat("v", i), "dog video");
  auto first = index_->Search("dog", SearchType::kVideos, 0, 20);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->results.size(), 20u);
  EXPECT_TRUE(first->more);
  auto offset = DecodeCursor(EncodeCursor(20), 1000);
  ASSERT_TRUE(offset.ok());
  auto second = index_->Search("dog", SearchType::kVideos, *offset, 20);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->results.size(), 5u);
  EXPECT_FALSE(second->more);
  for (const auto& r : second->results) {
    for (const auto& f : first->results) EXPECT_NE(r.id, f.id);
  }
  EXPECT_FALSE(DecodeCursor("garbage!", 1000).ok());
  EXPECT_FALSE(DecodeCursor(EncodeCursor(2000), 1000).ok());
  EXPECT_FALSE(DecodeCursor("", 1000).ok());
  EXPECT_FALSE(index_->Search("dog", SearchType::kVideos, 0, 0).ok());
  EXPECT_FALSE(index_->Search("dog", SearchType::kVideos, 0, 101).ok());
  EXPECT_FALSE(index_->Search("dog", SearchType::kVideos, 5000, 10).ok());
  // Punctuation only: no words, no results (not an error).
  auto none = index_->Search("#@!", SearchType::kVideos, 0, 10);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->results.empty());
  SearchType t;
  EXPECT_TRUE(ParseSearchType("sounds", &t));
  EXPECT_EQ(t, SearchType::kSounds);
  EXPECT_FALSE(ParseSearchType("songs", &t));
}

TEST_F(SearchIndexTest, SearchesRunWhileWritesCommit) {
  OpenIndex();
  std::atomic<bool> done{false};
  std::atomic<int> failures{0}, searches{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 2; ++t) {
    readers.emplace_back([&] {
      while (!done.load()) {
        auto page = index_->Search("lake vi", SearchType::kVideos, 0, 20);
        if (!page.ok()) failures.fetch_add(1);
        searches.fetch_add(1);
      }
    });
  }
  for (int i = 0; i < 150; ++i) AddVideo(absl::StrCat("v", i), absl::StrCat("lake view ", i));
  done.store(true);
  for (auto& t : readers) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_GT(searches.load(), 0);
  auto all = index_->Search("lake vi", SearchType::kVideos, 0, 100);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->results.size(), 100u);
  EXPECT_TRUE(all->more);
}

}  // namespace
}  // namespace foryou::search
