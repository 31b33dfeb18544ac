// Explanations: the per-item "why" and the full explanation of one item (see the header).
#include "feed/explain.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace foryou::feed {

namespace {

// "12%", "0.4%", "under 0.1%": a probability a viewer can read (never "0%" for a part that
// still moves the score).
std::string Percent(float p) {
  if (p >= 0.01f) return absl::StrFormat("%.0f%%", 100.0 * p);
  if (p >= 0.001f) return absl::StrFormat("%.1f%%", 100.0 * p);
  return "under 0.1%";
}

// The hashtag of `c` among `tags` (keys), in the catalog's spelling; "" when none.
std::string MatchingTag(const Candidate& c, const absl::flat_hash_set<uint64_t>& tags) {
  if (c.video == nullptr) return "";
  for (const std::string& h : c.video->hashtags) {
    if (tags.contains(AttributeKey(h))) return h;
  }
  return "";
}

// The reason of one source, or "" when it would not be true of the viewer.
std::string ReasonOf(Source s, const Candidate& c, const ReasonContext& viewer) {
  const catalog::User& user = *viewer.user;
  switch (s) {
    case Source::kExplore:
      if (viewer.watched) return "something different from what you usually watch";
      if (!user.interests.empty()) return "something outside the interests you picked";
      return "something new, to find out what you like";
    case Source::kFollowing:
      if (c.video == nullptr) return "";
      if (std::find(user.following.begin(), user.following.end(), c.video->creator) ==
          user.following.end()) {
        return "";
      }
      return absl::StrCat("from @", c.video->creator, ", whom you follow");
    case Source::kSimilar:
      return viewer.watched ? "similar to videos you enjoyed" : "";
    case Source::kSameSound:
      return viewer.liked_sounds.contains(c.sound) ? "uses a sound from a video you liked" : "";
    case Source::kSameHashtag: {
      if (std::string tag = MatchingTag(c, viewer.interests); !tag.empty()) {
        return absl::StrCat("#", tag, ", one of your interests");
      }
      if (std::string tag = MatchingTag(c, viewer.liked_hashtags); !tag.empty()) {
        return absl::StrCat("#", tag, ", like videos you liked");
      }
      return "";
    }
    case Source::kChallenge: {
      const std::string tag = MatchingTag(c, viewer.challenges);
      return tag.empty() ? "" : absl::StrCat("an entry in the #", tag, " challenge");
    }
    case Source::kFresh:
      return "a new upload";  // testing, or graduated from its test (FreshSource)
    case Source::kWatchNext:
      return viewer.watched ? "people who watched what you watched are watching it"
                            : "what viewers are watching right now";
    case Source::kTrending:
      // Not "in <country>": the source tops its list up from the language's and everyone's.
      return "trending right now";
    default:
      return "";
  }
}

std::string Capitalized(std::string s) {
  if (!s.empty() && s[0] >= 'a' && s[0] <= 'z') s[0] = static_cast<char>(s[0] - 'a' + 'A');
  return s;
}

// The words of the source bonus: why the sources that found it raised it.
std::string BonusWords(uint32_t sources) {
  std::vector<std::string> why;
  auto from = [&](Source s) { return (sources & SourceBit(s)) != 0; };
  if (from(Source::kFollowing)) why.push_back("you follow its creator");
  if (from(Source::kSimilar)) why.push_back("it is like videos you enjoyed");
  if (from(Source::kSameSound)) why.push_back("its sound is in videos you liked");
  if (from(Source::kSameHashtag)) why.push_back("its hashtags match your interests or likes");
  if (from(Source::kChallenge)) why.push_back("it is an entry in a challenge running now");
  if (why.empty()) return "a boost from where it was found";
  return absl::StrCat("a boost because ", absl::StrJoin(why, " and "));
}

}  // namespace

ReasonContext ReasonContextOf(const catalog::User& user, absl::Span<const uint64_t> positives,
                              absl::Span<const uint64_t> likes, const VideoIndex::Snapshot& index) {
  ReasonContext viewer;
  viewer.user = &user;
  viewer.watched = !positives.empty() || !likes.empty();
  for (const std::string& interest : user.interests)
    viewer.interests.insert(AttributeKey(interest));
  for (uint64_t v : likes) {
    const VideoEntry* e = index.Find(v);
    if (e == nullptr) continue;
    viewer.liked_hashtags.insert(e->proto.hashtags.begin(), e->proto.hashtags.end());
    if (e->proto.sound != 0) viewer.liked_sounds.insert(e->proto.sound);
  }
  return viewer;
}

std::string_view TaskWords(int task) {
  switch (task) {
    case model::kClick:
      return "the chance you play it";
    case model::kLongView:
      return "the chance you watch most of it";
    case model::kLike:
      return "the chance you like it";
    case model::kFollow:
      return "the chance you follow the creator";
    case model::kComment:
      return "the chance you comment";
    case model::kShare:
      return "the chance you share it";
    case model::kHate:
      return "the chance you say not interested";
    case model::kWatchRatio:
      return "how much of it you are expected to watch";
    default:
      return "?";
  }
}

std::string ReasonFor(const Candidate& c, const ReasonContext& viewer) {
  for (Source s : {Source::kChallenge, Source::kExplore, Source::kFollowing, Source::kSimilar,
                   Source::kSameSound, Source::kSameHashtag, Source::kFresh, Source::kWatchNext,
                   Source::kTrending}) {
    if (!c.from(s)) continue;
    if (std::string reason = ReasonOf(s, c, viewer); !reason.empty()) return reason;
  }
  return "recommended";
}

