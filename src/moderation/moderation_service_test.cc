#include "moderation/moderation_service.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace foryou::moderation {
namespace {

namespace fs = std::filesystem;

class ModerationServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static int n = 0;
    dir_ = fs::temp_directory_path() / absl::StrCat("foryou_moderation_test_", ::getpid(), "_", n++);
    fs::remove_all(dir_);
    Open();
  }
  void TearDown() override {
    Close();
    fs::remove_all(dir_);
  }
  void Open() {
    auto catalog = catalog::CatalogStore::Open((dir_ / "catalog").string());
    ASSERT_TRUE(catalog.ok()) << catalog.status();
    catalog_ = std::move(*catalog);
    auto store = ModerationStore::Open((dir_ / "moderation").string());
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    ModerationOptions o;
    o.rules.banned_terms = {"banned"};
    o.reports = {.min_reports = 3, .per_thousand_views = 10};
    service_ = std::make_unique<ModerationService>(store_.get(), catalog_.get(), o);
  }
  void Close() {
    service_.reset();
    store_.reset();
    catalog_.reset();
  }
  catalog::Video Add(const std::string& id, catalog::Moderation m = catalog::Moderation::kPending,
                     std::string caption = "a dance") {
    catalog::Video v;
    v.id = id;
    v.creator = "c1";
    v.caption = std::move(caption);
    v.hashtags = {"dance"};
    v.duration_ms = 10'000;
    v.upload_ms = 1000;
    v.moderation = m;
    EXPECT_TRUE(catalog_->CreateVideo(v).ok());
    return v;
  }
  catalog::Moderation Serving(const std::string& id) { return catalog_->GetVideo(id)->moderation; }
  State StateOf(const std::string& id) { return (*service_->Get(id))->state; }
  std::vector<std::string> Queued() {
    std::vector<std::string> out;
    auto page = service_->Queue("", 100);
    EXPECT_TRUE(page.ok()) << page.status();
    for (const auto& i : page->items) out.push_back(i.video);
    return out;
  }
  static MediaResult Good() {
    return {.duration_ms = 12'000, .width = 720, .height = 1280, .has_audio = true,
            .mean_luma = 90, .audio_peak_dbfs = -3};
  }

  fs::path dir_;
  std::unique_ptr<catalog::CatalogStore> catalog_;
  std::unique_ptr<ModerationStore> store_;
  std::unique_ptr<ModerationService> service_;
};

