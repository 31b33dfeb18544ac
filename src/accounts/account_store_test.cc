#include "accounts/account_store.h"

#include <unistd.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace foryou::accounts {
namespace {

std::string FreshDir() {
  const std::string dir = absl::StrCat(
      ::testing::TempDir(), "/account_store_", ::getpid(), "_",
      ::testing::UnitTest::GetInstance()->current_test_info()->name());
  std::filesystem::remove_all(dir);
  return dir;
}

Account Alice() {
  return {.handle = "alice", .password_hash = "$argon2id$x", .roles = 1, .created_ms = 5};
}

TEST(AccountStoreTest, HandlesAreValidated) {
  for (const char* ok : {"abc", "alice_01", "a.b.c", "z23456789012345678901234567890ab"}) {
    EXPECT_TRUE(ValidateHandle(ok).ok()) << ok;
  }
  for (const char* bad : {"", "ab", "Alice", "1abc", "_abc", "al ice", "al-ice", "alicé",
                          "z234567890123456789012345678901ab"}) {
    const absl::Status st = ValidateHandle(bad);
    EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(st.message().find("handle"), std::string::npos);
  }
}

TEST(AccountStoreTest, AccountsSurviveReopen) {
  const std::string dir = FreshDir();
  {
    auto store = AccountStore::Open(dir);
    ASSERT_TRUE(store.ok()) << store.status();
    ASSERT_TRUE((*store)->Create(Alice()).ok());
    EXPECT_EQ((*store)->Create(Alice()).code(), absl::StatusCode::kAlreadyExists);
    Account bad = Alice();
    bad.handle = "No";
    EXPECT_EQ((*store)->Create(bad).code(), absl::StatusCode::kInvalidArgument);
    auto updated = (*store)->Update("alice", [](Account* a) {
      a->roles |= static_cast<RoleSet>(AccountRole::kAdmin);
      ++a->generation;
      return absl::OkStatus();
    });
    ASSERT_TRUE(updated.ok()) << updated.status();
    ASSERT_TRUE((*store)->Revoke("session-1", 1000).ok());
    ASSERT_TRUE((*store)->Revoke("session-2", 3000).ok());
    for (int i = 0; i < 3; ++i) {
      ASSERT_TRUE((*store)->AppendAudit({.t_ms = i, .who = "key:admin", .route = "/r"}).ok());
    }
  }
  auto store = AccountStore::Open(dir);
  ASSERT_TRUE(store.ok()) << store.status();
  auto a = (*store)->Get("alice");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->password_hash, "$argon2id$x");
  EXPECT_EQ(a->generation, 1u);
  EXPECT_EQ(RoleNames(a->roles), (std::vector<std::string>{"viewer", "admin"}));
  EXPECT_EQ(a->created_ms, 5);
  EXPECT_EQ((*store)->Get("bob").status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(*(*store)->IsRevoked("session-1"));
  EXPECT_FALSE(*(*store)->IsRevoked("session-3"));
  EXPECT_EQ(*(*store)->ForgetExpiredRevocations(2000), 1u);
  EXPECT_FALSE(*(*store)->IsRevoked("session-1"));
  EXPECT_TRUE(*(*store)->IsRevoked("session-2"));
  // The audit sequence continues after a reopen.
  auto seq = (*store)->AppendAudit({.t_ms = 9, .who = "account:alice", .route = "/r"});
  ASSERT_TRUE(seq.ok());
  EXPECT_EQ(*seq, 4u);
  ASSERT_TRUE((*store)->Delete("alice").ok());
  EXPECT_EQ((*store)->Get("alice").status().code(), absl::StatusCode::kNotFound);
}

TEST(AccountStoreTest, AuditPagesNewestFirst) {
  auto store = AccountStore::Open(FreshDir());
  ASSERT_TRUE(store.ok());
  auto empty = (*store)->Audit(0, 10);
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
  ASSERT_TRUE((*store)->Create(Alice()).ok());  // records of another kind beside the log
  for (int i = 1; i <= 5; ++i) {
    ASSERT_TRUE((*store)->AppendAudit({.t_ms = i * 10, .target = absl::StrCat("t", i)}).ok());
  }
  auto first = (*store)->Audit(0, 2);
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->size(), 2u);
  EXPECT_EQ((*first)[0].seq, 5u);
  EXPECT_EQ((*first)[0].target, "t5");
  EXPECT_EQ((*first)[1].seq, 4u);
  auto rest = (*store)->Audit((*first)[1].seq, 10);
  ASSERT_TRUE(rest.ok());
  ASSERT_EQ(rest->size(), 3u);
  EXPECT_EQ((*rest)[0].seq, 3u);
  EXPECT_EQ((*rest)[2].seq, 1u);
  EXPECT_EQ((*rest)[2].t_ms, 10);
  EXPECT_TRUE((*store)->Audit(1, 10)->empty());
}

}  // namespace
}  // namespace foryou::accounts
