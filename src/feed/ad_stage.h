// AdStage: the ads of the For You feed, the stage after FeedService has arranged a page
// (docs/design/ads.md, "In the feed"). It opens ad slots by the slot rules (ads/ad_slots.h),
// runs one auction per open slot (ads/auction.h) among the active ad groups with the serving
// model's predictions for the viewer and each ad's video, against the value of the organic item
// the ad would replace, and holds the winner's charge in the pacer. The viewer's events on a
// served ad (impression, 2 s / 6 s view, click, "not interested") bill it through the ledger,
// once per event kind and slot, and hide the advertiser.
//
// Ads are off while no ad group is active: Place returns the page unchanged, and MayServe (one
// atomic read) says so before the caller looks anything up for Place.
//
// Each served ad (its slot, viewer, billed event and charge) is written to the ads database
// before the page goes out (ads/served_ads.h) and deleted when its billing window ends, so a
// stage opened after a restart (Restore) still bills the events of the pages served before it.
// A hold whose impression does not come within the impression window is released earlier;
// ReleaseExpired does both, called by Place, Observe and the server's periodic work.
//
// Cost Cap and Lowest Cost groups bid through ads::BidControllers (the factor and the bid from
// the ledger's figures and the pacer's plan), kept by the stage in memory.
//
// Thread-safe: Place and Observe may run on any number of request threads. The store, ledger,
// pacer and scorer must outlive the stage.
//
// Example:
//   AdStage ads(AdStageOptions{}, &store, &ledger, &pacer, &scorer);
//   FORYOU_ASSIGN_OR_RETURN(FeedPage page, feed.Feed("u1", 10, now));
//   FORYOU_RETURN_IF_ERROR(ads.Place(*user, feed.index(), now, &page));
//   ... later, the viewer's events:  ads.Observe(events, now);
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/types/span.h"
#include "ads/ad_slots.h"
#include "ads/ads_store.h"
#include "ads/auction.h"
#include "ads/bid_controllers.h"
#include "ads/ledger.h"
#include "ads/pacer.h"
#include "catalog/types.h"
#include "common/mutex.h"
#include "feed/feed_service.h"
#include "feed/scorer.h"
#include "feed/video_index.h"
#include "stream/event.h"

namespace foryou::feed {

struct AdStageOptions {
  ads::SlotOptions slots;
  ads::AuctionOptions auction;
  // Ad groups pre-ranked on their bid and a prior rate, of which this many are scored by the
  // model and enter the auctions of a page.
  int32_t shortlist = 16;
  // The organic value (Candidate::value) in micros per impression: the reserve of a slot is the
  // replaced item's value times this.
  double micros_per_value = 5'000;
  // The viewer-experience term: (p_like + p_long_view - p_hate) of the ad's video times this.
  double experience_micros = 5'000;
  // The model has no head for an ad's call to action or a conversion: a click goal's p is the
  // model's p(click) (a play) times cta_per_play, a conversion goal's that times cvr_per_cta.
  double cta_per_play = 0.05;
  double cvr_per_cta = 0.1;
  // A served ad's events bill within this long; then an unbilled hold is released.
  int64_t billing_window_ms = 30 * 60'000;
  // A served ad whose impression has not come within this long (the viewer left before it)
  // gives its hold back; once the impression came, a click- or view-billed ad's hold waits
  // for its billed event up to billing_window_ms. In [1000, billing_window_ms].
  int64_t impression_window_ms = 5 * 60'000;
  // The Cost Cap factor and the Lowest Cost bid (ads/bid_controllers.h).
  ads::BidControllerOptions bid_controllers;
  std::string placement = "foryou";
  std::string surface = "foryou";
  int32_t utc_offset_minutes = 0;
};

// What an ad item of a page carries (FeedItem::ad).
// The ledger's event id of a served ad's event: "<kind>_<request id>_<position>", e.g.
// "click_r12-ab_4" (the click id an advertiser names in a conversion).
std::string AdEventId(ads::EventKind kind, std::string_view request_id, int64_t position);

struct SponsoredItem {
  std::string ad, ad_group, campaign, account;
  std::string call_to_action, landing_url;
  ads::Goal billed = ads::Goal::kImpression;
  int64_t charge_micros = 0;  // per billed event
};

class AdStage {
 public:
  AdStage(AdStageOptions options, ads::AdsStore* store, ads::Ledger* ledger, ads::Pacer* pacer,
          const Scorer* scorer);
  AdStage(const AdStage&) = delete;
  AdStage& operator=(const AdStage&) = delete;
  ~AdStage();  // releases the holds of ads still waiting for their billed event

  // InvalidArgument naming the knob for slot options that break the rules, a non-positive
  // shortlist, a window under 1 s, an impression window longer than the billing window, or
  // bid controller options out of range.
  [[nodiscard]] static absl::Status Validate(const AdStageOptions& options);

  // Reads back the served ads the database holds (written by Place before a restart): those
  // still in their billing window are served ads again, their charge held in the pacer unless
  // the ledger already has their billed event; the others are deleted. Call once, after the
  // ledger's Load and before the first Place / Observe. Errors: the store's and the ledger's.
  [[nodiscard]] absl::Status Restore(int64_t now_ms);

  // False when Place would surely place nothing now: the last read of the ad groups found none
  // active, and neither the ads store (its generation) nor the hour has changed since. Lock-free
  // (one atomic load beside the store's generation), so a feed request asks it before it looks
  // up what Place needs. True also before the first read.
  bool MayServe(int64_t now_ms) const;

