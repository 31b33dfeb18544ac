#include "accounts/account_service.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace foryou::accounts {
namespace {

constexpr int64_t kNow = 1'000'000;

class AccountServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = absl::StrCat(::testing::TempDir(), "/account_service_", ::getpid(), "_",
                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    Reopen();
  }
  void Reopen() {
    service_.reset();
    auto s = AccountService::Open(dir_, {.password = PasswordLimits::Min(),
                                         .session_ttl_ms = 60'000});
    ASSERT_TRUE(s.ok()) << s.status();
    service_ = std::move(*s);
  }
  Signed SignUp(const std::string& handle) {
    auto a = service_->PrepareSignUp(handle, "pass phrase", kNow);
    EXPECT_TRUE(a.ok()) << a.status();
    EXPECT_TRUE(service_->AddAccount(*a).ok());
    return service_->Issue(*a, kNow);
  }

  std::string dir_;
  std::unique_ptr<AccountService> service_;
};

TEST_F(AccountServiceTest, AHandleDeletedAndSignedUpAgainRefusesTheOldTokens) {
  const Signed old = SignUp("alice");
  EXPECT_TRUE(service_->CheckPassword("alice", "pass phrase").ok());
  EXPECT_EQ(service_->CheckPassword("alice", "pass phrasE").code(),
            absl::StatusCode::kUnauthenticated);
  ASSERT_TRUE(service_->Delete("alice").ok());
  EXPECT_EQ(service_->Authenticate(old.token, kNow).status().code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(service_->CheckPassword("alice", "pass phrase").code(), absl::StatusCode::kNotFound);
  const Signed fresh = SignUp("alice");
  EXPECT_TRUE(service_->Authenticate(fresh.token, kNow).ok());
  // Same handle, new account: a token of the deleted one is not the new one's.
  EXPECT_EQ(service_->Authenticate(old.token, kNow).status().code(),
            absl::StatusCode::kUnauthenticated);
}

TEST_F(AccountServiceTest, SignUpSignInAuthenticate) {
  const Signed up = SignUp("alice");
  EXPECT_EQ(up.expires_ms, kNow + 60'000);
  auto who = service_->Authenticate(up.token, kNow + 1);
  ASSERT_TRUE(who.ok()) << who.status();
  EXPECT_EQ(who->account.handle, "alice");
  EXPECT_EQ(RoleNames(who->account.roles), std::vector<std::string>{"viewer"});
  EXPECT_EQ(service_->PrepareSignUp("alice", "pass phrase", kNow).status().code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(service_->PrepareSignUp("Alice!", "pass phrase", kNow).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(service_->PrepareSignUp("carol", "short", kNow).status().code(),
            absl::StatusCode::kInvalidArgument);
  auto in = service_->SignIn("alice", "pass phrase", kNow);
  ASSERT_TRUE(in.ok()) << in.status();
  EXPECT_TRUE(service_->Authenticate(in->token, kNow).ok());
  const auto wrong = service_->SignIn("alice", "pass phrasE", kNow).status();
  const auto unknown = service_->SignIn("nobody", "pass phrase", kNow).status();
  EXPECT_EQ(wrong.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(wrong, unknown);  // the same answer: no way to tell which handles exist
  EXPECT_FALSE(service_->Authenticate(in->token, kNow + 60'000).ok());  // expired
}

TEST_F(AccountServiceTest, SignOutRefreshAndSignOutEverywhere) {
  const Signed one = SignUp("alice");
  auto two = service_->SignIn("alice", "pass phrase", kNow);
  ASSERT_TRUE(two.ok());
  // Sign out: only that session.
  ASSERT_TRUE(service_->SignOut(*service_->Authenticate(one.token, kNow)).ok());
  EXPECT_EQ(service_->Authenticate(one.token, kNow).status().code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_TRUE(service_->Authenticate(two->token, kNow).ok());
  // Refresh: a new token, the old one signed out.
  auto refreshed = service_->Refresh(*service_->Authenticate(two->token, kNow), kNow + 10);
  ASSERT_TRUE(refreshed.ok()) << refreshed.status();
  EXPECT_EQ(refreshed->expires_ms, kNow + 10 + 60'000);
  EXPECT_FALSE(service_->Authenticate(two->token, kNow).ok());
  EXPECT_TRUE(service_->Authenticate(refreshed->token, kNow + 60'005).ok());
  // Everywhere: every token issued so far; new sign-ins work. Revocations survive a reopen.
  auto three = service_->SignIn("alice", "pass phrase", kNow);
  ASSERT_TRUE(service_->SignOutEverywhere("alice").ok());
  Reopen();
  EXPECT_FALSE(service_->Authenticate(refreshed->token, kNow).ok());
  EXPECT_FALSE(service_->Authenticate(three->token, kNow).ok());
  EXPECT_FALSE(service_->Authenticate(one.token, kNow).ok());
  auto four = service_->SignIn("alice", "pass phrase", kNow);
  ASSERT_TRUE(four.ok());
  EXPECT_TRUE(service_->Authenticate(four->token, kNow).ok());
}

TEST_F(AccountServiceTest, TokensSurviveReopenAndDieWithTheAccount) {
  const Signed up = SignUp("alice");
  Reopen();  // the same token.key: the token still verifies
  EXPECT_TRUE(service_->Authenticate(up.token, kNow).ok());
  auto roles = service_->SetRoles("alice", static_cast<RoleSet>(AccountRole::kModerator));
  ASSERT_TRUE(roles.ok());
  EXPECT_EQ(RoleNames(service_->Authenticate(up.token, kNow)->account.roles),
            std::vector<std::string>{"moderator"});
  ASSERT_TRUE(service_->Delete("alice").ok());
  EXPECT_FALSE(service_->Authenticate(up.token, kNow).ok());
}

TEST_F(AccountServiceTest, TokenSecretIsOwnerOnlyAndChecked) {
  const std::string key = dir_ + "/accounts/token.key";
  struct stat st {};
  ASSERT_EQ(::stat(key.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(st.st_size, static_cast<off_t>(kTokenSecretBytes));
  service_.reset();
  std::filesystem::resize_file(key, 5);
  auto s = AccountService::Open(dir_, {.password = PasswordLimits::Min()});
  EXPECT_EQ(s.status().code(), absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace foryou::accounts
