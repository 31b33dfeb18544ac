// ItemItemFitter: the watch-next score's current item-item model (ItemItemModel, EASE) and the
// thread that refits it. A fit reads every user's videos, solves in closed form (seconds at
// thousands of videos) and swaps the new model in whole; requests keep scoring with the previous
// one meanwhile. When to refit is the owner's decision (WatchNext: every refit period of event
// time, or when the data has doubled).
//
// Thread-safe. At most one background fit runs at a time; a start while one runs is dropped
// (that period's data joins the next fit).
//
// Example:
//   ItemItemFitter fitter(options.item_item, /*background=*/true);
//   fitter.Start([&] { (void)fitter.Fit(CollectSets(), num_videos); });
//   std::shared_ptr<const ItemItemModel> model = fitter.model();  // null before the first fit
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "common/mutex.h"
#include "feed/item_item.h"

namespace foryou::feed {

class ItemItemFitter {
 public:
  // `background` false: Start runs the fit on the caller's thread (reproducible runs).
  ItemItemFitter(ItemItemOptions options, bool background);
  ~ItemItemFitter();  // waits for a background fit
  ItemItemFitter(const ItemItemFitter&) = delete;
  ItemItemFitter& operator=(const ItemItemFitter&) = delete;

  // Fits a model on `sets` (per user, indexes < num_items of the videos they watched) on the
  // caller's thread and swaps it in. Errors from ItemItemModel::Fit; the old model then stays.
  [[nodiscard]] absl::Status Fit(const std::vector<std::vector<uint32_t>>& sets,
                                 uint32_t num_items);
  // Runs `fit` (which calls Fit) inline or on the background thread.
  void Start(std::function<void()> fit);
  // Waits for a background fit to finish.
  void Wait();

  struct Snapshot {
    std::shared_ptr<const ItemItemModel> model;  // null before the first fit
    uint64_t fits = 0;
  };
  Snapshot snapshot() const;
  std::shared_ptr<const ItemItemModel> model() const { return snapshot().model; }

 private:
  const ItemItemOptions options_;
  const bool background_;

  mutable common::Mutex model_mu_;
  std::shared_ptr<const ItemItemModel> model_ ABSL_GUARDED_BY(model_mu_);
  uint64_t fits_ ABSL_GUARDED_BY(model_mu_) = 0;

  common::Mutex thread_mu_;
  std::thread thread_ ABSL_GUARDED_BY(thread_mu_);
  std::atomic<bool> fitting_{false};
};

}  // namespace foryou::feed
