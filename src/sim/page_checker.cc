// Client-side check of the feed rules (see the header).
#include "sim/page_checker.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace foryou::sim {

uint64_t RuleViolations::total() const {
  return duplicate_in_page + already_served + creator_adjacent + creator_window + sound_adjacent +
         category_run + hidden_creator + moderation;
}

void RuleViolations::Add(const RuleViolations& o) {
  duplicate_in_page += o.duplicate_in_page;
  already_served += o.already_served;
  creator_adjacent += o.creator_adjacent;
  creator_window += o.creator_window;
  sound_adjacent += o.sound_adjacent;
  category_run += o.category_run;
  hidden_creator += o.hidden_creator;
  moderation += o.moderation;
}

std::string RuleViolations::ToString() const {
  return absl::StrCat("duplicate_in_page=", duplicate_in_page, " already_served=", already_served,
                      " creator_adjacent=", creator_adjacent, " creator_window=", creator_window,
                      " sound_adjacent=", sound_adjacent, " category_run=", category_run,
                      " hidden_creator=", hidden_creator, " moderation=", moderation);
}

void PageChecker::Check(const std::vector<ServedItem>& page,
                        const absl::flat_hash_set<std::string>& hidden_creators,
                        const std::function<bool(const std::string&)>& blocked,
                        RuleViolations* v, std::vector<std::string>* messages) {
  const int k = std::max(2, options_.creator_once_per);
  const int r = std::max(1, options_.max_category_run);
  const size_t keep = static_cast<size_t>(std::max(k, r + 1));
  auto say = [&](size_t i, const std::string& what) {
    if (messages != nullptr) messages->push_back(absl::StrCat("item ", i, ": ", what));
  };
  absl::flat_hash_set<std::string> on_page;
  for (size_t i = 0; i < page.size(); ++i) {
    const ServedItem& item = page[i];
    if (!on_page.insert(item.video).second) {
      ++v->duplicate_in_page;
      say(i, absl::StrCat(item.video, " twice on the page"));
    } else if (served_.contains(item.video)) {
      ++v->already_served;
      say(i, absl::StrCat(item.video, " was served before"));
    }
    if (hidden_creators.contains(item.creator)) {
      ++v->hidden_creator;
      say(i, absl::StrCat("creator ", item.creator, " is hidden"));
    }
    if (blocked(item.video)) {
      ++v->moderation;
      say(i, absl::StrCat(item.video, " is removed or pending"));
    }
    // Arrangement, over the tail of earlier pages followed by this page so far.
    if (!tail_.empty()) {
      const ServedItem& prev = tail_.back();
      if (prev.creator == item.creator) {
        ++v->creator_adjacent;
        say(i, absl::StrCat("same creator ", item.creator, " as the item before"));
      } else {
        const size_t look = std::min(tail_.size(), static_cast<size_t>(k - 1));
        for (size_t j = tail_.size() - look; j < tail_.size(); ++j) {
          if (tail_[j].creator == item.creator) {
            ++v->creator_window;
            say(i, absl::StrCat("creator ", item.creator, " twice within ", k, " items"));
            break;
          }
        }
      }
      if (!item.sound.empty() && prev.sound == item.sound) {
        ++v->sound_adjacent;
        say(i, absl::StrCat("same sound ", item.sound, " as the item before"));
      }
    }
    if (!item.category.empty() && tail_.size() >= static_cast<size_t>(r)) {
      bool run = true;
      for (size_t j = tail_.size() - static_cast<size_t>(r); j < tail_.size(); ++j) {
        run = run && tail_[j].category == item.category;
      }
      if (run) {
        ++v->category_run;
        say(i, absl::StrCat("more than ", r, " items of category ", item.category, " in a row"));
      }
    }
    served_.insert(item.video);
    tail_.push_back(item);
    if (tail_.size() > keep) tail_.pop_front();
  }
}

}  // namespace foryou::sim