std::vector<std::string> SourceReasons(const Candidate& c, const ReasonContext& viewer) {
  std::vector<std::string> out;
  for (int s = 0; s < static_cast<int>(Source::kNumSources); ++s) {
    if (!c.from(static_cast<Source>(s))) continue;
    std::string reason = ReasonOf(static_cast<Source>(s), c, viewer);
    out.push_back(reason.empty() ? "recommended" : std::move(reason));
  }
  return out;
}

ServedItem ServedItemOf(const Candidate& c, std::string request_id, int position, int64_t served_ms,
                        const ReasonContext& viewer) {
  ServedItem item;
  item.video_key = c.video_key;
  item.request_id = std::move(request_id);
  item.position = position;
  item.served_ms = served_ms;
  item.sources = c.sources;
  item.probs = c.probs;
  item.bonus = c.bonus;
  item.popularity = c.popularity;
  item.next_prior = c.next_prior;
  item.value = c.value;
  item.penalty = c.penalty;
  item.fresh_lift = c.fresh_lift;
  item.interest_lift = c.interest_lift;
  item.score = c.score;
  item.reason = ReasonFor(c, viewer);
  item.source_reasons = SourceReasons(c, viewer);
  return item;
}

std::string_view CannotServeReason(const RuleStats& why) {
  if (why.moderation) return "not approved by moderation for this feed";
  if (why.seen) return "already shown to you";
  if (why.hidden_creator) return "you hid this creator";
  if (why.hidden_sound) return "you hid this sound";
  return "it matches one of your keyword or hashtag filters";
}

Explanation Describe(const catalog::User& user, std::string_view video, const ServedItem& item,
                     bool served, bool can_serve, const RuleStats& why,
                     const std::array<float, model::kNumTasks>& weights) {
  Explanation x;
  x.user = user.id;
  x.video = std::string(video);
  x.served = served;
  if (served) {
    x.request_id = item.request_id;
    x.position = item.position;
    x.served_ms = item.served_ms;
  }
  for (int s = 0; s < static_cast<int>(Source::kNumSources); ++s) {
    if (item.sources & SourceBit(static_cast<Source>(s))) {
      x.sources.emplace_back(SourceName(static_cast<Source>(s)));
    }
  }
  x.source_reasons = item.source_reasons;
  x.reason = item.reason;
  x.probs = item.probs;
  x.value = item.value;
  x.penalty = item.penalty;
  x.score = item.score;
  x.can_serve = can_serve;
  if (!can_serve) x.cannot_serve_reason = std::string(CannotServeReason(why));

  // Every part: the tasks, then what the sources, the audience, watch-next, "not interested"
  // and the placement added. Their sum is the score.
  for (int t = 0; t < model::kNumTasks; ++t) {
    x.parts.push_back({model::kTaskNames[t],
                       absl::StrCat(std::string(TaskWords(t)), " (", Percent(item.probs[t]), ")"),
                       weights[t] * item.probs[t]});
  }
  x.parts.push_back({"popularity", "how popular it is with everyone right now",
                     item.popularity - item.next_prior});
  if (item.bonus != 0) x.parts.push_back({"source_bonus", BonusWords(item.sources), item.bonus});
  if (item.next_prior != 0) {
    x.parts.push_back({"watch_next",
                       "how likely you are to watch it next, from what others watched",
                       item.next_prior});
  }
  if (item.penalty != 0) {
    x.parts.push_back({"not_interested",
                       "lowered because you said not interested to its creator, sound or hashtags",
                       -item.penalty});
  }
  if (item.fresh_lift != 0) {
    x.parts.push_back(
        {"fresh_slot", "moved up to give a new upload its first viewers", item.fresh_lift});
  }
  if (item.interest_lift != 0) {
    x.parts.push_back({"interests_first", "moved up so the interests you picked lead your feed",
                       item.interest_lift});
  }
  std::stable_sort(x.parts.begin(), x.parts.end(), [](const ScorePart& a, const ScorePart& b) {
    return std::fabs(a.value) > std::fabs(b.value);
  });

  if (!served && why.seen > 0) {
    x.sentences.push_back(
        "It was shown to you before; how it scored then is no longer kept, so here is how it "
        "scores now.");
  }
  if (x.source_reasons.empty()) {
    x.sentences.push_back(served ? "Shown to you in your feed."
                                 : "Nothing would bring it to your feed right now.");
  } else {
    x.sentences.push_back(
        absl::StrCat(served ? "In your feed because: " : "It would come up because: ",
                     absl::StrJoin(x.source_reasons, "; "), "."));
  }
  x.sentences.push_back(absl::StrFormat(
      "%s %.2f, made of:", served ? "Its score when shown was" : "Its score now is", x.score));
  for (const ScorePart& part : x.parts) {
    if (std::fabs(part.value) < 0.005f) continue;  // shown in parts; too small to read here
    x.sentences.push_back(absl::StrFormat("%s: %+.2f", Capitalized(part.label), part.value));
  }
  if (!x.can_serve) {
    x.sentences.push_back(
        absl::StrCat("The feed will not show it to you ",
                     served || why.seen > 0 ? "again: " : "now: ", x.cannot_serve_reason, "."));
  } else {
    x.sentences.push_back(served ? "The feed could show it to you again."
                                 : "The feed could show it to you.");
  }
  return x;
}

}  // namespace foryou::feed