TEST_F(ModerationServiceTest, UploadPassesTheRulesToLimitedAndRecordsEachStep) {
  catalog::Video v = Add("v1");
  ASSERT_TRUE(service_->OnUploaded(v, 100).ok());
  ASSERT_TRUE(service_->OnProcessing("v1", 200).ok());
  auto d = service_->OnProcessed(v, Good(), {}, 300);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->state, State::kLimited);
  EXPECT_EQ(Serving("v1"), catalog::Moderation::kLimited);
  EXPECT_TRUE(Queued().empty());
  auto h = service_->History("v1");
  ASSERT_TRUE(h.ok());
  ASSERT_EQ(h->size(), 3u);
  EXPECT_EQ((*h)[0].from, std::nullopt);
  EXPECT_EQ((*h)[0].to, State::kUploaded);
  EXPECT_EQ((*h)[0].who, "c1");
  EXPECT_EQ((*h)[1].to, State::kProcessing);
  EXPECT_EQ((*h)[2].from, State::kProcessing);
  EXPECT_EQ((*h)[2].who, "rule:passed");
  EXPECT_EQ((*h)[2].t_ms, 300);
  // Twice into the machine, or a step out of order: refused, nothing changes.
  EXPECT_EQ(service_->OnUploaded(v, 400).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(service_->OnProcessing("v1", 400).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(service_->History("v1")->size(), 3u);
}

TEST_F(ModerationServiceTest, TrippedRulesQueueTheVideoWithReasonsUntilAModeratorDecides) {
  catalog::Video v = Add("v1", catalog::Moderation::kPending, "B.a.n-n e d");
  ASSERT_TRUE(service_->OnUploaded(v, 100).ok());
  ASSERT_TRUE(service_->OnProcessing("v1", 200).ok());
  auto d = service_->OnProcessed(v, Good(), {{"v0", 0, 0.97}}, 300);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->state, State::kPendingReview);
  EXPECT_EQ(Serving("v1"), catalog::Moderation::kPending);
  auto page = service_->Queue("", 10);
  ASSERT_EQ(page->items.size(), 1u);
  ASSERT_EQ(page->items[0].record.queue_reasons.size(), 2u);
  EXPECT_EQ(page->items[0].record.queue_reasons[0].code, "banned_term");
  EXPECT_EQ(page->items[0].record.queue_reasons[1].code, "duplicate");
  EXPECT_EQ(service_->History("v1")->back().who, "rule:banned_term");

  ASSERT_TRUE(service_->Decide("v1", State::kApproved, "mod1", {"ok", "a word in a song"}, 400).ok());
  EXPECT_EQ(Serving("v1"), catalog::Moderation::kApproved);
  EXPECT_TRUE(Queued().empty());
  EXPECT_EQ(service_->History("v1")->back().who, "mod1");
  EXPECT_EQ(service_->Decide("v1", State::kAppealed, "mod1", {"x", ""}, 500).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(ModerationServiceTest, TheCreatorAppealsOncePerDecision) {
  catalog::Video v = Add("v1");
  ASSERT_TRUE(service_->OnImported(v, 100).ok());
  EXPECT_EQ(Queued(), std::vector<std::string>{"v1"});
  EXPECT_EQ(service_->Appeal("v1", "c1", "not decided yet", 150).code(),
            absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(service_->Decide("v1", State::kRemoved, "mod1", {"spam", "spam"}, 200).ok());
  EXPECT_EQ(Serving("v1"), catalog::Moderation::kRemoved);
  EXPECT_EQ(service_->Appeal("v1", "c1", "", 300).code(), absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(service_->Appeal("v1", "c1", "it is my own song", 300).ok());
  EXPECT_EQ(StateOf("v1"), State::kAppealed);
  EXPECT_EQ(Serving("v1"), catalog::Moderation::kRemoved);  // the decision stands meanwhile
  EXPECT_EQ(Queued(), std::vector<std::string>{"v1"});
  EXPECT_EQ(service_->Appeal("v1", "c1", "again", 310).code(),
            absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(service_->Decide("v1", State::kLimited, "mod2", {"ok", "fine"}, 400).ok());
  EXPECT_EQ(Serving("v1"), catalog::Moderation::kLimited);
  auto h = *service_->History("v1");
  ASSERT_GE(h.size(), 2u);
  EXPECT_EQ(h[h.size() - 2].from, State::kAppealed);
  EXPECT_EQ(h[h.size() - 2].to, State::kPendingReview);
  EXPECT_EQ(h.back().to, State::kLimited);
  // A new decision may be appealed once more.
  EXPECT_TRUE(service_->Appeal("v1", "c1", "please approve", 500).ok());
  EXPECT_EQ(service_->Appeal("v1", "c1", "please", 600).code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(ModerationServiceTest, AModeratorReversesARemovalThroughAReReview) {
  catalog::Video v = Add("v1", catalog::Moderation::kApproved);
  ASSERT_TRUE(service_->Decide("v1", State::kRemoved, "mod1", {"x", ""}, 100).ok());
  ASSERT_TRUE(service_->Decide("v1", State::kApproved, "mod2", {"oops", ""}, 200).ok());
  EXPECT_EQ(Serving("v1"), catalog::Moderation::kApproved);
  auto h = *service_->History("v1");
  ASSERT_EQ(h.size(), 4u);  // adopted approved, removed, pending_review, approved
  EXPECT_EQ(h[0].who, "rule:catalog");
  EXPECT_EQ(h[2].from, State::kRemoved);
  EXPECT_EQ(h[2].to, State::kPendingReview);
  EXPECT_EQ(h[2].reasons[0].code, "re_review");
  EXPECT_EQ(h[3].who, "mod2");
  // Still uploading: no decision yet.
  catalog::Video u = Add("v2");
  ASSERT_TRUE(service_->OnUploaded(u, 300).ok());
  EXPECT_EQ(service_->Decide("v2", State::kApproved, "mod1", {"x", ""}, 400).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Serving("v2"), catalog::Moderation::kPending);
}

TEST_F(ModerationServiceTest, ReportsPastTheThresholdLimitAndQueueOnceEach) {
  Add("v1", catalog::Moderation::kApproved);
  EXPECT_EQ(service_->Report("v1", "u1", "rude", 10, 100).status().code(),
            absl::StatusCode::kInvalidArgument);
  auto r = service_->Report("v1", "u1", "spam", 200, 100);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->counted);
  r = service_->Report("v1", "u1", "hate", 200, 110);  // the same viewer again: not counted
  EXPECT_FALSE(r->counted);
  EXPECT_EQ(r->reports, 1);
  EXPECT_FALSE(service_->Report("v1", "u2", "spam", 200, 120)->tripped);
  EXPECT_EQ(Serving("v1"), catalog::Moderation::kApproved);
  // 3 reports at 400 views: 7.5 per 1,000 < 10, still below.
  EXPECT_FALSE(service_->Report("v1", "u3", "hate", 400, 130)->tripped);
  r = service_->Report("v1", "u4", "spam", 400, 140);  // 4 at 400: 10 per 1,000
  EXPECT_TRUE(r->tripped);
  EXPECT_EQ(Serving("v1"), catalog::Moderation::kLimited);
  auto page = service_->Queue("", 10);
  ASSERT_EQ(page->items.size(), 1u);
  EXPECT_EQ(page->items[0].record.reports.at("spam"), 3);
  EXPECT_EQ(page->items[0].record.reports.at("hate"), 1);
  EXPECT_EQ(page->items[0].record.queue_reasons[0].code, "reports");
  EXPECT_FALSE(service_->Report("v1", "u5", "spam", 400, 150)->tripped);  // already queued
  EXPECT_EQ(service_->History("v1")->back().who, "rule:reports");
  // The moderator keeps it approved: a re-review, and it leaves the queue.
  ASSERT_TRUE(service_->Decide("v1", State::kApproved, "mod1", {"ok", "satire"}, 200).ok());
  EXPECT_EQ(Serving("v1"), catalog::Moderation::kApproved);
  EXPECT_TRUE(Queued().empty());
}

TEST_F(ModerationServiceTest, QueuePagesOldestFirstAndStateSurvivesAReopen) {
  for (int i = 0; i < 5; ++i) {
    catalog::Video v = Add(absl::StrCat("v", i));
    ASSERT_TRUE(service_->OnImported(v, 1000 - i * 10).ok());
  }
  auto p1 = service_->Queue("", 2);
  ASSERT_TRUE(p1.ok());
  ASSERT_EQ(p1->items.size(), 2u);
  EXPECT_EQ(p1->items[0].video, "v4");
  EXPECT_EQ(p1->items[1].video, "v3");
  auto p2 = service_->Queue(p1->next_cursor, 10);
  ASSERT_EQ(p2->items.size(), 3u);
  EXPECT_EQ(p2->items[2].video, "v0");
  EXPECT_EQ(p2->next_cursor, "");
  EXPECT_EQ(service_->Queue("junk", 2).status().code(), absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(service_->Decide("v3", State::kApproved, "mod", {"ok", ""}, 2000).ok());
  Close();
  Open();
  EXPECT_EQ(Queued(), (std::vector<std::string>{"v4", "v2", "v1", "v0"}));
  EXPECT_EQ(StateOf("v3"), State::kApproved);
  EXPECT_EQ(service_->History("v3")->size(), 4u);
}

TEST_F(ModerationServiceTest, ReconcileCatchesTheCatalogUp) {
  catalog::Video v = Add("v1");
  ASSERT_TRUE(service_->OnImported(v, 100).ok());
  ASSERT_TRUE(service_->Decide("v1", State::kApproved, "mod", {"ok", ""}, 200).ok());
  // The catalog write lost (a crash between the two writes).
  ASSERT_TRUE(catalog_->SetModeration("v1", catalog::Moderation::kPending).ok());
  auto changed = service_->Reconcile();
  ASSERT_TRUE(changed.ok());
  EXPECT_EQ(*changed, 1);
  EXPECT_EQ(Serving("v1"), catalog::Moderation::kApproved);
  EXPECT_EQ(*service_->Reconcile(), 0);
}

TEST(ModerationOptions, FromJson) {
  auto o = ModerationOptionsFromJson(nlohmann::json::parse(
      R"({"banned_terms":["x"],"leet":false,"min_mean_luma":4,
          "reports":{"min_reports":5,"per_thousand_views":2.5}})"));
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->rules.banned_terms, std::vector<std::string>{"x"});
  EXPECT_FALSE(o->rules.leet);
  EXPECT_DOUBLE_EQ(o->rules.min_mean_luma, 4);
  EXPECT_EQ(o->reports.min_reports, 5);
  EXPECT_FALSE(ModerationOptionsFromJson(nlohmann::json::parse(R"({"bogus":1})")).ok());
  EXPECT_FALSE(ModerationOptionsFromJson(nlohmann::json::parse(R"({"leet":1})")).ok());
  EXPECT_FALSE(
      ModerationOptionsFromJson(nlohmann::json::parse(R"({"reports":{"min_reports":0}})")).ok());
}

TEST(ModerationOptions, TheShippedConfigParses) {
  std::ifstream in(std::string(FORYOU_SOURCE_DIR) + "/config/moderation.json");
  ASSERT_TRUE(in.good());
  auto o = ModerationOptionsFromJson(nlohmann::json::parse(in));
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_FALSE(o->rules.banned_terms.empty());
  const Rules rules(o->rules);
  catalog::Video v;
  v.caption = "F.R.E.E f0ll0wers here";
  EXPECT_TRUE(rules.BannedTerm(v).has_value());
}

}  // namespace
}  // namespace foryou::moderation
