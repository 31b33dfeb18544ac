// The catalog changelog without Kafka: a writer that appends to an in-memory topic, and stores
// that apply it. Writes replicate with their side effects, a write is applied once, a restart
// resumes exactly, a refused write is written nowhere, half a write is never applied, and a
// compacted topic still gives the same catalog.
#include "catalog/changelog.h"

#include <unistd.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace foryou::catalog {
namespace {

// A topic of one partition in memory; Append fails while `down`.
class MemoryTopic : public ChangelogWriter {
 public:
  explicit MemoryTopic(uint64_t origin) : origin_(origin) {}
  absl::Status Append(const std::vector<ChangelogRecord>& records) override {
    if (down) return absl::UnavailableError("topic down");
    for (ChangelogMessage& m : EncodeChangelogTransaction(origin_, ++seq_, records)) {
      m.offset = static_cast<int64_t>(messages->size());
      messages->push_back(std::move(m));
    }
    return absl::OkStatus();
  }
  std::shared_ptr<std::vector<ChangelogMessage>> messages =
      std::make_shared<std::vector<ChangelogMessage>>();
  bool down = false;

 private:
  uint64_t origin_;
  uint64_t seq_ = 0;
};

Video MakeVideo(const std::string& id, std::vector<std::string> tags = {"cats"}) {
  Video v;
  v.id = id;
  v.creator = "alice";
  v.sound = "s1";
  v.hashtags = std::move(tags);
  v.duration_ms = 1000;
  v.upload_ms = 1700000000000;
  return v;
}

class ChangelogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = absl::StrCat(::testing::TempDir(), "/changelog_", getpid(), "_",
                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(base_);
  }
  void TearDown() override { std::filesystem::remove_all(base_); }

  std::unique_ptr<CatalogStore> Open(const std::string& name) {
    auto s = CatalogStore::Open(base_ + "/" + name);
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? std::move(*s) : nullptr;
  }
  // Applies messages [applier's resume, end) of `topic` to `store` through a fresh applier.
  ChangelogApplierStats Follow(CatalogStore* store, const std::vector<ChangelogMessage>& topic,
                               uint64_t own_origin = 0) {
    auto applier = ChangelogApplier::Open(store, own_origin);
    EXPECT_TRUE(applier.ok()) << applier.status();
    for (const ChangelogMessage& m : topic) {
      if (m.offset < (*applier)->resume_offset()) continue;
      EXPECT_TRUE((*applier)->Add(m).ok());
    }
    return (*applier)->stats();
  }

  std::string base_;
};

TEST_F(ChangelogTest, MessagesRoundTripAndBadOnesAreRefused) {
  std::vector<ChangelogRecord> records = {{.key = "v/x", .value = "bytes"},
                                          {.key = "u/y", .deleted = true}};
  std::vector<ChangelogMessage> m = EncodeChangelogTransaction(7, 3, records);
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m[0].key, "v/x");
  EXPECT_EQ(m[2].key, "t/0000000000000007/0000000000000003");
  for (size_t i = 0; i < 2; ++i) {
    auto d = DecodeChangelogMessage(m[i].key, m[i].value);
    ASSERT_TRUE(d.ok()) << d.status();
    EXPECT_FALSE(d->commit);
    EXPECT_EQ(d->origin, 7u);
    EXPECT_EQ(d->seq, 3u);
    EXPECT_EQ(d->record, records[i]);
  }
  auto c = DecodeChangelogMessage(m[2].key, m[2].value);
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->commit);
  EXPECT_EQ(c->count, 2u);
  EXPECT_FALSE(DecodeChangelogMessage("t/other", m[2].value).ok());   // commit under another key
  EXPECT_FALSE(DecodeChangelogMessage("v/x", m[0].value.substr(0, 10)).ok());  // short
  EXPECT_FALSE(DecodeChangelogMessage("u/y", m[1].value + "x").ok());  // deletion with a value
  std::string bad_version = m[0].value;
  bad_version[0] = 9;
  EXPECT_FALSE(DecodeChangelogMessage("v/x", bad_version).ok());

  const ChangelogPosition p{.resume = 5, .next = 9};
  auto back = DecodeChangelogPosition(EncodeChangelogPosition(p));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, p);
  EXPECT_EQ(*DecodeChangelogPosition(""), ChangelogPosition{});
  EXPECT_TRUE(absl::IsDataLoss(DecodeChangelogPosition("xyz").status()));
}

