// ItemItemFitter: the current item-item model and its refitting thread (see the header).
#include "feed/item_item_fitter.h"

#include <utility>

namespace foryou::feed {

ItemItemFitter::ItemItemFitter(ItemItemOptions options, bool background)
    : options_(options), background_(background) {}

ItemItemFitter::~ItemItemFitter() { Wait(); }

void ItemItemFitter::Wait() {
  common::MutexLock lock(&thread_mu_);
  if (thread_.joinable()) thread_.join();
}

absl::Status ItemItemFitter::Fit(const std::vector<std::vector<uint32_t>>& sets,
                                 uint32_t num_items) {
  absl::StatusOr<std::shared_ptr<const ItemItemModel>> model =
      ItemItemModel::Fit(sets, num_items, options_);
  if (!model.ok()) return model.status();
  common::MutexLock lock(&model_mu_);
  model_ = *std::move(model);
  ++fits_;
  return absl::OkStatus();
}

void ItemItemFitter::Start(std::function<void()> fit) {
  if (!background_) {
    fit();
    return;
  }
  if (fitting_.exchange(true)) return;  // one fit at a time
  common::MutexLock lock(&thread_mu_);
  if (thread_.joinable()) thread_.join();  // the previous fit, finished (fitting_ was false)
  thread_ = std::thread([this, fit = std::move(fit)] {
    fit();
    fitting_ = false;
  });
}

ItemItemFitter::Snapshot ItemItemFitter::snapshot() const {
  common::MutexLock lock(&model_mu_);
  return {model_, fits_};
}

}  // namespace foryou::feed
