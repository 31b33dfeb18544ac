// The key scheme of docs/formats/ads.md, shared by AdsStore and Ledger. Not for use outside
// src/ads/.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "rocksdb/slice.h"
#include "rocksdb/status.h"

namespace foryou::ads::keys {

inline constexpr char kFormatKey[] = "fmt";
inline constexpr char kFormat[] = "1";

// Parts joined by NUL (ids never hold one), so a prefix "cg\0c1\0" never matches campaign "c12".
inline std::string K(std::initializer_list<absl::string_view> parts) {
  std::string k;
  bool first = true;
  for (absl::string_view p : parts) {
    if (!first) k.push_back('\0');
    first = false;
    k.append(p.data(), p.size());
  }
  return k;
}
inline std::string Prefix(absl::string_view tag, absl::string_view id) { return K({tag, id}) + '\0'; }

inline std::string BE(uint64_t v) {
  std::string s(8, '\0');
  for (int i = 7; i >= 0; --i, v >>= 8) s[i] = static_cast<char>(v & 0xff);
  return s;
}
inline uint64_t FromBE(absl::string_view s) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8 && i < s.size(); ++i) v = (v << 8) | static_cast<uint8_t>(s[i]);
  return v;
}

inline absl::string_view V(const rocksdb::Slice& s) { return absl::string_view(s.data(), s.size()); }

inline absl::Status FromRocks(const rocksdb::Status& s, absl::string_view what) {
  if (s.ok()) return absl::OkStatus();
  const std::string msg = absl::StrCat("ads store: ", what, ": ", s.ToString());
  if (s.IsCorruption()) return absl::DataLossError(msg);
  return absl::UnavailableError(msg);
}

}  // namespace foryou::ads::keys
