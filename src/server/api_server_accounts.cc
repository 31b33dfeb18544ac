// ApiServer routes of accounts (docs/api.md, "Accounts"): sign-up, sign-in, refresh, sign-out,
// sign out everywhere, the account of a session, roles granted by an admin and the audit log;
// and how a request's key or session token is checked (Authorize) and audited. The logic —
// hashing, tokens, the store, the audit log — is the accounts module's; this file maps HTTP to it.
#include "server/api_server.h"  // first: see api_handlers.h


#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "catalog/catalog_json.h"
#include "common/clock.h"
#include "server/api_handlers.h"
#include "server/http_status.h"

namespace foryou::server {
namespace {

// The session cookie: HttpOnly (page scripts never see the token), SameSite=Strict (no other
// site's page can make the browser send it, so no cross-site request forgery; the app and the
// API share one origin, and the app's first page needs no session, so Lax would buy nothing).
constexpr char kCookieName[] = "foryou_session";

std::string CookieToken(const HttpRequest& req) {
  const std::string header = req.get_header_value("Cookie");
  const std::string prefix = std::string(kCookieName) + "=";
  size_t pos = 0;
  while (pos < header.size()) {
    while (pos < header.size() && (header[pos] == ' ' || header[pos] == ';')) ++pos;
    size_t end = header.find(';', pos);
    if (end == std::string::npos) end = header.size();
    if (header.compare(pos, prefix.size(), prefix) == 0) {
      return header.substr(pos + prefix.size(), end - pos - prefix.size());
    }
    pos = end;
  }
  return "";
}

void SetSessionCookie(HttpResponse& res, const std::string& token, int64_t max_age_s) {
  res.set_header("Set-Cookie", absl::StrCat(kCookieName, "=", token, "; Path=/; Max-Age=",
                                            max_age_s, "; HttpOnly; SameSite=Strict"));
}

json SignedJson(const accounts::Signed& s) {
  return {{"user", s.account.handle}, {"handle", s.account.handle},
          {"roles", accounts::RoleNames(s.account.roles)}, {"token", s.token},
          {"expires_ms", s.expires_ms}};
}

// Sends `s`'s token as the cookie and in the body.
void SendSigned(HttpResponse& res, int code, const accounts::Signed& s, int64_t now_ms) {
  SetSessionCookie(res, s.token, std::max<int64_t>(1, (s.expires_ms - now_ms) / 1000));
  SendJson(res, code, SignedJson(s));
}

// 429 with Retry-After unless `limiter` has a token for `key`.
bool Limited(RateLimiter& limiter, const std::string& key, const char* what,
             HttpResponse& res) {
  int64_t retry_ms = 0;
  if (limiter.Allow(key, &retry_ms)) return false;
  res.set_header("Retry-After", std::to_string((retry_ms + 999) / 1000));
  SendError(res, absl::ResourceExhaustedError(absl::StrCat("too many ", what)));
  return true;
}

bool AccountGrants(accounts::RoleSet roles, Role need) {
  using accounts::AccountRole;
  switch (need) {
    case Role::kApp: return true;
    case Role::kModerator:
      return accounts::Has(roles, AccountRole::kModerator) ||
             accounts::Has(roles, AccountRole::kAdmin);
    case Role::kAdmin: return accounts::Has(roles, AccountRole::kAdmin);
  }
  return false;
}

std::string NeedText(Role need) {
  return need == Role::kModerator ? "the moderator or admin role"
                                  : absl::StrCat("the ", std::string(RoleName(need)), " role");
}

// A string field of a JSON object body; InvalidArgument naming it.
absl::StatusOr<std::string> StringField(const json& body, const char* name) {
  if (!body.is_object() || !body.contains(name) || !body[name].is_string()) {
    return absl::InvalidArgumentError(absl::StrCat(name, ": required (a string)"));
  }
  return body[name].get<std::string>();
}

}  // namespace

std::string Caller::Who() const {
  if (session.has_value()) return "account:" + session->account.handle;
  if (key != nullptr) return "key:" + key->name;
  return "anonymous";
}

absl::Status ActsAs(const Caller& caller, std::string_view user) {
  if (!caller.session.has_value() || caller.session->account.handle == user) {
    return absl::OkStatus();
  }
  return absl::PermissionDeniedError(absl::StrCat(
      "a session acts only as its own user '", caller.session->account.handle, "'"));
}

bool ApiServer::Authorize(const HttpRequest& req, HttpResponse& res, Role need,
                          Caller* caller) {
  std::optional<std::string> credential = ApiKeyOf(req);
  if (!credential.has_value()) {
    std::string cookie = CookieToken(req);
    if (!cookie.empty()) credential = std::move(cookie);
  }
  if (!credential.has_value()) {
    SendError(res, absl::UnauthenticatedError(
                       "an API key is required (header X-Api-Key or Authorization: Bearer), or "
                       "a session (Authorization: Bearer <token> or the session cookie)"));
    return false;
  }
  if (accounts::LooksLikeToken(*credential)) {
    if (deps_.accounts == nullptr) {
      SendError(res, absl::UnauthenticatedError("this server has no accounts"));
      return false;
    }
    absl::StatusOr<accounts::Session> session = deps_.accounts->Authenticate(*credential, Now());
    if (!session.ok()) {
      SendError(res, session.status());
      return false;
    }
    caller->session = std::move(*session);
    const accounts::Account& a = caller->session->account;
    if (!AccountGrants(a.roles, need)) {
      SendError(res, absl::PermissionDeniedError(absl::StrCat(
                         "this route needs ", NeedText(need), " (this account has: ",
                         absl::StrJoin(accounts::RoleNames(a.roles), ", "), ")")));
      return false;
    }
    return !Limited(account_limiter_, a.handle, "requests for this account", res);
  }
  caller->key = deps_.keys.FindEntry(*credential);
  if (caller->key == nullptr) {
    SendError(res, absl::UnauthenticatedError("unknown API key"));
    return false;
  }
  if (!Grants(caller->key->role, need)) {
    SendError(res, absl::PermissionDeniedError(absl::StrCat("this route needs ", NeedText(need))));
    return false;
  }
  int64_t retry_ms = 0;
  if (!key_limiter_.Allow(*credential, &retry_ms)) {
    res.set_header("Retry-After", std::to_string((retry_ms + 999) / 1000));
    SendError(res, absl::ResourceExhaustedError("rate limit exceeded for this key"));
    return false;
  }
  return true;
}

bool ApiServer::AuthorizePublic(const HttpRequest& req, HttpResponse& res, Caller* caller) {
  // An Authorization header of another scheme than Bearer is refused as on every route.
  if (ApiKeyOf(req).has_value() || req.has_header("Authorization")) {
    return Authorize(req, res, Role::kApp, caller);
  }
  const std::string cookie = CookieToken(req);
  if (cookie.empty() || deps_.accounts == nullptr || !accounts::LooksLikeToken(cookie)) {
    return true;
  }
  absl::StatusOr<accounts::Session> session = deps_.accounts->Authenticate(cookie, Now());
  if (absl::IsUnauthenticated(session.status())) return true;
  if (!session.ok()) {
    SendError(res, session.status());
    return false;
  }
  caller->session = std::move(*session);
  return !Limited(account_limiter_, caller->session->account.handle, "requests for this account",
                  res);
}

std::optional<Caller> ApiServer::Identify(const HttpRequest& req) {
  std::optional<std::string> credential = ApiKeyOf(req);
  if (!credential.has_value()) {
    std::string cookie = CookieToken(req);
    if (cookie.empty()) return std::nullopt;
    credential = std::move(cookie);
  }
  Caller caller;
  if (accounts::LooksLikeToken(*credential)) {
    if (deps_.accounts == nullptr) return std::nullopt;
    absl::StatusOr<accounts::Session> session = deps_.accounts->Authenticate(*credential, Now());
    if (!session.ok()) return std::nullopt;
    caller.session = std::move(*session);
    return caller;
  }
  caller.key = deps_.keys.FindEntry(*credential);
  if (caller.key == nullptr) return std::nullopt;
  return caller;
}

void ApiServer::AuditRequest(const std::string& name, Role need, const HttpRequest& req,
                             const HttpResponse& res, const Caller& caller) {
  if (need == Role::kApp || deps_.accounts == nullptr) return;
  // Reads of the dashboard (polled every 2 s) and of the audit log itself are not actions.
  if (name == "/v1/admin/stats" || name == "/v1/admin/audit") return;
  accounts::AuditRecord r{.t_ms = common::WallMs(),
                          .who = caller.Who(),
                          .route = name,
                          .target = req.matches.size() > 1 ? req.matches[1].str() : "",
                          .from = req.remote_addr,
                          .status = res.status};
  if (absl::StatusOr<uint64_t> seq = deps_.accounts->store().AppendAudit(std::move(r)); !seq.ok()) {
    // The action is done and answered; a lost audit record is reported, never silent.
    std::cerr << "foryou serve: audit log: " << seq.status() << "\n";
  }
}

void ApiServer::AccountRoutes() {
  if (deps_.accounts == nullptr) return;
  HttpServer& s = *http_;
  accounts::AccountService& accounts = *deps_.accounts;

  // ---- Sign-up: the account and its catalog user (as POST /v1/users), then signed in ----
  s.Post("/v1/auth/signup", Route("/v1/auth/signup", std::nullopt, [this, &accounts](
                                                                       const auto& req, auto& res) {
    if (Limited(signin_address_limiter_, req.remote_addr, "sign-up attempts from this address",
                res)) {
      return;
    }
    absl::StatusOr<json> body = ParseBody(req);
    if (!body.ok()) return SendError(res, body.status());
    absl::StatusOr<std::string> handle = StringField(*body, "handle");
    if (!handle.ok()) return SendError(res, handle.status());
    absl::StatusOr<std::string> password = StringField(*body, "password");
    if (!password.ok()) return SendError(res, password.status());
    if (absl::Status st = accounts::ValidateHandle(*handle); !st.ok()) return SendError(res, st);
    if (absl::Status st = accounts::ValidatePassword(*password); !st.ok()) {
      return SendError(res, st);
    }
    json user = *body;
    user.erase("handle");
    user.erase("password");
    for (const char* owned : {"id", "created_ms", "epoch", "profile"}) {
      if (user.contains(owned)) {
        return SendError(res, absl::InvalidArgumentError(absl::StrCat(
                                  owned, std::string(owned) == "id" ? ": the handle is the user id"
                                                                    : ": set by the server")));
      }
    }
    user["id"] = *handle;
    const int64_t now = Now();
    absl::StatusOr<catalog::User> u = catalog::UserFromJson(user, now);
    if (!u.ok()) return SendError(res, u.status());
    absl::StatusOr<accounts::Account> account = accounts.PrepareSignUp(*handle, *password, now);
    if (!account.ok()) return SendError(res, account.status());
    // The catalog user first: a handle taken by a catalog user without an account is a 409
    // here, and an account never exists without its user.
    if (absl::Status st = deps_.feed->CreateUser(*u); !st.ok()) return SendError(res, st);
    if (absl::Status st = accounts.AddAccount(*account); !st.ok()) return SendError(res, st);
    SendSigned(res, 201, accounts.Issue(*account, now), now);
  }));

  s.Post("/v1/auth/signin", Route("/v1/auth/signin", std::nullopt, [this, &accounts](
                                                                       const auto& req, auto& res) {
    if (Limited(signin_address_limiter_, req.remote_addr, "sign-in attempts from this address",
                res)) {
      return;
    }
    absl::StatusOr<json> body = ParseBody(req);
    if (!body.ok()) return SendError(res, body.status());
    absl::StatusOr<std::string> handle = StringField(*body, "handle");
    if (!handle.ok()) return SendError(res, handle.status());
    absl::StatusOr<std::string> password = StringField(*body, "password");
    if (!password.ok()) return SendError(res, password.status());
    if (Limited(signin_handle_limiter_, *handle, "sign-in attempts for this handle", res)) return;
    const int64_t now = Now();
    absl::StatusOr<accounts::Signed> signed_in = accounts.SignIn(*handle, *password, now);
    if (!signed_in.ok()) return SendError(res, signed_in.status());
    SendSigned(res, 200, *signed_in, now);
  }));

  // ---- The session of the request: refresh, sign out, everywhere, who am I ----
  auto session_route = [this](const char* name, auto fn) {
    return RouteAs(name, Role::kApp, [fn](const HttpRequest& req, HttpResponse& res,
                                          const Caller& caller) {
      if (!caller.session.has_value()) {
        return SendError(res, absl::InvalidArgumentError(
                                  "this route needs a session token, not an API key"));
      }
      fn(req, res, *caller.session);
    });
  };
  s.Post("/v1/auth/refresh", session_route("/v1/auth/refresh", [this, &accounts](
                                               const auto&, auto& res, const auto& session) {
    const int64_t now = Now();
    absl::StatusOr<accounts::Signed> fresh = accounts.Refresh(session, now);
    if (!fresh.ok()) return SendError(res, fresh.status());
    SendSigned(res, 200, *fresh, now);
  }));
  s.Post("/v1/auth/signout", session_route("/v1/auth/signout", [&accounts](
                                               const auto&, auto& res, const auto& session) {
    if (absl::Status st = accounts.SignOut(session); !st.ok()) return SendError(res, st);
    SetSessionCookie(res, "", 0);
    SendJson(res, 200, {{"signed_out", "session"}});
  }));
  s.Post("/v1/auth/signout-all", session_route("/v1/auth/signout-all", [&accounts](
                                                   const auto&, auto& res, const auto& session) {
    if (absl::Status st = accounts.SignOutEverywhere(session.account.handle); !st.ok()) {
      return SendError(res, st);
    }
    SetSessionCookie(res, "", 0);
    SendJson(res, 200, {{"signed_out", "everywhere"}});
  }));
  // Who is signed in: 200 either way (a page asks this at every start; signed out is a normal
  // answer, not an error). Credentials as for every route: a bearer token or the cookie.
  s.Get("/v1/auth/me", Route("/v1/auth/me", std::nullopt, [this, &accounts](const auto& req,
                                                                            auto& res) {
    std::string token = ApiKeyOf(req).value_or("");
    if (token.empty()) token = CookieToken(req);
    if (!accounts::LooksLikeToken(token)) return SendJson(res, 200, {{"signed_in", false}});
    absl::StatusOr<accounts::Session> session = accounts.Authenticate(token, Now());
    if (absl::IsUnauthenticated(session.status())) {
      return SendJson(res, 200,
                      {{"signed_in", false}, {"reason", std::string(session.status().message())}});
    }
    if (!session.ok()) return SendError(res, session.status());
    const accounts::Account& a = session->account;
    SendJson(res, 200, {{"signed_in", true}, {"user", a.handle}, {"handle", a.handle},
                        {"roles", accounts::RoleNames(a.roles)},
                        {"expires_ms", session->claims.expires_ms}});
  }));

  // ---- Admin: roles and the audit log ----
  s.Post(R"(/v1/admin/accounts/([^/]+)/roles)",
         Route("/v1/admin/accounts/ID/roles", Role::kAdmin, [&accounts](const auto& req, auto& res) {
    absl::StatusOr<json> body = ParseBody(req);
    if (!body.ok()) return SendError(res, body.status());
    if (!body->is_object() || !body->contains("roles") || !(*body)["roles"].is_array()) {
      return SendError(res, absl::InvalidArgumentError("roles: required (an array of role names)"));
    }
    accounts::RoleSet roles = 0;
    for (const json& r : (*body)["roles"]) {
      std::optional<accounts::AccountRole> role =
          r.is_string() ? accounts::ParseRole(r.get<std::string>()) : std::nullopt;
      if (!role.has_value()) {
        return SendError(res, absl::InvalidArgumentError(
                                  "roles: each must be one of viewer, creator, moderator, "
                                  "advertiser, admin"));
      }
      roles |= static_cast<accounts::RoleSet>(*role);
    }
    absl::StatusOr<accounts::Account> a = accounts.SetRoles(req.matches[1].str(), roles);
    if (!a.ok()) return SendError(res, a.status());
    SendJson(res, 200, {{"handle", a->handle}, {"roles", accounts::RoleNames(a->roles)}});
  }));
  s.Get("/v1/admin/audit", Route("/v1/admin/audit", Role::kAdmin, [&accounts](const auto& req,
                                                                               auto& res) {
    uint64_t before = 0;
    const std::string b = req.get_param_value("before");
    if (!b.empty() && !absl::SimpleAtoi(b, &before)) {
      return SendError(res, absl::InvalidArgumentError("before: must be a record's seq"));
    }
    absl::StatusOr<int> limit = IntParam(req, "limit", 100, 1, 1000);
    if (!limit.ok()) return SendError(res, limit.status());
    auto records = accounts.store().Audit(before, *limit);
    if (!records.ok()) return SendError(res, records.status());
    json list = json::array();
    for (const accounts::AuditRecord& r : *records) {
      list.push_back({{"seq", r.seq}, {"t_ms", r.t_ms}, {"who", r.who}, {"route", r.route},
                      {"target", r.target}, {"from", r.from}, {"status", r.status}});
    }
    // `next` pages on: the oldest seq of this page (0 when there is nothing older).
    const uint64_t next =
        records->size() == static_cast<size_t>(*limit) ? records->back().seq : 0;
    SendJson(res, 200, {{"records", list}, {"next", next}});
  }));
}

}  // namespace foryou::server
