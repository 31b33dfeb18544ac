// Record encoding version 1. Integers are little-endian (common::BinaryWriter, host order on
// every supported target); strings are a u64 length then the bytes; string lists a u64 count
// then the strings. Index keys store the time big-endian so that byte order is time order.
#include "catalog/record_codec.h"

#include <vector>

#include "common/binary_io.h"

namespace foryou::catalog::codec {
namespace {

using common::BinaryReader;
using common::BinaryWriter;

void PutStrings(BinaryWriter* w, const std::vector<std::string>& list) {
  w->Put<uint64_t>(list.size());
  for (const std::string& s : list) w->PutString(s);
}

bool GetStrings(BinaryReader* r, std::vector<std::string>* list) {
  uint64_t n = 0;
  if (!r->Get(&n)) return false;
  list->clear();
  // No reserve(n): n is untrusted; a short input fails at its first missing string.
  for (uint64_t i = 0; i < n; ++i) {
    std::string s;
    if (!r->GetString(&s)) return false;
    list->push_back(std::move(s));
  }
  return true;
}

// Reads the version byte and the id, which must equal the key's.
bool Header(BinaryReader* r, std::string_view id, std::string* out_id) {
  uint8_t version = 0;
  return r->Get(&version) && version == kRecordVersion && r->GetString(out_id) && *out_id == id;
}

void Begin(std::string_view id, BinaryWriter* w) {
  w->Put<uint8_t>(kRecordVersion);
  w->PutString(id);
}

}  // namespace

std::string Key(std::string_view prefix, std::string_view id) {
  std::string k;
  k.reserve(prefix.size() + id.size());
  k.append(prefix).append(id);
  return k;
}

std::string IndexPrefix(std::string_view prefix, std::string_view name) {
  std::string k = Key(prefix, name);
  k.push_back('\0');
  return k;
}

std::string IndexKey(std::string_view prefix, std::string_view name, int64_t upload_ms,
                     std::string_view video_id) {
  std::string k = IndexPrefix(prefix, name);
  // Signed -> unsigned preserving order (flip the sign bit), inverted for newest first.
  const uint64_t t = ~(static_cast<uint64_t>(upload_ms) ^ (uint64_t{1} << 63));
  for (int shift = 56; shift >= 0; shift -= 8) k.push_back(static_cast<char>((t >> shift) & 0xFF));
  k.append(video_id);
  return k;
}

bool IndexVideoId(std::string_view key, size_t prefix_size, std::string_view* video_id) {
  if (key.size() <= prefix_size + 8) return false;
  *video_id = key.substr(prefix_size + 8);
  return true;
}

std::string Encode(const User& u) {
  std::string out;
  BinaryWriter w(&out);
  Begin(u.id, &w);
  w.PutString(u.language);
  w.PutString(u.country);
  w.PutString(u.device);
  PutStrings(&w, u.interests);
  PutStrings(&w, u.following);
  PutStrings(&w, u.hidden_creators);
  PutStrings(&w, u.hidden_sounds);
  PutStrings(&w, u.keyword_filters);
  PutStrings(&w, u.hashtag_filters);
  w.Put<int64_t>(u.created_ms);
  w.Put<uint32_t>(u.epoch);
  PutStrings(&w, u.profile);
  return out;
}

bool Decode(std::string_view bytes, std::string_view id, User* u) {
  BinaryReader r(bytes);
  User x;
  if (!Header(&r, id, &x.id)) return false;
  if (!r.GetString(&x.language) || !r.GetString(&x.country) || !r.GetString(&x.device) ||
      !GetStrings(&r, &x.interests) || !GetStrings(&r, &x.following) ||
      !GetStrings(&r, &x.hidden_creators) || !GetStrings(&r, &x.hidden_sounds) ||
      !GetStrings(&r, &x.keyword_filters) || !GetStrings(&r, &x.hashtag_filters) ||
      !r.Get(&x.created_ms) || !r.Get(&x.epoch) || !GetStrings(&r, &x.profile) || !r.done()) {
    return false;
  }
  *u = std::move(x);
  return true;
}

std::string Encode(const Video& v) {
  std::string out;
  BinaryWriter w(&out);
  Begin(v.id, &w);
  w.PutString(v.creator);
  w.PutString(v.caption);
  PutStrings(&w, v.hashtags);
  w.PutString(v.sound);
  w.Put<uint32_t>(v.duration_ms);
  w.Put<int64_t>(v.upload_ms);
  w.PutString(v.duet_of);
  w.PutString(v.stitch_of);
  w.Put<uint8_t>(static_cast<uint8_t>(v.moderation));
  w.PutString(v.media_url);
  w.PutString(v.video_type);
  w.PutString(v.upload_type);
  // The upload fields, only when one differs from its default: records without them (every
  // record written before they existed, every imported video) keep their bytes.
  if (!v.media_url_360.empty() || !v.cover_url.empty() || !v.frame_hash.empty() ||
      !v.allow_duet || !v.allow_stitch) {
    w.PutString(v.media_url_360);
    w.PutString(v.cover_url);
    w.PutString(v.frame_hash);
    w.Put<uint8_t>(static_cast<uint8_t>((v.allow_duet ? 1 : 0) | (v.allow_stitch ? 2 : 0)));
  }
  return out;
}

bool Decode(std::string_view bytes, std::string_view id, Video* v) {
  BinaryReader r(bytes);
  Video x;
  uint8_t moderation = 0;
  if (!Header(&r, id, &x.id)) return false;
  if (!r.GetString(&x.creator) || !r.GetString(&x.caption) || !GetStrings(&r, &x.hashtags) ||
      !r.GetString(&x.sound) || !r.Get(&x.duration_ms) || !r.Get(&x.upload_ms) ||
      !r.GetString(&x.duet_of) || !r.GetString(&x.stitch_of) || !r.Get(&moderation) ||
      moderation > static_cast<uint8_t>(Moderation::kRemoved) || !r.GetString(&x.media_url) ||
      !r.GetString(&x.video_type) || !r.GetString(&x.upload_type)) {
    return false;
  }
  if (!r.done()) {
    uint8_t allow = 0;
    if (!r.GetString(&x.media_url_360) || !r.GetString(&x.cover_url) ||
        !r.GetString(&x.frame_hash) || !r.Get(&allow) || allow > 3 || !r.done()) {
      return false;
    }
    x.allow_duet = (allow & 1) != 0;
    x.allow_stitch = (allow & 2) != 0;
  }
  x.moderation = static_cast<Moderation>(moderation);
  *v = std::move(x);
  return true;
}

std::string Encode(const Creator& c) {
  std::string out;
  BinaryWriter w(&out);
  Begin(c.id, &w);
  w.PutString(c.name);
  w.Put<int64_t>(c.created_ms);
  return out;
}

bool Decode(std::string_view bytes, std::string_view id, Creator* c) {
  BinaryReader r(bytes);
  Creator x;
  if (!Header(&r, id, &x.id) || !r.GetString(&x.name) || !r.Get(&x.created_ms) || !r.done()) {
    return false;
  }
  *c = std::move(x);
  return true;
}

std::string Encode(const Sound& s) {
  std::string out;
  BinaryWriter w(&out);
  Begin(s.id, &w);
  w.PutString(s.title);
  w.PutString(s.creator);
  // The audio fields, only when one is set: records without them (every record written before
  // they existed, every imported sound) keep their bytes.
  if (!s.audio_url.empty() || !s.original_video.empty()) {
    w.PutString(s.audio_url);
    w.PutString(s.original_video);
  }
  return out;
}

bool Decode(std::string_view bytes, std::string_view id, Sound* s) {
  BinaryReader r(bytes);
  Sound x;
  if (!Header(&r, id, &x.id) || !r.GetString(&x.title) || !r.GetString(&x.creator)) return false;
  if (!r.done() &&
      (!r.GetString(&x.audio_url) || !r.GetString(&x.original_video) || !r.done())) {
    return false;
  }
  *s = std::move(x);
  return true;
}

std::string Encode(const Hashtag& h) {
  std::string out;
  BinaryWriter w(&out);
  Begin(h.name, &w);
  w.Put<uint64_t>(h.videos);
  return out;
}

bool Decode(std::string_view bytes, std::string_view id, Hashtag* h) {
  BinaryReader r(bytes);
  Hashtag x;
  if (!Header(&r, id, &x.name) || !r.Get(&x.videos) || !r.done()) return false;
  *h = std::move(x);
  return true;
}

std::string EncodeFormat() {
  std::string out;
  BinaryWriter(&out).Put<uint32_t>(kFormatVersion);
  return out;
}

bool DecodeFormat(std::string_view bytes, uint32_t* version) {
  BinaryReader r(bytes);
  return r.Get(version) && r.done();
}

}  // namespace foryou::catalog::codec
