// AdStage: ad slots, auctions and billing of the For You feed (see the header and
// docs/design/ads.md, "In the feed").
//
// HOW A PAGE GETS ITS ADS. The page arrives arranged. Walking its positions with the viewer's
// count of items and organic items since the last ad, the first position the slot rules open
// builds the page's shortlist once: every active group is checked (paused, dates, hours,
// placement, hidden advertiser, targeting, budget left, the pacer's pass-through draw), valued
// with its effective bid and a prior rate of its goal (its own rate from the ledger, smoothed),
// and the best `shortlist` are scored by the serving model for this viewer and the ad's video.
// Each open slot then runs the auction over the shortlist against the replaced item's value,
// with the previous item's ad / creator / sound and the next item's creator / sound kept out,
// and the winner's charge is held in the pacer (Reserve) until its billed event comes.
#include "feed/ad_stage.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <random>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "ads/served_ads.h"
#include "common/id_key.h"
#include "common/status_macros.h"
#include "model/impression.h"
#include "model/model_config.h"

namespace foryou::feed {
namespace {

std::string ServedKey(std::string_view request_id, int64_t position) {
  return absl::StrCat(absl::string_view(request_id.data(), request_id.size()), "\n", position);
}

// A group's rate of its goal event per impression before the model's say: its own, smoothed
// toward a prior by 20 impressions' worth.
double PriorRate(const ads::Ledger& ledger, const ads::AdGroup& g, const AdStageOptions& o) {
  if (g.goal == ads::Goal::kImpression) return 1;
  const double prior = g.goal == ads::Goal::kView ? 0.3
                       : g.goal == ads::Goal::kClick ? 0.5 * o.cta_per_play
                                                     : 0.5 * o.cta_per_play * o.cvr_per_cta;
  const double n = static_cast<double>(ledger.Events(g.id, ads::EventKind::kImpression));
  const double k = static_cast<double>(ledger.Events(g.id, ads::GoalKind(g.goal)));
  return (k + 20 * prior) / (n + 20);
}

// P(the goal event | impression) from the model's probabilities of the ad's video.
double ModelRate(const float* probs, ads::Goal goal, const AdStageOptions& o) {
  switch (goal) {
    case ads::Goal::kImpression: return 1;
    case ads::Goal::kView: return probs[model::kLongView];
    case ads::Goal::kClick: return probs[model::kClick] * o.cta_per_play;
    case ads::Goal::kConversion: return probs[model::kClick] * o.cta_per_play * o.cvr_per_cta;
  }
  return 0;
}

}  // namespace

std::string AdEventId(ads::EventKind kind, std::string_view request_id, int64_t position) {
  return absl::StrCat(ads::Name(kind), "_",
                      absl::string_view(request_id.data(), request_id.size()), "_", position);
}

AdStage::AdStage(AdStageOptions options, ads::AdsStore* store, ads::Ledger* ledger,
                 ads::Pacer* pacer, const Scorer* scorer)
    : options_(std::move(options)), store_(store), ledger_(ledger), pacer_(pacer),
      scorer_(scorer), bids_(options_.auction, options_.bid_controllers, ledger, pacer) {}

AdStage::~AdStage() {
  common::MutexLock lock(&mu_);
  for (auto& [key, s] : served_) {
    if (s.held) pacer_->Release(s.hold);
  }
}

absl::Status AdStage::Validate(const AdStageOptions& o) {
  FORYOU_RETURN_IF_ERROR(ads::Validate(o.slots));
  if (o.shortlist < 1) return absl::InvalidArgumentError("ads.shortlist: must be >= 1");
  if (o.billing_window_ms < 1000) {
    return absl::InvalidArgumentError("ads.billing_window_ms: must be >= 1000");
  }
  if (o.impression_window_ms < 1000 || o.impression_window_ms > o.billing_window_ms) {
    return absl::InvalidArgumentError(
        "ads.impression_window_ms: must be >= 1000 and <= ads.billing_window_ms");
  }
  FORYOU_RETURN_IF_ERROR(ads::BidControllers::Validate(o.bid_controllers));
  if (!(o.micros_per_value >= 0) || !(o.experience_micros >= 0) || !(o.cta_per_play >= 0) ||
      !(o.cta_per_play <= 1) || !(o.cvr_per_cta >= 0) || !(o.cvr_per_cta <= 1)) {
    return absl::InvalidArgumentError("ads: value scales must be >= 0, rates in [0, 1]");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<const std::vector<std::shared_ptr<const AdStage::Active>>>>
AdStage::Groups(const VideoIndex::Snapshot& index, int64_t now_ms) {
  const uint64_t generation = store_->generation();
  const int64_t hour = now_ms / ads::kHourMs;
  common::MutexLock lock(&groups_mu_);
  // Dates and hours change what is active: re-read on the hour as well as on a write.
  if (groups_ != nullptr && generation == groups_generation_ && hour == groups_hour_) {
    return groups_;
  }
  FORYOU_ASSIGN_OR_RETURN(std::vector<ads::AdGroup> all, store_->AllAdGroups());
  auto out = std::make_shared<std::vector<std::shared_ptr<const Active>>>();
  absl::flat_hash_map<std::string, std::shared_ptr<ads::Campaign>> campaigns;
  for (ads::AdGroup& g : all) {
    if (g.paused) continue;
    std::shared_ptr<ads::Campaign>& c = campaigns[g.campaign];
    if (c == nullptr) {
      FORYOU_ASSIGN_OR_RETURN(ads::Campaign got, store_->GetCampaign(g.campaign));
      c = std::make_shared<ads::Campaign>(std::move(got));
    }
    // The dates are checked per request too (Check); an ended campaign never comes back.
    if (c->paused || (c->end_ms != 0 && now_ms >= c->end_ms)) continue;
    FORYOU_ASSIGN_OR_RETURN(std::vector<ads::Ad> ads, store_->AdsOf(g.id));
    // The group's ad: its first approved, unpaused one whose video the feed knows.
    for (ads::Ad& ad : ads) {
      if (ad.paused || ad.approval != ads::Approval::kApproved) continue;
      const VideoEntry* v = index.Find(common::VideoKey(ad.video));
      if (v == nullptr || v->video.moderation == catalog::Moderation::kRemoved) continue;
      auto a = std::make_shared<Active>();
      a->campaign = *c;
      a->group = std::move(g);
      a->ad = std::move(ad);
      a->creator = v->video.creator;
      a->sound = v->video.sound;
      a->video_key = v->proto.video_key;
      out->push_back(std::move(a));
      break;
    }
  }
  NoteGroupsRead(generation, hour, out->empty());
  groups_ = std::move(out);
  groups_generation_ = generation;
  groups_hour_ = hour;
  return groups_;
}

void AdStage::NoteGroupsRead(uint64_t generation, int64_t hour, bool empty) {
  no_ads_at_.store(empty ? (generation << 20) | (static_cast<uint64_t>(hour) & 0xFFFFF)
                         : kAdsMayServe,
                   std::memory_order_release);
}

bool AdStage::MayServe(int64_t now_ms) const {
  const uint64_t none = no_ads_at_.load(std::memory_order_acquire);
  if (none == kAdsMayServe) return true;
  const uint64_t hour = static_cast<uint64_t>(now_ms / ads::kHourMs) & 0xFFFFF;
  return none != ((store_->generation() << 20) | hour);
}

int AdStage::active_groups() {
  common::MutexLock lock(&groups_mu_);
  return groups_ == nullptr ? 0 : static_cast<int>(groups_->size());
}

absl::Status AdStage::Place(const catalog::User& user,
                            const std::shared_ptr<const VideoIndex::Snapshot>& index,
                            int64_t now_ms, FeedPage* page) {
  FORYOU_ASSIGN_OR_RETURN(auto groups, Groups(*index, now_ms));
  if (groups->empty()) return absl::OkStatus();  // ads off: nothing is counted or kept
  Viewer viewer;
  uint64_t draw = 0;
  // Best effort: a served ad left behind is deleted by a later sweep or the next Restore.
  ReleaseExpired(now_ms).IgnoreError();
  {
    common::MutexLock lock(&mu_);
    viewer = viewers_[user.id];
    draw = ++draws_;
  }
  std::vector<FeedItem>& items = page->items;
  std::vector<FeedItem> out;
  out.reserve(items.size() + items.size() / 4 + 1);
  // The shortlist, built at the first open slot.
  bool built = false;
  std::vector<ads::AdCandidate> shortlist;
  std::vector<std::shared_ptr<const Active>> shortlisted;
  ads::ViewerProfile profile;
  absl::flat_hash_set<std::string> hidden;
  absl::flat_hash_set<uint64_t> on_page;
  for (const FeedItem& item : items) on_page.insert(item.candidate.video_key);
  std::vector<std::pair<std::string, std::shared_ptr<const Active>>> placed;  // key, ad
  std::vector<ads::ServedAd> records;  // what placed holds, for the ads database
  std::vector<ads::Reservation> holds;
  auto release_all = [&] {
    for (const ads::Reservation& r : holds) pacer_->Release(r);
  };

  auto build = [&]() -> absl::Status {
    built = true;
    profile.user = user.id;
    profile.country = user.country;
    profile.language = user.language;
    profile.device = user.device;
    profile.interests.insert(user.interests.begin(), user.interests.end());
    // What the viewer engages with, as the feed ranked it for them: the page's hashtags.
    for (const FeedItem& item : items) {
      for (const std::string& h : item.entry->video.hashtags) profile.interests.insert(h);
    }
    FORYOU_ASSIGN_OR_RETURN(std::vector<std::string> audiences, store_->AudiencesOf(user.id));
    profile.audiences.insert(audiences.begin(), audiences.end());
    FORYOU_ASSIGN_OR_RETURN(std::vector<std::string> hidden_list,
                            store_->HiddenAdvertisers(user.id));
    hidden.insert(hidden_list.begin(), hidden_list.end());
    std::mt19937_64 rng(common::VideoKey(page->request_id) ^ draw);
    std::uniform_real_distribution<double> u01(0.0, 1.0);
    ads::AuctionRequest req{.viewer = &profile, .now_ms = now_ms,
                            .placement = options_.placement, .hidden_accounts = &hidden};
    std::vector<std::pair<double, size_t>> ranked;
    std::vector<ads::AdCandidate> all;
    for (size_t i = 0; i < groups->size(); ++i) {
      const Active& a = *(*groups)[i];
      if (on_page.contains(a.video_key)) continue;
      ads::AdCandidate c{.campaign = &a.campaign, .group = &a.group, .ad = &a.ad,
                         .creator = a.creator, .sound = a.sound};
      c.p_action = PriorRate(*ledger_, a.group, options_);
      // With the Cost Cap factor or the Lowest Cost bid, as the ads simulation bids.
      c.delivery = bids_.Delivery(a.campaign, a.group, now_ms);
      c.budget_left_micros = pacer_->BudgetLeft(a.campaign, a.group, now_ms);
      c.paced_in = pacer_->Admit(a.campaign, a.group, now_ms, u01(rng));
      if (ads::Check(req, c) != ads::Verdict::kEligible) continue;
      const double bid = ads::EffectiveBid(options_.auction, a.group, c.delivery, now_ms);
      const double value = a.group.goal == ads::Goal::kImpression ? bid / 1000 : bid * c.p_action;
      ranked.emplace_back(value, all.size());
      all.push_back(c);
      shortlisted.push_back((*groups)[i]);
    }
    const size_t keep = std::min(ranked.size(), static_cast<size_t>(options_.shortlist));
    std::partial_sort(ranked.begin(), ranked.begin() + keep, ranked.end(),
                      [](const auto& a, const auto& b) { return a.first > b.first; });
    std::vector<std::shared_ptr<const Active>> kept;
    for (size_t i = 0; i < keep; ++i) {
      shortlist.push_back(all[ranked[i].second]);
      kept.push_back(shortlisted[ranked[i].second]);
    }
    shortlisted = std::move(kept);
    if (shortlist.empty()) return absl::OkStatus();
    // The model's view of this viewer and each ad's video (one batch), and frequency caps.
    std::vector<model::Impression> imps;
    for (const auto& a : shortlisted) {
      imps.push_back(model::MakeImpression(page->model_user, a->ad.video, now_ms,
                                           options_.surface, options_.utc_offset_minutes));
    }
    std::vector<float> probs(imps.size() * model::kNumTasks);
    FORYOU_RETURN_IF_ERROR(scorer_->Score(imps, probs.data()));
    for (size_t i = 0; i < shortlist.size(); ++i) {
      ads::AdCandidate& c = shortlist[i];
      const float* p = &probs[i * model::kNumTasks];
      c.p_action = ModelRate(p, c.group->goal, options_);
      c.experience_micros =
          options_.experience_micros * (p[model::kLike] + p[model::kLongView] - p[model::kHate]);
      const ads::FrequencyCap& cap = c.group->frequency_cap;
      if (cap.impressions > 0) {
        FORYOU_ASSIGN_OR_RETURN(
            int64_t n, ledger_->ImpressionsSince(user.id, c.group->id,
                                                 now_ms - cap.window_hours * ads::kHourMs,
                                                 cap.impressions));
        c.recent_impressions = static_cast<int32_t>(n);
      }
    }
    return absl::OkStatus();
  };

  // Walk the page: an open slot takes the auction's winner, if any, before the organic item.
  size_t next = 0;
  while (next < items.size()) {
    const FeedItem& organic = items[next];
    if (ads::SlotOpen(options_.slots, viewer.so_far)) {
      if (!built) {
        if (absl::Status st = build(); !st.ok()) {
          release_all();
          return st;
        }
      }
      std::vector<ads::AdCandidate> slot;
      std::vector<size_t> index_of;
      for (size_t i = 0; i < shortlist.size(); ++i) {
        const ads::AdCandidate& c = shortlist[i];
        // The organic rules on the other side too: not the next item's creator or sound.
        if (c.creator == organic.entry->video.creator ||
            (!c.sound.empty() && c.sound == organic.entry->video.sound)) {
          continue;
        }
        slot.push_back(c);
        index_of.push_back(i);
      }
      ads::AuctionRequest req{.viewer = &profile, .now_ms = now_ms,
                              .placement = options_.placement,
                              .reserve_micros = organic.candidate.value * options_.micros_per_value,
                              .hidden_accounts = &hidden, .previous_ad = viewer.last_ad};
      if (!out.empty()) {
        req.previous_creator = out.back().entry->video.creator;
        req.previous_sound = out.back().entry->video.sound;
      }
      const ads::AuctionResult r = ads::RunAuction(options_.auction, req, slot);
      if (r.winner >= 0) {
        const size_t w = index_of[r.winner];
        const Active& a = *shortlisted[w];
        absl::StatusOr<ads::Reservation> hold =
            pacer_->Reserve(a.campaign, a.group, r.charge_micros, now_ms);
        const auto found = index->by_key.find(a.video_key);
        if (hold.ok() && found != index->by_key.end()) {
          holds.push_back(*hold);
          FeedItem ad_item;
          ad_item.entry = index->all[found->second];
          ad_item.candidate = ad_item.entry->proto;
          ad_item.candidate.video = &ad_item.entry->video;
          ad_item.reason = "Sponsored";
          auto sponsored = std::make_shared<SponsoredItem>();
          sponsored->ad = a.ad.id;
          sponsored->ad_group = a.group.id;
          sponsored->campaign = a.campaign.id;
          sponsored->account = a.campaign.account;
          sponsored->call_to_action = a.ad.call_to_action;
          sponsored->landing_url = a.ad.landing_url;
          sponsored->billed = r.billed;
          sponsored->charge_micros = r.charge_micros;
          ad_item.ad = std::move(sponsored);
          placed.emplace_back(ServedKey(page->request_id, static_cast<int64_t>(out.size())),
                              shortlisted[w]);
          records.push_back({.request_id = page->request_id,
                             .position = static_cast<int32_t>(out.size()), .user = user.id,
                             .account = a.campaign.account, .campaign = a.campaign.id,
                             .ad_group = a.group.id, .ad = a.ad.id, .video = a.ad.video,
                             .billed = r.billed, .charge_micros = r.charge_micros,
                             .served_ms = now_ms});
          out.push_back(std::move(ad_item));
          viewer.last_ad = a.ad.id;
          viewer.so_far.organic_since_ad = 0;
          ++viewer.so_far.items;
          // One ad group per page: its frequency count is not live within the page.
          shortlist.erase(shortlist.begin() + static_cast<std::ptrdiff_t>(w));
          shortlisted.erase(shortlisted.begin() + static_cast<std::ptrdiff_t>(w));
          continue;
        }
      }
    }
    out.push_back(items[next++]);
    ++viewer.so_far.items;
    if (viewer.so_far.organic_since_ad >= 0) ++viewer.so_far.organic_since_ad;
  }
  // The holds outlive a restart: written before the page goes out.
  if (absl::Status st = ads::PutServedAds(store_, records); !st.ok()) {
    release_all();
    return st;
  }
  items = std::move(out);
  viewer.seen_ms = now_ms;
  common::MutexLock lock(&mu_);
  for (size_t i = 0; i < placed.size(); ++i) {
    Served s;
    s.active = placed[i].second;
    s.user = user.id;
    s.served_ms = now_ms;
    s.held = true;
    s.hold = holds[i];
    for (const FeedItem& item : items) {
      if (item.ad != nullptr && item.ad->ad == s.active->ad.id) s.item = item.ad;
    }
    viewer.recent_ads.emplace_back(s.active->video_key, placed[i].first);
    served_[placed[i].first] = std::move(s);
  }
  if (viewer.recent_ads.size() > 8) {
    viewer.recent_ads.erase(viewer.recent_ads.begin(), viewer.recent_ads.end() - 8);
  }
  viewers_[user.id] = std::move(viewer);
  return absl::OkStatus();
}

absl::Status AdStage::ReleaseExpired(int64_t now_ms) {
  std::vector<std::pair<std::string, int32_t>> expired;
  {
    common::MutexLock lock(&mu_);
    expired = ExpireLocked(now_ms);
  }
  if (expired.empty()) return absl::OkStatus();
  return ads::DeleteServedAds(store_, expired);
}

std::vector<std::pair<std::string, int32_t>> AdStage::ExpireLocked(int64_t now_ms) {
  std::vector<std::pair<std::string, int32_t>> gone;
  if (now_ms - expired_ms_ < kSweepMs) return gone;
  expired_ms_ = now_ms;
  for (auto it = served_.begin(); it != served_.end();) {
    Served& s = it->second;
    const int64_t age = now_ms - s.served_ms;
    if (age <= options_.billing_window_ms) {
      // No impression yet: the viewer most likely left before the ad; its budget serves again.
      // The slot stays known until the billing window ends, so a late event still finds it.
      if (s.held && !s.impression && age > options_.impression_window_ms) {
        pacer_->Release(s.hold);
        s.held = false;
        s.released = true;
      }
      ++it;
      continue;
    }
    if (s.held) pacer_->Release(s.hold);
    const size_t split = it->first.find('\n');
    int32_t position = 0;
    if (absl::SimpleAtoi(absl::string_view(it->first).substr(split + 1), &position)) {
      gone.emplace_back(it->first.substr(0, split), position);
    }
    served_.erase(it++);
  }
  for (auto it = viewers_.begin(); it != viewers_.end();) {
    if (now_ms - it->second.seen_ms > ads::kDayMs) {
      viewers_.erase(it++);
    } else {
      ++it;
    }
  }
  return gone;
}

absl::Status AdStage::Bill(const std::string& key, ads::EventKind kind, const stream::Event& e,
                           int64_t now_ms) {
  std::shared_ptr<const Active> active;
  std::optional<ads::Reservation> hold;
  bool late = false;  // the billed event of a slot whose hold went back
  int64_t charge = 0;
  {
    common::MutexLock lock(&mu_);
    auto it = served_.find(key);
    if (it == served_.end() || it->second.user != e.user) return absl::OkStatus();
    Served& s = it->second;
    bool* done = kind == ads::EventKind::kImpression ? &s.impression
                 : kind == ads::EventKind::kView2s   ? &s.view2s
                 : kind == ads::EventKind::kView6s   ? &s.view6s
                                                     : &s.click;
    if (*done) return absl::OkStatus();
    *done = true;
    active = s.active;
    // A view goal's billed event is the 6 s view (GoalKind).
    if (ads::GoalKind(s.item->billed) == kind) {
      charge = s.item->charge_micros;
      if (s.held) {
        hold = s.hold;
        s.held = false;
      } else if (s.released) {
        late = true;
        s.released = false;
      }
    }
  }
  const size_t split = key.find('\n');
  ads::LedgerEntry entry{
      .event_id = absl::StrCat(ads::Name(kind), "_", key.substr(0, split), "_",
                               key.substr(split + 1)),  // AdEventId
      .kind = kind, .user = e.user, .account = active->campaign.account,
      .campaign = active->campaign.id, .ad_group = active->group.id, .ad = active->ad.id,
      .time_ms = now_ms};
  if (late) {
    // The hold went back at the impression window: the charge is held again now and settled
    // below like any hold, so it takes neither a spent budget nor another ad's hold; without
    // room for it the event is free.
    absl::StatusOr<ads::Reservation> again =
        pacer_->Reserve(active->campaign, active->group, charge, now_ms);
    if (again.ok()) hold = *again;
  }
  absl::StatusOr<bool> added = false;
  if (hold.has_value()) {
    entry.charge_micros = charge;
    added = pacer_->Settle(*hold, entry);  // the hold is released either way
    if (absl::IsResourceExhausted(added.status())) {
      // An unreserved charge took the budget first: the event is free.
      entry.charge_micros = 0;
      added = ledger_->Append(entry, ads::BudgetLimits{});
    }
  } else {
    added = ledger_->Append(entry, ads::BudgetLimits{});
  }
  if (!added.ok()) {
    // Not written: the next copy of the event may bill it (the ledger keeps it to one).
    common::MutexLock lock(&mu_);
    auto it = served_.find(key);
    if (it != served_.end()) {
      Served& s = it->second;
      (kind == ads::EventKind::kImpression ? s.impression
       : kind == ads::EventKind::kView2s   ? s.view2s
       : kind == ads::EventKind::kView6s   ? s.view6s
                                           : s.click) = false;
      if (late) {
        s.released = true;  // a late event's hold was taken for this try only
      } else if (hold.has_value() && !s.held) {
        absl::StatusOr<ads::Reservation> again =
            pacer_->Reserve(active->campaign, active->group, charge, now_ms);
        if (again.ok()) {
          s.hold = *again;
          s.held = true;
        }
      }
    }
    return added.status();
  }
  return absl::OkStatus();
}

std::string AdStage::FindServedLocked(const std::string& user, std::string_view video,
                                      std::string_view request_id) {
  auto v = viewers_.find(user);
  if (v == viewers_.end()) return "";
  const uint64_t key = common::VideoKey(video);
  const std::string prefix =
      absl::StrCat(absl::string_view(request_id.data(), request_id.size()), "\n");
  for (auto it = v->second.recent_ads.rbegin(); it != v->second.recent_ads.rend(); ++it) {
    if (it->first != key) continue;
    if (!request_id.empty() && it->second.rfind(prefix, 0) != 0) continue;
    return it->second;
  }
  return "";
}

absl::Status AdStage::Observe(absl::Span<const stream::Event> events, int64_t now_ms) {
  // Best effort, as in Place: a served ad left in the database is deleted later.
  ReleaseExpired(now_ms).IgnoreError();
  absl::Status first;
  auto keep = [&](absl::Status st) {
    if (first.ok() && !st.ok()) first = std::move(st);
  };
  for (const stream::Event& e : events) {
    using stream::EventType;
    if (e.type == EventType::kImpression || e.type == EventType::kAdClick) {
      keep(Bill(ServedKey(e.request_id, e.position),
                e.type == EventType::kAdClick ? ads::EventKind::kClick
                                              : ads::EventKind::kImpression,
                e, now_ms));
      continue;
    }
    const bool view = e.type == EventType::kPlay || e.type == EventType::kSkip;
    if (!view && e.type != EventType::kNotInterested) continue;
    std::string key, account;
    {
      common::MutexLock lock(&mu_);
      key = FindServedLocked(e.user, e.video, e.request_id);
      auto it = key.empty() ? served_.end() : served_.find(key);
      if (it == served_.end()) continue;
      account = it->second.active->campaign.account;
    }
    if (!view) {
      keep(store_->HideAdvertiser(e.user, account));
      continue;
    }
    // A play or skip ends the view of the ad: 2 s and 6 s views, each billed once.
    if (e.watch_ms >= 2000 || e.completed) keep(Bill(key, ads::EventKind::kView2s, e, now_ms));
    if (e.watch_ms >= 6000 || e.completed) keep(Bill(key, ads::EventKind::kView6s, e, now_ms));
  }
  return first;
}

absl::Status AdStage::Restore(int64_t now_ms) {
  FORYOU_ASSIGN_OR_RETURN(std::vector<ads::ServedAd> stored, ads::LoadServedAds(*store_));
  // Oldest first, so each viewer's recent ads end newest last.
  std::sort(stored.begin(), stored.end(), [](const ads::ServedAd& a, const ads::ServedAd& b) {
    return a.served_ms < b.served_ms;
  });
  absl::flat_hash_map<std::string, std::shared_ptr<const Active>> by_ad;
  std::vector<std::pair<std::string, int32_t>> gone;
  std::vector<std::pair<std::string, Served>> back;
  for (const ads::ServedAd& r : stored) {
    if (now_ms - r.served_ms > options_.billing_window_ms) {
      gone.emplace_back(r.request_id, r.position);
      continue;
    }
    std::shared_ptr<const Active>& active = by_ad[r.ad];
    if (active == nullptr) {
      auto a = std::make_shared<Active>();
      absl::StatusOr<ads::Ad> ad = store_->GetAd(r.ad);
      absl::StatusOr<ads::AdGroup> group = store_->GetAdGroup(r.ad_group);
      absl::StatusOr<ads::Campaign> campaign = store_->GetCampaign(r.campaign);
      for (const absl::Status& st : {ad.status(), group.status(), campaign.status()}) {
        if (!st.ok() && !absl::IsNotFound(st)) return st;
      }
      // Records are never deleted; a served ad naming a missing one bills nothing.
      if (!ad.ok() || !group.ok() || !campaign.ok()) {
        by_ad.erase(r.ad);
        gone.emplace_back(r.request_id, r.position);
        continue;
      }
      a->ad = *std::move(ad);
      a->group = *std::move(group);
      a->campaign = *std::move(campaign);
      a->video_key = common::VideoKey(r.video);
      active = std::move(a);
    }
    auto item = std::make_shared<SponsoredItem>();
    item->ad = r.ad;
    item->ad_group = r.ad_group;
    item->campaign = r.campaign;
    item->account = r.account;
    item->call_to_action = active->ad.call_to_action;
    item->landing_url = active->ad.landing_url;
    item->billed = r.billed;
    item->charge_micros = r.charge_micros;
    Served s;
    s.active = active;
    s.item = std::move(item);
    s.user = r.user;
    s.served_ms = r.served_ms;
    // Billed before the restart: nothing left to hold. Otherwise the charge is held again,
    // unless the impression has not come within its window (the hold had gone back).
    absl::StatusOr<ads::LedgerEntry> billed =
        ledger_->Find(AdEventId(ads::GoalKind(r.billed), r.request_id, r.position));
    if (!billed.ok() && !absl::IsNotFound(billed.status())) return billed.status();
    if (r.billed == ads::Goal::kImpression) {
      s.impression = billed.ok();
    } else if (!billed.ok()) {
      absl::StatusOr<ads::LedgerEntry> shown =
          ledger_->Find(AdEventId(ads::EventKind::kImpression, r.request_id, r.position));
      if (!shown.ok() && !absl::IsNotFound(shown.status())) return shown.status();
      s.impression = shown.ok();
    }
    if (!billed.ok() && !s.impression && now_ms - r.served_ms > options_.impression_window_ms) {
      s.released = true;
    } else if (!billed.ok() && r.charge_micros > 0) {
      absl::StatusOr<ads::Reservation> hold =
          pacer_->Reserve(active->campaign, active->group, r.charge_micros, now_ms);
      // No room left (spent meanwhile): the billed event, if it comes, is free.
      if (hold.ok()) {
        s.held = true;
        s.hold = *std::move(hold);
      }
    }
    back.emplace_back(ServedKey(r.request_id, r.position), std::move(s));
  }
  {
    common::MutexLock lock(&mu_);
    for (auto& [key, s] : back) {
      Viewer& v = viewers_[s.user];
      v.seen_ms = std::max(v.seen_ms, s.served_ms);
      v.recent_ads.emplace_back(s.active->video_key, key);
      if (v.recent_ads.size() > 8) v.recent_ads.erase(v.recent_ads.begin());
      served_[key] = std::move(s);
    }
  }
  return ads::DeleteServedAds(store_, gone);
}

}  // namespace foryou::feed
