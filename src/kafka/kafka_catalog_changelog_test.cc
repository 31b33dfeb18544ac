// KafkaCatalogChangelog on librdkafka's mock cluster: two catalog stores (two directories)
// share one catalog through the changelog topic; a restart resumes from the store's saved
// position, a fresh store materialises the topic, a write Kafka did not acknowledge is refused
// and applied nowhere.
#include "kafka/kafka_catalog_changelog.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "kafka/mock_cluster.h"

namespace foryou::kafka {
namespace {

using catalog::CatalogStore;
using catalog::Moderation;

catalog::Video MakeVideo(const std::string& id) {
  catalog::Video v;
  v.id = id;
  v.creator = "alice";
  v.hashtags = {"cats"};
  v.duration_ms = 1000;
  v.upload_ms = 1700000000000;
  return v;
}

// Polls `done` every 2 ms for up to `limit`; returns how long it took, or nullopt.
std::optional<std::chrono::milliseconds> WaitFor(const std::function<bool()>& done,
                                                 std::chrono::milliseconds limit) {
  const auto start = std::chrono::steady_clock::now();
  while (true) {
    const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - start);
    if (done()) return waited;
    if (waited > limit) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

// One store and its changelog, attached and following.
struct Replica {
  std::unique_ptr<CatalogStore> store;
  std::unique_ptr<KafkaCatalogChangelog> changelog;
  ~Replica() {
    changelog.reset();  // stops following before the store goes
    store.reset();
  }
};

class KafkaCatalogChangelogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = absl::StrCat(::testing::TempDir(), "/kafka_catalog_", getpid(), "_",
                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(base_);
    auto c = MockKafkaCluster::Start(1);
    ASSERT_TRUE(c.ok()) << c.status();
    cluster_ = std::move(*c);
  }
  void TearDown() override { std::filesystem::remove_all(base_); }

  std::unique_ptr<Replica> Start(const std::string& name, int64_t delivery_timeout_ms = 10000) {
    auto r = std::make_unique<Replica>();
    auto store = CatalogStore::Open(base_ + "/" + name);
    EXPECT_TRUE(store.ok()) << store.status();
    if (!store.ok()) return nullptr;
    r->store = std::move(*store);
    CatalogChangelogOptions o;
    o.bootstrap = cluster_->bootstrap();
    o.topic = "catalog";
    o.replication_factor = 1;
    o.delivery_timeout_ms = delivery_timeout_ms;
    o.reader_config = {{"fetch.wait.max.ms", "10"}};
    auto c = KafkaCatalogChangelog::Open(o);
    EXPECT_TRUE(c.ok()) << c.status();
    if (!c.ok()) return nullptr;
    r->changelog = std::move(*c);
    absl::Status s = r->changelog->Attach(r->store.get());
    EXPECT_TRUE(s.ok()) << s;
    if (!s.ok()) return nullptr;
    r->changelog->Follow();
    return r;
  }

  std::string base_;
  std::unique_ptr<MockKafkaCluster> cluster_;
};

TEST_F(KafkaCatalogChangelogTest, AWriteThroughOneStoreIsServedByTheOtherWithinASecond) {
  std::unique_ptr<Replica> a = Start("a"), b = Start("b");
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  std::vector<std::string> heard;
  b->store->SetListener([&](const catalog::CatalogChange& c) {
    heard.insert(heard.end(), c.videos.begin(), c.videos.end());
  });
  ASSERT_TRUE(a->store->CreateVideo(MakeVideo("v1")).ok());
  EXPECT_TRUE(WaitFor([&] { return b->store->GetVideo("v1").ok(); }, std::chrono::seconds(1)));
  ASSERT_TRUE(a->store->SetModeration("v1", Moderation::kRemoved).ok());
  EXPECT_TRUE(WaitFor(
      [&] {
        auto v = b->store->GetVideo("v1");
        return v.ok() && v->moderation == Moderation::kRemoved;
      },
      std::chrono::seconds(1)));
  ASSERT_TRUE(b->store->CreateUser({.id = "u1"}).ok());  // the other way round
  EXPECT_TRUE(WaitFor([&] { return a->store->GetUser("u1").ok(); }, std::chrono::seconds(1)));
  ASSERT_TRUE(a->store->DeleteUser("u1").ok());
  EXPECT_TRUE(WaitFor([&] { return absl::IsNotFound(b->store->GetUser("u1").status()); },
                      std::chrono::seconds(1)));
  b->store->SetListener(nullptr);
  EXPECT_EQ(heard, (std::vector<std::string>{"v1", "v1"}));  // created, then removed

  // Every write came back to its writer too, where it changed nothing.
  EXPECT_TRUE(WaitFor([&] { return a->changelog->health().applier.unchanged == 3; },
                      std::chrono::seconds(1)));
  EXPECT_EQ(a->changelog->health().applier.transactions, 1u);  // b's user
  EXPECT_EQ(a->store->num_users(), 0u);
  EXPECT_EQ(b->store->num_users(), 0u);

  // b restarts while a writes: it resumes from its saved position, applying v2 only, before
  // Attach returns (no write is applied twice, none is missed).
  b.reset();
  ASSERT_TRUE(a->store->CreateVideo(MakeVideo("v2")).ok());
  b = Start("b");
  ASSERT_NE(b, nullptr);
  EXPECT_TRUE(b->store->GetVideo("v2").ok());
  EXPECT_EQ(b->changelog->health().applier.transactions, 1u);
  EXPECT_EQ(b->changelog->health().applier.unchanged, 0u);
  EXPECT_EQ(b->store->num_videos(), 2u);

  // A fresh store materialises the whole topic before Attach returns.
  std::unique_ptr<Replica> c = Start("c");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->store->num_videos(), 2u);
  EXPECT_EQ(c->store->GetVideo("v1")->moderation, Moderation::kRemoved);
  EXPECT_TRUE(absl::IsNotFound(c->store->GetUser("u1").status()));
  EXPECT_EQ(c->store->GetHashtag("cats")->videos, 2u);
}

TEST_F(KafkaCatalogChangelogTest, AWriteKafkaDidNotAcknowledgeIsRefusedAndAppliedNowhere) {
  std::unique_ptr<Replica> a = Start("a", /*delivery_timeout_ms=*/1000), b = Start("b");
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  ASSERT_TRUE(cluster_->SetBrokerDown(1).ok());
  absl::Status s = a->store->CreateVideo(MakeVideo("v1"));
  EXPECT_TRUE(absl::IsUnavailable(s)) << s;
  EXPECT_NE(s.message().find("retry"), std::string::npos) << s;
  EXPECT_TRUE(absl::IsNotFound(a->store->GetVideo("v1").status()));
  ASSERT_TRUE(cluster_->SetBrokerUp(1).ok());

  // Once the broker is back, writes go through again; until the producer has reconnected one
  // may still be refused (retryable, applied nowhere), so the write is retried for a while.
  absl::Status v2 = absl::UnavailableError("not tried");
  EXPECT_TRUE(WaitFor(
      [&] {
        v2 = a->store->CreateVideo(MakeVideo("v2"));
        EXPECT_TRUE(v2.ok() || absl::IsUnavailable(v2)) << v2;
        return v2.ok();
      },
      std::chrono::seconds(20)))
      << v2;
  EXPECT_TRUE(WaitFor([&] { return b->store->GetVideo("v2").ok(); }, std::chrono::seconds(2)));
  EXPECT_TRUE(absl::IsNotFound(b->store->GetVideo("v1").status()));
  EXPECT_TRUE(absl::IsNotFound(a->store->GetVideo("v1").status()));
  EXPECT_EQ(b->store->num_videos(), 1u);
}

}  // namespace
}  // namespace foryou::kafka
