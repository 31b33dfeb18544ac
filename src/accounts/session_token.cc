// Session token encoding, signing and verification (session_token.h).
#include "accounts/session_token.h"

#include <sodium.h>

#include <cstdlib>

#include "absl/status/status.h"
#include "accounts/password_hash.h"

namespace foryou::accounts {
namespace {

constexpr uint8_t kVersion = 1;
constexpr size_t kFixedBytes = 1 + 8 + 8 + kSessionIdBytes;
constexpr size_t kMaxUserBytes = 128;
constexpr int kB64 = sodium_base64_VARIANT_URLSAFE_NO_PADDING;

std::string Base64(std::string_view bytes) {
  std::string out(sodium_base64_ENCODED_LEN(bytes.size(), kB64), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                    bytes.size(), kB64);
  out.resize(out.size() - 1);  // the terminating NUL
  return out;
}

bool Unbase64(std::string_view text, size_t max_bytes, std::string* out) {
  out->assign(max_bytes, '\0');
  size_t len = 0;
  const char* end = nullptr;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out->data()), out->size(), text.data(),
                        text.size(), nullptr, &len, &end, kB64) != 0 ||
      end != text.data() + text.size()) {
    return false;
  }
  out->resize(len);
  return true;
}

void PutU64(std::string* out, uint64_t v) {
  for (int i = 7; i >= 0; --i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

uint64_t GetU64(std::string_view in) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(in[i]);
  return v;
}

std::string Mac(const std::string& secret, std::string_view signed_part) {
  std::string mac(crypto_auth_BYTES, '\0');
  crypto_auth(reinterpret_cast<unsigned char*>(mac.data()),
              reinterpret_cast<const unsigned char*>(signed_part.data()), signed_part.size(),
              reinterpret_cast<const unsigned char*>(secret.data()));
  return mac;
}

absl::Status Malformed() { return absl::UnauthenticatedError("malformed session token"); }

}  // namespace

std::string NewSessionId() {
  InitSodium();
  std::string id(kSessionIdBytes, '\0');
  randombytes_buf(id.data(), id.size());
  return id;
}

std::string HexOf(std::string_view bytes) {
  std::string out(bytes.size() * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                 bytes.size());
  out.pop_back();
  return out;
}

bool LooksLikeToken(std::string_view credential) {
  return credential.substr(0, sizeof(kTokenPrefix) - 1) == kTokenPrefix;
}

TokenSigner::TokenSigner(std::string secret) : secret_(std::move(secret)) {
  static_assert(kTokenSecretBytes == crypto_auth_KEYBYTES);
  if (secret_.size() != kTokenSecretBytes) std::abort();
  InitSodium();
}

std::string TokenSigner::Issue(const TokenClaims& claims) const {
  std::string payload;
  payload.push_back(static_cast<char>(kVersion));
  PutU64(&payload, static_cast<uint64_t>(claims.expires_ms));
  PutU64(&payload, claims.generation);
  payload += claims.session;
  payload += claims.user;
  const std::string signed_part = kTokenPrefix + Base64(payload);
  return signed_part + "." + Base64(Mac(secret_, signed_part));
}

absl::StatusOr<TokenClaims> TokenSigner::Verify(std::string_view token, int64_t now_ms) const {
  if (!LooksLikeToken(token)) return Malformed();
  const size_t dot = token.rfind('.');
  if (dot < sizeof(kTokenPrefix) - 1) return Malformed();
  const std::string_view signed_part = token.substr(0, dot);
  std::string mac, payload;
  if (!Unbase64(token.substr(dot + 1), crypto_auth_BYTES, &mac) || mac.size() != crypto_auth_BYTES) {
    return Malformed();
  }
  if (crypto_auth_verify(reinterpret_cast<const unsigned char*>(mac.data()),
                         reinterpret_cast<const unsigned char*>(signed_part.data()),
                         signed_part.size(),
                         reinterpret_cast<const unsigned char*>(secret_.data())) != 0) {
    return absl::UnauthenticatedError("invalid session token signature");
  }
  // Signed by this server: the payload is one it wrote, but it is still checked.
  if (!Unbase64(signed_part.substr(sizeof(kTokenPrefix) - 1), kFixedBytes + kMaxUserBytes,
                &payload) ||
      payload.size() <= kFixedBytes || static_cast<uint8_t>(payload[0]) != kVersion) {
    return Malformed();
  }
  TokenClaims c;
  const std::string_view p = payload;
  c.expires_ms = static_cast<int64_t>(GetU64(p.substr(1)));
  c.generation = GetU64(p.substr(9));
  c.session = std::string(p.substr(17, kSessionIdBytes));
  c.user = std::string(p.substr(kFixedBytes));
  if (now_ms >= c.expires_ms) return absl::UnauthenticatedError("session token expired");
  return c;
}

}  // namespace foryou::accounts
