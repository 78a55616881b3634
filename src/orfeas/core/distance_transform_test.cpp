#include "orfeas/core/distance_transform.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace orfeas {
namespace {

// O(n^2) reference: the definition itself.
DistanceField2D brute_force(int w, int h, const std::vector<std::uint8_t>& cells, std::uint8_t site) {
  DistanceField2D out;
  out.width = w;
  out.height = h;
  out.distance.assign(static_cast<std::size_t>(w * h), std::numeric_limits<float>::infinity());
  out.nearest.assign(static_cast<std::size_t>(w * h), DistanceField2D::kNoSite);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      float best = std::numeric_limits<float>::infinity();
      for (int sy = 0; sy < h; ++sy) {
        for (int sx = 0; sx < w; ++sx) {
          if (cells[static_cast<std::size_t>(sy * w + sx)] != site) continue;
          const auto d = static_cast<float>(std::hypot(x - sx, y - sy));
          best = std::min(best, d);
        }
      }
      out.distance[static_cast<std::size_t>(y * w + x)] = best;
    }
  }
  return out;
}

TEST(DistanceTransformTest, MatchesBruteForceOnRandomGrids) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 20; ++trial) {
    const int w = 5 + static_cast<int>(rng() % 40);
    const int h = 5 + static_cast<int>(rng() % 40);
    std::vector<std::uint8_t> cells(static_cast<std::size_t>(w * h));
    for (auto& c : cells) c = (rng() % 17 == 0) ? 1 : 0;
    const auto fast = distance_transform(w, h, cells, 1);
    const auto slow = brute_force(w, h, cells, 1);
    for (std::size_t i = 0; i < cells.size(); ++i) {
      ASSERT_NEAR(fast.distance[i], slow.distance[i], 1e-4F) << "trial " << trial << " cell " << i;
      if (std::isfinite(slow.distance[i])) {
        // The nearest site must be a site at exactly that distance (ties may pick either).
        const std::uint32_t s = fast.nearest[i];
        ASSERT_NE(s, DistanceField2D::kNoSite);
        ASSERT_EQ(cells[s], 1);
        const auto dx =
            static_cast<int>(s % static_cast<std::uint32_t>(w)) - static_cast<int>(i % static_cast<std::size_t>(w));
        const auto dy =
            static_cast<int>(s / static_cast<std::uint32_t>(w)) - static_cast<int>(i / static_cast<std::size_t>(w));
        ASSERT_NEAR(std::hypot(dx, dy), slow.distance[i], 1e-4);
      }
    }
  }
}

TEST(DistanceTransformTest, NoSitesGivesInfinity) {
  const std::vector<std::uint8_t> cells(12, 0);
  const auto field = distance_transform(4, 3, cells, 1);
  for (float d : field.distance) EXPECT_TRUE(std::isinf(d));
  for (auto s : field.nearest) EXPECT_EQ(s, DistanceField2D::kNoSite);
}

TEST(DistanceTransformTest, SingleSiteGivesEuclideanDistance) {
  std::vector<std::uint8_t> cells(100 * 80, 0);
  cells[static_cast<std::size_t>(30 * 100 + 20)] = 1;
  const auto field = distance_transform(100, 80, cells, 1);
  EXPECT_FLOAT_EQ(field.distance[static_cast<std::size_t>(30 * 100 + 20)], 0.0F);
  EXPECT_NEAR(field.distance[static_cast<std::size_t>(70 * 100 + 50)], std::hypot(30.0F, 40.0F), 1e-4F);
  EXPECT_EQ(field.nearest[static_cast<std::size_t>(5 * 100 + 99)], 30U * 100U + 20U);
}

}  // namespace
}  // namespace orfeas
