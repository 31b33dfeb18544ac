#include "server/api_keys.h"

#include <filesystem>
#include <fstream>

#include "gtest/gtest.h"

namespace foryou::server {
namespace {

constexpr char kApp[] = "app-key-0123456789";
constexpr char kAdmin[] = "admin-key-0123456789";

std::string File(const std::string& entries) { return R"({"keys": [)" + entries + "]}"; }
std::string Entry(const std::string& key, const std::string& role, const std::string& name) {
  return R"({"key": ")" + key + R"(", "role": ")" + role + R"(", "name": ")" + name + R"("})";
}

void ExpectError(const std::string& json, const std::string& fragment) {
  absl::StatusOr<ApiKeys> keys = ApiKeys::Parse(json);
  ASSERT_FALSE(keys.ok()) << json;
  EXPECT_EQ(keys.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(keys.status().message()).find(fragment), std::string::npos)
      << keys.status() << " lacks " << fragment;
}

TEST(ApiKeysTest, FindsRolesAndRefusesUnknownKeys) {
  auto keys = ApiKeys::Parse(File(Entry(kApp, "app", "web") + "," + Entry(kAdmin, "admin", "ops")));
  ASSERT_TRUE(keys.ok()) << keys.status();
  EXPECT_EQ(keys->Find(kApp), Role::kApp);
  EXPECT_EQ(keys->Find(kAdmin), Role::kAdmin);
  EXPECT_EQ(keys->Find(""), std::nullopt);
  EXPECT_EQ(keys->Find("app-key-012345678"), std::nullopt);     // a prefix
  EXPECT_EQ(keys->Find("app-key-01234567890"), std::nullopt);   // an extension
  EXPECT_EQ(keys->Find("App-key-0123456789"), std::nullopt);    // case matters
  EXPECT_EQ(keys->Find(std::string_view("app-key-0123456789\0", 19)), std::nullopt);
  ASSERT_EQ(keys->entries().size(), 2u);
  EXPECT_EQ(keys->entries()[1].name, "ops");
}

TEST(ApiKeysTest, AdminImpliesApp) {
  EXPECT_TRUE(Grants(Role::kAdmin, Role::kApp));
  EXPECT_TRUE(Grants(Role::kAdmin, Role::kAdmin));
  EXPECT_TRUE(Grants(Role::kApp, Role::kApp));
  EXPECT_FALSE(Grants(Role::kApp, Role::kAdmin));
  EXPECT_EQ(RoleName(Role::kApp), "app");
  EXPECT_EQ(RoleName(Role::kAdmin), "admin");
  // Moderation routes: an admin key may; an app key may not (moderators are accounts).
  EXPECT_TRUE(Grants(Role::kAdmin, Role::kModerator));
  EXPECT_FALSE(Grants(Role::kApp, Role::kModerator));
  EXPECT_EQ(RoleName(Role::kModerator), "moderator");
}

TEST(ApiKeysTest, ErrorsNameTheField) {
  ExpectError("{", "invalid JSON");
  ExpectError("[]", "must be a JSON object");
  ExpectError("{}", "keys: missing or not an array");
  ExpectError(R"({"keys": {}})", "keys: missing or not an array");
  ExpectError(R"({"keys": []})", "keys: empty");
  ExpectError(R"({"keys": [], "extra": 1})", "extra: unknown field");
  ExpectError(File("3"), "keys[0]: must be an object");
  ExpectError(File(Entry(kApp, "app", "a") + "," + Entry("short-key", "app", "b")),
              "keys[1].key: too short (9 characters, need >= 16)");
  ExpectError(File(Entry(kApp, "root", "a")), "keys[0].role: unknown role \"root\"");
  ExpectError(File(Entry(kApp, "app", "a") + "," + Entry(kApp, "admin", "b")),
              "keys[1].key: duplicate of keys[0].key");
  ExpectError(File(Entry("has a space in it!", "app", "a")), "keys[0].key: must be printable");
  ExpectError(File(Entry(kApp, "app", "")), "keys[0].name: missing, empty");
  ExpectError(File(R"({"key": 12345678901234567, "role": "app", "name": "a"})"),
              "keys[0].key: missing or not a string");
  ExpectError(File(R"({"key": "app-key-0123456789", "name": "a"})"), "keys[0].role: missing");
  ExpectError(File(R"({"key": "app-key-0123456789", "role": "app", "name": "a", "rol": 1})"),
              "keys[0].rol: unknown field");
}

TEST(ApiKeysTest, ErrorsNeverContainTheKey) {
  absl::StatusOr<ApiKeys> keys =
      ApiKeys::Parse(File(Entry(kApp, "app", "a") + "," + Entry(kApp, "app", "b")));
  ASSERT_FALSE(keys.ok());
  EXPECT_EQ(std::string(keys.status().message()).find(kApp), std::string::npos);
}

TEST(ApiKeysTest, LoadReadsAFileAndNamesItInErrors) {
  const std::string dir = ::testing::TempDir();
  const std::string good = dir + "/api_keys_good.json", bad = dir + "/api_keys_bad.json";
  std::ofstream(good) << File(Entry(kAdmin, "admin", "ops"));
  std::ofstream(bad) << File(Entry(kAdmin, "boss", "ops"));
  auto keys = ApiKeys::Load(good);
  ASSERT_TRUE(keys.ok()) << keys.status();
  EXPECT_EQ(keys->Find(kAdmin), Role::kAdmin);
  auto refused = ApiKeys::Load(bad);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(std::string(refused.status().message()).find(bad), std::string::npos);
  EXPECT_FALSE(ApiKeys::Load(dir + "/no_such_file.json").ok());
  std::filesystem::remove(good);
  std::filesystem::remove(bad);
}

TEST(ApiKeysTest, GenerateDefaultMakesRandomKeysThatParseBack) {
  std::string json;
  ApiKeys a = ApiKeys::GenerateDefault(&json);
  ASSERT_EQ(a.entries().size(), 2u);
  EXPECT_EQ(a.entries()[0].role, Role::kApp);
  EXPECT_EQ(a.entries()[1].role, Role::kAdmin);
  EXPECT_GE(a.entries()[0].key.size(), 32u);
  EXPECT_EQ(a.entries()[0].key.rfind("fy_app_", 0), 0u);
  EXPECT_EQ(a.entries()[1].key.rfind("fy_admin_", 0), 0u);
  auto parsed = ApiKeys::Parse(json);
  ASSERT_TRUE(parsed.ok()) << parsed.status() << "\n" << json;
  EXPECT_EQ(parsed->Find(a.entries()[0].key), Role::kApp);
  EXPECT_EQ(parsed->Find(a.entries()[1].key), Role::kAdmin);
  ApiKeys b = ApiKeys::GenerateDefault(nullptr);
  EXPECT_NE(a.entries()[0].key, b.entries()[0].key);
  EXPECT_NE(a.entries()[1].key, b.entries()[1].key);
}

}  // namespace
}  // namespace foryou::server