  // Puts ads into `page` (as FeedService::Feed served it to `user` at now_ms): each winner takes
  // its slot and the organic items from there move down one. The page keeps every organic item
  // (so the feed's memory of the page's tail stays true) and grows by its ads, at most one in
  // SlotOptions::max_one_in. The page's served ads are written to the ads database before it
  // returns. Errors: the store's and the scorer's (the page is then as it was).
  [[nodiscard]] absl::Status Place(const catalog::User& user,
                                   const std::shared_ptr<const VideoIndex::Snapshot>& index,
                                   int64_t now_ms, FeedPage* page);

  // The viewer's events, after they are logged. On a served ad (matched by its request id and
  // position, or for plays, skips and "not interested" by the viewer and the video): an
  // impression, an ad click, a play or skip of 2 s and of 6 s go to the ledger, charged when
  // they are the ad's billed event and within the budget (event id AdEventId: a repeat is
  // charged once);
  // "not interested" hides the ad's advertiser from that viewer. Other events are ignored.
  // Returns the first error of the ledger or store (the other events still go through).
  absl::Status Observe(absl::Span<const stream::Event> events, int64_t now_ms);

  // Ad groups that may serve now (not paused, dated now, with an approved ad), as last read.
  int active_groups();

  // Releases the holds of served ads past their impression window without an impression and
  // of those past their billing window (which are forgotten and deleted from the ads
  // database); forgets viewers idle for a day. Does the work at most once a kSweepMs (earlier
  // calls return at once), so it may be called on every request and by a periodic task.
  // Errors: the store's deleting the expired served ads (they are deleted by a later call or
  // the next Restore).
  absl::Status ReleaseExpired(int64_t now_ms);
  static constexpr int64_t kSweepMs = 60'000;

  // The bid controllers the stage's auctions use (for reports and tests).
  ads::BidControllers& bid_controllers() { return bids_; }

 private:
  struct Active {  // one ad group that may serve, with its best ad
    ads::Campaign campaign;
    ads::AdGroup group;
    ads::Ad ad;
    std::string creator, sound;  // of the ad's video
    uint64_t video_key = 0;
  };
  struct Served {  // an ad on a page, until its billed event or the window's end
    std::shared_ptr<const Active> active;
    std::shared_ptr<const SponsoredItem> item;
    std::string user;
    int64_t served_ms = 0;
    bool held = false;
    ads::Reservation hold;
    // The hold was released before its billed event came (no impression within the impression
    // window): a late billed event is charged without a hold, within the budget left.
    bool released = false;
    bool impression = false, view2s = false, view6s = false, click = false;
  };
  struct Viewer {  // what this viewer's feed held so far
    ads::FeedSoFar so_far;
    std::string last_ad;
    int64_t seen_ms = 0;
    // The viewer's latest served ads: (video key, key in served_), newest last, at most 8.
    std::vector<std::pair<uint64_t, std::string>> recent_ads;
  };
  // The served_ key of `user`'s latest ad on `video` (of `request_id` when not empty); "" if
  // none.
  std::string FindServedLocked(const std::string& user, std::string_view video,
                               std::string_view request_id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // The active groups, re-read from the store when its generation moved.
  absl::StatusOr<std::shared_ptr<const std::vector<std::shared_ptr<const Active>>>> Groups(
      const VideoIndex::Snapshot& index, int64_t now_ms);
  // Bills (or records, unbilled) one event of a served ad.
  absl::Status Bill(const std::string& key, ads::EventKind kind, const stream::Event& e,
                    int64_t now_ms);
  // Releases the holds of served ads without an impression past the impression window; drops
  // served ads past the billing window (releasing their holds) and idle viewers; returns the
  // slots whose stored served ads are to be deleted (outside mu_). At most once a kSweepMs.
  std::vector<std::pair<std::string, int32_t>> ExpireLocked(int64_t now_ms)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Notes the outcome of a read of the active groups for MayServe.
  void NoteGroupsRead(uint64_t generation, int64_t hour, bool empty)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(groups_mu_);

  const AdStageOptions options_;
  ads::AdsStore* const store_;
  ads::Ledger* const ledger_;
  ads::Pacer* const pacer_;
  const Scorer* const scorer_;
  ads::BidControllers bids_;

  common::Mutex groups_mu_;
  uint64_t groups_generation_ ABSL_GUARDED_BY(groups_mu_) = ~0ull;
  int64_t groups_day_ ABSL_GUARDED_BY(groups_mu_) = -1;
  int64_t groups_hour_ ABSL_GUARDED_BY(groups_mu_) = -1;
  std::shared_ptr<const std::vector<std::shared_ptr<const Active>>> groups_
      ABSL_GUARDED_BY(groups_mu_);

  // (store generation << 20) | (hour & 0xFFFFF) of the last read that found no active group;
  // kAdsMayServe when the last read found some (or none was made).
  static constexpr uint64_t kAdsMayServe = ~0ull;
  std::atomic<uint64_t> no_ads_at_{kAdsMayServe};

  common::Mutex mu_;
  absl::flat_hash_map<std::string, Served> served_ ABSL_GUARDED_BY(mu_);  // "<request>\n<pos>"
  absl::flat_hash_map<std::string, Viewer> viewers_ ABSL_GUARDED_BY(mu_);
  int64_t expired_ms_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t draws_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace foryou::feed
