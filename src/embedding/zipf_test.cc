// Tests of ZipfSampler: the sampled frequencies match the Zipf pmf, and a seed fixes the stream.
#include "embedding/zipf.h"

#include <cmath>
#include <cstdint>
#include <vector>

#include "gtest/gtest.h"

namespace foryou::embedding {
namespace {

// The exact pmf of Zipf(s) over ranks [0, n).
std::vector<double> ZipfPmf(uint64_t n, double s) {
  std::vector<double> pmf(n);
  double total = 0;
  for (uint64_t r = 0; r < n; ++r) total += pmf[r] = std::pow(static_cast<double>(r + 1), -s);
  for (double& p : pmf) p /= total;
  return pmf;
}

// |observed - expected| within `sigmas` binomial standard deviations (plus one count).
void ExpectCountNear(uint64_t observed, double p, uint64_t samples, double sigmas,
                     const char* what) {
  const double expected = p * static_cast<double>(samples);
  const double sd = std::sqrt(expected * (1.0 - p));
  EXPECT_NEAR(static_cast<double>(observed), expected, sigmas * sd + 1.0) << what;
}

TEST(ZipfSamplerTest, TopRanksAndDecadesMatchPmf) {
  constexpr uint64_t kN = 1'000'000;
  constexpr double kS = 0.99;
  constexpr uint64_t kSamples = 2'000'000;
  const std::vector<double> pmf = ZipfPmf(kN, kS);

  ZipfSampler zipf(kN, kS, /*seed=*/42);
  std::vector<uint64_t> top(20, 0);
  std::vector<uint64_t> decade(7, 0);  // ranks [10^d - 1, 10^(d+1) - 1)
  for (uint64_t i = 0; i < kSamples; ++i) {
    const uint64_t r = zipf.Next();
    ASSERT_LT(r, kN);
    if (r < top.size()) ++top[r];
    ++decade[static_cast<size_t>(std::log10(static_cast<double>(r + 1)))];
  }
  for (size_t r = 0; r < top.size(); ++r) {
    ExpectCountNear(top[r], pmf[r], kSamples, 5.0, ("rank " + std::to_string(r)).c_str());
  }
  // Rank 0 must get about 1 / H(n, s) of the mass (~6.5%): a sanity check of the scale.
  EXPECT_NEAR(static_cast<double>(top[0]) / kSamples, pmf[0], 0.002);
  uint64_t lo = 1;
  for (size_t d = 0; d < decade.size(); ++d, lo *= 10) {
    double p = 0;
    for (uint64_t k = lo; k < lo * 10 && k <= kN; ++k) p += pmf[k - 1];
    ExpectCountNear(decade[d], p, kSamples, 5.0, ("decade " + std::to_string(d)).c_str());
  }
}

TEST(ZipfSamplerTest, SmallSupportsMatchPmfAcrossExponents) {
  constexpr uint64_t kSamples = 400'000;
  for (const double s : {0.0, 0.5, 1.0, 1.5, 2.5}) {
    for (const uint64_t n : {uint64_t{1}, uint64_t{2}, uint64_t{7}, uint64_t{50}}) {
      const std::vector<double> pmf = ZipfPmf(n, s);
      ZipfSampler zipf(n, s, /*seed=*/7);
      std::vector<uint64_t> counts(n, 0);
      for (uint64_t i = 0; i < kSamples; ++i) {
        const uint64_t r = zipf.Next();
        ASSERT_LT(r, n) << "s=" << s;
        ++counts[r];
      }
      for (uint64_t r = 0; r < n; ++r) {
        ExpectCountNear(
            counts[r], pmf[r], kSamples, 5.0,
            ("s=" + std::to_string(s) + " n=" + std::to_string(n) + " rank=" + std::to_string(r))
                .c_str());
      }
    }
  }
}

TEST(ZipfSamplerTest, SameSeedSameStreamOtherSeedOtherStream) {
  ZipfSampler a(1'000'000, 0.99, 1), b(1'000'000, 0.99, 1), c(1'000'000, 0.99, 2);
  int differ = 0;
  for (int i = 0; i < 100'000; ++i) {
    const uint64_t ra = a.Next();
    ASSERT_EQ(ra, b.Next()) << "draw " << i;
    differ += ra != c.Next();
  }
  EXPECT_GT(differ, 50'000);
}

TEST(ZipfSamplerTest, HugeSupportStaysInRange) {
  constexpr uint64_t kN = uint64_t{1} << 48;
  ZipfSampler zipf(kN, 0.99, 3);
  uint64_t max_rank = 0;
  for (int i = 0; i < 100'000; ++i) {
    const uint64_t r = zipf.Next();
    ASSERT_LT(r, kN);
    max_rank = std::max(max_rank, r);
  }
  EXPECT_GT(max_rank, uint64_t{1} << 30);  // the tail is heavy at s < 1
}

}  // namespace
}  // namespace foryou::embedding