TEST_F(ChangelogTest, WritesReplicateWithTheirSideEffectsOnceEach) {
  auto a = Open("a"), b = Open("b");
  MemoryTopic topic(1);
  a->SetChangelog(&topic);
  std::vector<CatalogChange> heard;
  b->SetListener([&](const CatalogChange& c) { heard.push_back(c); });

  ASSERT_TRUE(a->CreateVideo(MakeVideo("v1")).ok());
  ASSERT_TRUE(a->SetModeration("v1", Moderation::kRemoved).ok());
  ASSERT_TRUE(a->CreateUser({.id = "u1", .language = "en"}).ok());
  ASSERT_TRUE(a->DeleteUser("u1").ok());
  ASSERT_TRUE(a->CreateUser({.id = "u2"}).ok());
  ChangelogApplierStats st = Follow(b.get(), *topic.messages);
  EXPECT_EQ(st.transactions, 5u);
  EXPECT_EQ(st.skipped, 0u);

  auto v = b->GetVideo("v1");
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->moderation, Moderation::kRemoved);
  EXPECT_TRUE(b->GetCreator("alice").ok());  // side effects came as records
  EXPECT_TRUE(b->GetSound("s1").ok());
  EXPECT_EQ(b->GetHashtag("cats")->videos, 1u);  // derived: counted once, not per write
  EXPECT_EQ(b->VideosByCreator("alice")->size(), 1u);
  EXPECT_TRUE(absl::IsNotFound(b->GetUser("u1").status()));
  EXPECT_TRUE(b->GetUser("u2").ok());
  EXPECT_EQ(b->num_videos(), 1u);
  EXPECT_EQ(b->num_users(), 1u);
  ASSERT_EQ(heard.size(), 5u);
  EXPECT_EQ(heard[0].videos, std::vector<std::string>{"v1"});

  // The writer's own writes come back: applying them could undo its later ones (v1 was created,
  // then removed), so they only move its position; nothing changes, nobody is told.
  std::vector<CatalogChange> heard_a;
  a->SetListener([&](const CatalogChange& c) { heard_a.push_back(c); });
  st = Follow(a.get(), *topic.messages, /*own_origin=*/1);
  EXPECT_EQ(st.transactions, 0u);
  EXPECT_EQ(st.unchanged, 5u);
  EXPECT_TRUE(heard_a.empty());
  EXPECT_EQ(a->GetVideo("v1")->moderation, Moderation::kRemoved);
  EXPECT_EQ(a->num_users(), 1u);
  auto again = ChangelogApplier::Open(a.get(), 1);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)->resume_offset(), static_cast<int64_t>(topic.messages->size()));
}

TEST_F(ChangelogTest, ARestartResumesWithoutReapplyingOrMissing) {
  auto a = Open("a");
  MemoryTopic topic(1);
  a->SetChangelog(&topic);
  ASSERT_TRUE(a->CreateVideo(MakeVideo("v1")).ok());
  ASSERT_TRUE(a->PutVideo(MakeVideo("v1", {"dogs"})).ok());
  {
    auto b = Open("b");
    EXPECT_EQ(Follow(b.get(), *topic.messages).transactions, 2u);
  }
  // While b is closed: another write, and half of one whose commit has not arrived yet.
  ASSERT_TRUE(a->CreateVideo(MakeVideo("v2")).ok());
  MemoryTopic other(2);
  auto late_store = Open("late");
  late_store->SetChangelog(&other);
  ASSERT_TRUE(late_store->CreateUser({.id = "late"}).ok());
  ASSERT_EQ(other.messages->size(), 2u);  // the record, the commit
  std::vector<ChangelogMessage> first = *topic.messages;
  ChangelogMessage rec = (*other.messages)[0], commit = (*other.messages)[1];
  rec.offset = static_cast<int64_t>(first.size());
  first.push_back(rec);
  {
    auto b = Open("b");
    std::vector<CatalogChange> heard;
    b->SetListener([&](const CatalogChange& c) { heard.push_back(c); });
    ChangelogApplierStats st = Follow(b.get(), first);
    EXPECT_EQ(st.transactions, 1u);  // v2 only: v1's two writes are not applied again
    ASSERT_EQ(heard.size(), 1u);
    EXPECT_EQ(heard[0].videos, std::vector<std::string>{"v2"});
    EXPECT_EQ(b->GetVideo("v1")->hashtags, std::vector<std::string>{"dogs"});
    EXPECT_TRUE(absl::IsNotFound(b->GetUser("late").status()));  // no commit yet
  }
  // The commit arrives after the restart: the record before the saved position is read again.
  commit.offset = static_cast<int64_t>(first.size());
  first.push_back(commit);
  auto b = Open("b");
  ChangelogApplierStats st = Follow(b.get(), first);
  EXPECT_EQ(st.transactions, 1u);
  EXPECT_TRUE(b->GetUser("late").ok());
  EXPECT_EQ(b->num_videos(), 2u);
}

