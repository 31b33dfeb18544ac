// Internal to the catalog store: the RocksDB key layout and the versioned binary encoding of
// every record (docs/formats/catalog.md, byte by byte). Decoders never trust their input: a
// value that does not decode exactly (bad version, short, trailing bytes, id differing from the
// key, unknown moderation) returns false, and the store reports DataLoss naming the key.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "catalog/types.h"

namespace foryou::catalog::codec {

inline constexpr uint8_t kRecordVersion = 1;
inline constexpr uint32_t kFormatVersion = 1;  // the value of kFormatKey

// Record keys: a one-letter kind, '/', the id (ids have no 0x00 byte, so prefix scans of
// "<kind>/" see exactly that kind).
inline constexpr std::string_view kFormatKey = "m/format";
inline constexpr std::string_view kUserPrefix = "u/";
inline constexpr std::string_view kVideoPrefix = "v/";
inline constexpr std::string_view kCreatorPrefix = "c/";
inline constexpr std::string_view kSoundPrefix = "s/";
inline constexpr std::string_view kHashtagPrefix = "h/";
// Secondary indexes, empty values: "<prefix><name> 0x00 <be64 ~order(upload_ms)><video id>", so
// a scan of "<prefix><name> 0x00" lists the name's videos newest first (ties: by video id).
inline constexpr std::string_view kByCreatorPrefix = "ic/";
inline constexpr std::string_view kBySoundPrefix = "is/";
inline constexpr std::string_view kByHashtagPrefix = "ih/";
// The duets and stitches of a video: "io/<original> 0x00 <T><video id>", one per non-empty
// duet_of / stitch_of. Stores written before it existed get it at Open (original_index.h), which
// then writes kOriginalIndexKey (empty value).
inline constexpr std::string_view kByOriginalPrefix = "io/";
inline constexpr std::string_view kOriginalIndexKey = "m/index_original";
// The position of the last replicated write applied (CatalogStore::ApplyChangelog), written in
// the same batch as its records; opaque to the store.
inline constexpr std::string_view kChangelogPositionKey = "m/changelog";

std::string Key(std::string_view prefix, std::string_view id);
// "<prefix><name>\0": the scan prefix of one creator / sound / hashtag.
std::string IndexPrefix(std::string_view prefix, std::string_view name);
std::string IndexKey(std::string_view prefix, std::string_view name, int64_t upload_ms,
                     std::string_view video_id);
// The video id of an index key whose scan prefix has length `prefix_size`; false if too short.
bool IndexVideoId(std::string_view key, size_t prefix_size, std::string_view* video_id);

std::string Encode(const User& u);
std::string Encode(const Video& v);
std::string Encode(const Creator& c);
std::string Encode(const Sound& s);
std::string Encode(const Hashtag& h);
std::string EncodeFormat();

// `id` is the id the key names; a record naming another id does not decode.
bool Decode(std::string_view bytes, std::string_view id, User* u);
bool Decode(std::string_view bytes, std::string_view id, Video* v);
bool Decode(std::string_view bytes, std::string_view id, Creator* c);
bool Decode(std::string_view bytes, std::string_view id, Sound* s);
bool Decode(std::string_view bytes, std::string_view id, Hashtag* h);
bool DecodeFormat(std::string_view bytes, uint32_t* version);

}  // namespace foryou::catalog::codec
