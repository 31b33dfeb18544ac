// WatchNextOptions: the knobs of the watch-next model (WatchNext, watch_next.h) and its parts.
// The ones the config can set are listed, with ranges, in docs/design/feed_options.md.
//
// Example:
//   WatchNextOptions options;
//   options.learn_from_impressions = true;  // replaying a platform's log
//   WatchNext watch_next(options);
#pragma once

#include <cstddef>
#include <cstdint>

#include "feed/item_item.h"

namespace foryou::feed {

struct WatchNextOptions {
  bool enabled = true;
  int dim = 48;              // two-tower embedding size
  int context = 20;          // recent shown videos forming the user (two-tower and co-visitation)
  bool user_embedding = false;  // the user tower adds a learned per-user vector to the mean
  float context_decay = 1.0f;   // the j-th newest context video weighs decay^j in the mean
  // What co-visitation, the recent list and the two-tower learn from: every impression, or only
  // long views and positive actions. Impressions imitate whatever chose the exposures; on our own
  // traffic that is our own feed, a feedback loop (docs/design/feed.md).
  bool learn_from_impressions = false;
  // Also learn from impressions another recommender chose (not this feed's own request ids):
  // what that recommender exposes is what its users go on to watch.
  bool learn_from_foreign_impressions = true;
  int covis_window = 10;     // impressions apart that still count as co-visited
  int history_tail = 30;     // newest history videos per user the two-tower pre-trains on
  int batch = 256;           // examples per online training step
  int negatives = 512;       // uniform negatives per step (shared by the batch)
  int pretrain_batch = 1024;
  int pretrain_negatives = 1024;
  int pretrain_epochs = 2;
  float learning_rate = 3e-3f;
  size_t max_neighbours = 256;  // live co-visitation entries kept per video (smallest dropped)
  int64_t counters_refresh_ms = 1000;
  // Blend weights (log1p of counts; the two-tower logit as is).
  float w_long_views_6h = 1.0f, w_long_views_24h = 0.5f, w_impressions_1h = 0.3f;
  float w_covis = 1.5f, w_history_covis = 1.5f, w_sequence = 2.0f;
  // The item-item model: off (not fitted, no memory) while its weight is 0.
  float w_item_item = 0.0f;
  ItemItemOptions item_item;
  int item_item_user_items = 100;                 // distinct videos kept per user for it
  int64_t item_item_refit_ms = 6 * 3'600'000LL;   // event time between fits (0: only FitItemItem)
  // Also fit whenever the (user, video) pairs learned have doubled since the last fit, from this
  // many on: a server that starts without histories gets a first model within minutes, not at
  // its first period boundary. 0: only the periods (item_item_refit_ms 0 turns both off).
  uint64_t item_item_growth_fit = 1000;
  bool item_item_background = true;               // fit on a background thread (false: inline)
  // Users kept (recent list, item-item list, embedding row). Past it the least recently active
  // eighth is forgotten: a forgotten user scores as a new one until their next events.
  size_t max_users = 2'000'000;
  uint64_t seed = 7;
};

}  // namespace foryou::feed