TEST_F(ChangelogTest, ARefusedWriteIsWrittenNowhereAndHalfAWriteIsNeverApplied) {
  auto a = Open("a"), b = Open("b");
  MemoryTopic topic(1);
  a->SetChangelog(&topic);
  topic.down = true;
  absl::Status s = a->CreateVideo(MakeVideo("v1"));
  EXPECT_TRUE(absl::IsUnavailable(s)) << s;
  EXPECT_TRUE(absl::IsNotFound(a->GetVideo("v1").status()));
  EXPECT_TRUE(absl::IsNotFound(a->GetCreator("alice").status()));
  EXPECT_TRUE(absl::IsUnavailable(a->CreateChallenge({.name = "c1", .title = "t", .start_ms = 1,
                                                      .end_ms = 2})));
  EXPECT_TRUE(absl::IsNotFound(a->GetChallenge("c1").status()));
  topic.down = false;

  // A write whose records reached the topic but whose commit did not (the writer's client was
  // refused), then the same writer's next write.
  ASSERT_TRUE(a->CreateVideo(MakeVideo("v2")).ok());
  std::vector<ChangelogMessage> t = *topic.messages;
  t.pop_back();  // v2's commit lost
  ASSERT_TRUE(a->CreateVideo(MakeVideo("v3", {"dogs"})).ok());
  std::vector<ChangelogMessage> rest(topic.messages->begin() + t.size() + 1,
                                     topic.messages->end());
  for (ChangelogMessage m : rest) {
    m.offset = static_cast<int64_t>(t.size());
    t.push_back(std::move(m));
  }
  Follow(b.get(), t);
  EXPECT_TRUE(absl::IsNotFound(b->GetVideo("v2").status()));
  EXPECT_TRUE(b->GetVideo("v3").ok());
  EXPECT_TRUE(absl::IsNotFound(b->GetHashtag("cats").status()));
}

TEST_F(ChangelogTest, ACompactedTopicGivesTheSameCatalog) {
  auto a = Open("a");
  MemoryTopic topic(1);
  a->SetChangelog(&topic);
  ASSERT_TRUE(a->CreateVideo(MakeVideo("orig")).ok());
  Video duet = MakeVideo("duet", {"dogs"});
  duet.duet_of = "orig";
  ASSERT_TRUE(a->CreateVideo(duet).ok());
  ASSERT_TRUE(a->SetModeration("orig", Moderation::kApproved).ok());  // orig now after duet
  ASSERT_TRUE(a->CreateUser({.id = "u1"}).ok());
  ASSERT_TRUE(a->DeleteUser("u1").ok());
  ASSERT_TRUE(a->CreateChallenge({.name = "c1", .title = "t", .start_ms = 1, .end_ms = 2}).ok());
  // Compaction: only the newest message of each key stays (commits have unique keys).
  std::map<std::string, int64_t> newest;
  for (const ChangelogMessage& m : *topic.messages) newest[m.key] = m.offset;
  std::vector<ChangelogMessage> compacted;
  for (const ChangelogMessage& m : *topic.messages) {
    if (newest[m.key] == m.offset) compacted.push_back(m);
  }
  ASSERT_LT(compacted.size(), topic.messages->size());
  auto c = Open("c");
  ChangelogApplierStats st = Follow(c.get(), compacted);
  EXPECT_EQ(st.skipped, 0u);
  EXPECT_EQ(c->GetVideo("orig")->moderation, Moderation::kApproved);
  EXPECT_EQ(c->VideosByOriginal("orig")->size(), 1u);
  EXPECT_EQ(c->GetHashtag("cats")->videos, 1u);
  EXPECT_EQ(c->GetHashtag("dogs")->videos, 1u);
  EXPECT_TRUE(absl::IsNotFound(c->GetUser("u1").status()));
  EXPECT_EQ(c->num_users(), 0u);
  EXPECT_TRUE(c->GetChallenge("c1").ok());
}

TEST_F(ChangelogTest, AMalformedMessageOrWriteIsSkippedAndCounted) {
  auto b = Open("b");
  std::vector<ChangelogMessage> t = EncodeChangelogTransaction(1, 1, {{.key = "x/what", .value = "?"}});
  std::vector<ChangelogMessage> good =
      EncodeChangelogTransaction(1, 2, {{.key = "u/ok", .value = ""}});
  t.push_back({.key = "junk", .value = "junk"});
  t.insert(t.end(), good.begin(), good.end());
  for (size_t i = 0; i < t.size(); ++i) t[i].offset = static_cast<int64_t>(i);
  ChangelogApplierStats st = Follow(b.get(), t);
  EXPECT_EQ(st.skipped, 3u);  // the unknown kind, the junk, the user that does not decode
  EXPECT_EQ(st.transactions, 0u);
  auto applier = ChangelogApplier::Open(b.get());
  ASSERT_TRUE(applier.ok());
  EXPECT_EQ((*applier)->resume_offset(), static_cast<int64_t>(t.size()));  // moved past them
}

}  // namespace
}  // namespace foryou::catalog
