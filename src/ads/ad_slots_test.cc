// Ad slot positions: the first at 4, the gaps, the share and the configured load.
#include "ads/ad_slots.h"

#include <vector>

#include "gtest/gtest.h"

namespace foryou::ads {
namespace {

bool SlotOpen(const SlotOptions& o, const std::vector<bool>& shown) {
  FeedSoFar f{.items = static_cast<int64_t>(shown.size())};
  for (size_t i = 0; i < shown.size(); ++i) {
    if (shown[i]) f.organic_since_ad = 0;
    else if (f.organic_since_ad >= 0) ++f.organic_since_ad;
  }
  return ads::SlotOpen(o, f);
}

// Fills a feed of `n` items, putting an ad wherever a slot opens (every auction won).
std::vector<bool> Fill(const SlotOptions& o, int n) {
  std::vector<bool> shown;
  while (static_cast<int>(shown.size()) < n) shown.push_back(SlotOpen(o, shown));
  return shown;
}

TEST(AdSlotsTest, DefaultLoadIsOneInTenFromPositionFour) {
  const SlotOptions o;
  ASSERT_TRUE(Validate(o).ok());
  const std::vector<bool> feed = Fill(o, 100);
  std::vector<int> ads;
  for (int i = 0; i < 100; ++i) {
    if (feed[i]) ads.push_back(i + 1);
  }
  ASSERT_FALSE(ads.empty());
  EXPECT_EQ(ads[0], 4);
  for (size_t k = 1; k < ads.size(); ++k) EXPECT_EQ(ads[k] - ads[k - 1], 10);
  EXPECT_EQ(ads.size(), 10u);
}

TEST(AdSlotsTest, HighestAllowedLoadKeepsTheGapsAndTheShare) {
  SlotOptions o;
  o.ad_every = 6;  // the most the rules allow: five organic items between ads
  ASSERT_TRUE(Validate(o).ok());
  const std::vector<bool> feed = Fill(o, 200);
  int last = -100;
  for (int i = 0; i < 200; ++i) {
    if (!feed[i]) continue;
    EXPECT_GE(i + 1, 4);
    EXPECT_GE(i - last - 1, 5) << "position " << i + 1;
    last = i;
  }
  for (int i = 0; i + 5 <= 200; ++i) {
    int in_window = 0;
    for (int k = i; k < i + 5; ++k) in_window += feed[k];
    EXPECT_LE(in_window, 1);
  }
}

TEST(AdSlotsTest, AnUnfilledSlotStaysOpen) {
  const SlotOptions o;
  std::vector<bool> shown = {false, false, false};
  EXPECT_TRUE(SlotOpen(o, shown));
  shown.push_back(false);  // the auction left it organic
  EXPECT_TRUE(SlotOpen(o, shown));
  shown.push_back(true);
  for (int i = 0; i < 8; ++i) {
    shown.push_back(false);
    EXPECT_FALSE(SlotOpen(o, shown)) << i;
  }
  shown.push_back(false);
  EXPECT_TRUE(SlotOpen(o, shown));
}

TEST(AdSlotsTest, ConfigurationCannotBreakTheRules) {
  SlotOptions o;
  o.first_position = 3;
  EXPECT_EQ(Validate(o).message(), "ads.slots.first_position: must be >= 4");
  o = SlotOptions{};
  o.min_organic_between = 4;
  EXPECT_EQ(Validate(o).message(), "ads.slots.min_organic_between: must be >= 5");
  o = SlotOptions{};
  o.ad_every = 5;
  EXPECT_EQ(Validate(o).message(), "ads.slots.ad_every: must be >= 6");
  o = SlotOptions{};
  o.ad_every = 30;
  o.first_position = 20;
  EXPECT_TRUE(Validate(o).ok());
  EXPECT_FALSE(SlotOpen(o, std::vector<bool>(18, false)));
  EXPECT_TRUE(SlotOpen(o, std::vector<bool>(19, false)));
}

}  // namespace
}  // namespace foryou::ads
