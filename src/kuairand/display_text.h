// The text a person sees for KuaiRand's anonymised records: topic names for its numeric tag ids,
// generated names for creators and sounds, generated captions. KuaiRand ships ids only (no
// category names, no captions, no names), so everything here is derived from the data and says
// that it is generated; the same id always gives the same text (docs/design/kuairand.md,
// "What is real, what is generated").
//
// Example:
//   KuaiRandTopicName("topic39")          // "Topic 39"
//   GeneratedCreatorName(7349781)          // "<Adjective> <Animal> (generated name)"
//   GeneratedSoundTitle(9155697141)        // "<Adjective> <Noun> (generated title)"
//   GeneratedCaption({"topic39"}, 87433, 20220410)
//     // "Topic 39 · 1:27 · posted 10 Apr 2022 (generated caption; KuaiRand has no text)"
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace foryou::kuairand {

// The marks every generated string carries, so a reader (or a test) can tell it from data.
inline constexpr std::string_view kGeneratedNameMark = " (generated name)";
inline constexpr std::string_view kGeneratedTitleMark = " (generated title)";
inline constexpr std::string_view kGeneratedCaptionMark =
    " (generated caption; KuaiRand has no text)";

// The readable name of a KuaiRand hashtag: "topic39" -> "Topic 39", "" -> "Untagged". Any other
// hashtag is returned as it is.
std::string KuaiRandTopicName(std::string_view hashtag);

// A creator's display name from its author id: two words from fixed lists picked by a hash of
// the id, then kGeneratedNameMark. Deterministic across runs and machines.
std::string GeneratedCreatorName(uint64_t author_id);

// A sound's display title from its music id, the same way, then kGeneratedTitleMark.
std::string GeneratedSoundTitle(uint64_t music_id);

// A caption built from the video's own fields: its topics (the category first), its length
// (m:ss; "length not given" for 0) and its upload day (yyyymmdd; left out for 0), then
// kGeneratedCaptionMark.
std::string GeneratedCaption(const std::vector<std::string>& hashtags, uint32_t duration_ms,
                             uint32_t upload_yyyymmdd);

}  // namespace foryou::kuairand
