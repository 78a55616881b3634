#include "orfeas/shape/poisson.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <vector>

namespace orfeas::shape {
namespace {

// A level sampled at pixel centres (x + 0.5, y + 0.5).
std::vector<float> sampled(int size, const std::function<double(double, double)>& level) {
  std::vector<float> out(static_cast<std::size_t>(size) * static_cast<std::size_t>(size));
  for (int y = 0; y < size; ++y) {
    for (int x = 0; x < size; ++x) {
      out[static_cast<std::size_t>(y) * static_cast<std::size_t>(size) + static_cast<std::size_t>(x)] =
          static_cast<float>(level(x + 0.5, y + 0.5));
    }
  }
  return out;
}

// A disc of radius `radius` pixels around a centre off the pixel grid.
struct Disc {
  double cx;
  double cy;
  double radius;
  [[nodiscard]] double level(double x, double y) const { return radius - std::hypot(x - cx, y - cy); }
  [[nodiscard]] double exact(double x, double y) const {
    const double r = std::hypot(x - cx, y - cy);
    return (radius * radius - r * r) / 4.0;
  }
};

TEST(PoissonTest, DiscMatchesTheAnalyticParaboloid) {
  for (const int size : {64, 256}) {
    const Disc disc{size * 0.5 + 0.3, size * 0.5 - 0.2, size * 0.37};
    const std::vector<float> level = sampled(size, [&](double x, double y) { return disc.level(x, y); });
    const auto solution = solve_poisson(domain_from_level(size, size, level));
    ASSERT_TRUE(solution.has_value()) << solution.error().message();
    EXPECT_LE(solution->relative_residual, 1e-5);
    const double peak = disc.radius * disc.radius / 4.0;
    double worst = 0.0;
    for (int y = 0; y < size; ++y) {
      for (int x = 0; x < size; ++x) {
        const std::size_t p =
            static_cast<std::size_t>(y) * static_cast<std::size_t>(size) + static_cast<std::size_t>(x);
        if (level[p] <= 0.0F) continue;
        worst = std::max(worst, std::abs(solution->u[p] - disc.exact(x + 0.5, y + 0.5)));
      }
    }
    EXPECT_LT(worst / peak, 2e-3) << "size " << size << ": worst error " << worst << " of " << peak;
  }
}

TEST(PoissonTest, SquareCentreMatchesTheSeries) {
  // −∇²u = 1 on an L × L square: u(centre) = 0.0736713·L² (Fourier series).
  constexpr int kSize = 128;
  constexpr double kLow = 10.3;
  constexpr double kHigh = 117.7;
  constexpr double kSide = kHigh - kLow;
  const std::vector<float> level = sampled(kSize, [](double x, double y) {
    return std::min({x - kLow, kHigh - x, y - kLow, kHigh - y});
  });
  const auto solution = solve_poisson(domain_from_level(kSize, kSize, level));
  ASSERT_TRUE(solution.has_value()) << solution.error().message();
  // The centre (64, 64) lies between pixel centres 63.5 and 64.5: average the four around it.
  const auto at = [&](int x, int y) {
    return solution->u[static_cast<std::size_t>(y) * kSize + static_cast<std::size_t>(x)];
  };
  const double centre = (at(63, 63) + at(64, 63) + at(63, 64) + at(64, 64)) / 4.0;
  EXPECT_NEAR(centre / (kSide * kSide), 0.0736713, 5e-4);
}

TEST(PoissonTest, IterationsDoNotGrowWithTheGrid) {
  std::vector<int> iterations;
  for (const int size : {64, 256, 512}) {
    const Disc disc{size * 0.45, size * 0.52, size * 0.4};
    const auto solution = solve_poisson(
        domain_from_level(size, size, sampled(size, [&](double x, double y) { return disc.level(x, y); })));
    ASSERT_TRUE(solution.has_value()) << solution.error().message();
    iterations.push_back(solution->iterations);
  }
  // Unpreconditioned CG would need about 8 times as many at 512 as at 64.
  EXPECT_LE(iterations[2], iterations[0] + 5) << iterations[0] << ", " << iterations[1] << ", " << iterations[2];
  EXPECT_LE(iterations[2], 20);
}

TEST(PoissonTest, TheExtensionCrossesZeroAtTheOutline) {
  // A vertical side at x = 20.3: along a row, linear interpolation of u between the pixel centres
  // 19.5 (inside) and 20.5 (outside) is zero at 20.3.
  constexpr int kSize = 48;
  const std::vector<float> level = sampled(kSize, [](double x, double y) {
    return std::min({20.3 - x, x - 4.0, y - 4.0, 44.0 - y});
  });
  const auto solution = solve_poisson(domain_from_level(kSize, kSize, level));
  ASSERT_TRUE(solution.has_value()) << solution.error().message();
  const auto at = [&](int x, int y) {
    return solution->u[static_cast<std::size_t>(y) * kSize + static_cast<std::size_t>(x)];
  };
  for (int y = 10; y < 38; ++y) {
    const float inside = at(19, y);
    const float outside = at(20, y);
    ASSERT_GT(inside, 0.0F);
    ASSERT_LT(outside, 0.0F);
    EXPECT_NEAR(19.5 + inside / (inside - outside), 20.3, 1e-3) << "row " << y;
    // Farther out u keeps falling.
    for (int x = 21; x < kSize; ++x) ASSERT_LT(at(x, y), at(x - 1, y)) << x << ", " << y;
  }
}

TEST(PoissonTest, RejectsBadInput) {
  const std::vector<float> outside(16, -1.0F);
  const auto empty = solve_poisson(domain_from_level(4, 4, outside));
  ASSERT_FALSE(empty.has_value());
  EXPECT_EQ(empty.error().code(), ErrorCode::kNoForeground);
  PoissonDomain short_rows = domain_from_level(4, 4, std::vector<float>(16, 1.0F));
  short_rows.cross_y.pop_back();
  const auto mismatched = solve_poisson(short_rows);
  ASSERT_FALSE(mismatched.has_value());
  EXPECT_EQ(mismatched.error().code(), ErrorCode::kInvalidArgument);
  PoissonDomain nan = domain_from_level(4, 4, std::vector<float>(16, 1.0F));
  nan.cross_x[3] = std::nanf("");
  const auto not_finite = solve_poisson(nan);
  ASSERT_FALSE(not_finite.has_value());
  EXPECT_EQ(not_finite.error().code(), ErrorCode::kInvalidArgument);
  const auto bad_options = solve_poisson(domain_from_level(4, 4, std::vector<float>(16, 1.0F)), {.tolerance = 0.0F});
  ASSERT_FALSE(bad_options.has_value());
  EXPECT_EQ(bad_options.error().code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace orfeas::shape
