#include "orfeas/shape/poisson.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>

#include "orfeas/core/distance_transform.h"
#include "orfeas/core/parallel.h"

namespace orfeas::shape {
namespace {

// A reduction's fixed unit of work: partial sums per block, added in block order, so the result
// is the same whatever the pool's chunking.
constexpr std::size_t kBlock = 4096;
// Symmetric Gauss–Seidel sweeps on the coarsest level (at most 4 × 4 unknowns).
constexpr int kCoarsestSweeps = 8;
constexpr int kCoarsestSize = 4;
// The coarse correction's scale: piecewise-constant aggregates under-correct smooth errors by about
// half, level after level, and the iterations would double with each doubling of the grid; scaled
// by 1.8 (Braess's over-correction; 2 would leave the preconditioner barely definite) they stay
// at 10–15 from 128² to 1026². The V-cycle stays symmetric.
constexpr float kCoarseScale = 1.8F;

// One level's 5-point operator: (A v)_p = diag_p·v_p − Σ_neighbours w·v_n. diag 0: no unknown
// there (its couplings are 0 too).
struct Level {
  int nx = 0;
  int ny = 0;
  std::vector<float> diag;
  std::vector<float> inverse_diag;  // 1 / diag, 0 where diag is
  std::vector<float> east;          // coupling of (x, y) with (x + 1, y); 0 in the last column
  std::vector<float> south;         // coupling of (x, y) with (x, y + 1); 0 in the last row
  std::vector<float> x;             // the V-cycle's solution on this level
  std::vector<float> b;             // its right-hand side
  std::vector<float> r;             // its residual

  Level(int width, int height)
      : nx(width),
        ny(height),
        diag(count(), 0.0F),
        inverse_diag(count(), 0.0F),
        east(count(), 0.0F),
        south(count(), 0.0F),
        x(count(), 0.0F),
        b(count(), 0.0F),
        r(count(), 0.0F) {}
  [[nodiscard]] std::size_t count() const { return static_cast<std::size_t>(nx) * static_cast<std::size_t>(ny); }
  [[nodiscard]] std::size_t index(int px, int py) const {
    return static_cast<std::size_t>(py) * static_cast<std::size_t>(nx) + static_cast<std::size_t>(px);
  }
};

// Σ_neighbours w·v_n at p = (px, py). Points on the grid's edge check which neighbours exist: a
// read across a row's end would touch the next row's first value, which a red-black sweep may be
// writing on another thread at that moment (its coupling is 0, but the read is still a race).
float neighbour_sum(const Level& l, const float* v, int px, int py) {
  const std::size_t p = l.index(px, py);
  const auto stride = static_cast<std::size_t>(l.nx);
  const float* east = l.east.data();
  const float* south = l.south.data();
  if (py > 0 && py + 1 < l.ny && px > 0 && px + 1 < l.nx) {
    return east[p] * v[p + 1] + east[p - 1] * v[p - 1] + south[p] * v[p + stride] + south[p - stride] * v[p - stride];
  }
  float sum = 0.0F;
  if (px + 1 < l.nx) sum += east[p] * v[p + 1];
  if (px > 0) sum += east[p - 1] * v[p - 1];
  if (py + 1 < l.ny) sum += south[p] * v[p + stride];
  if (py > 0) sum += south[p - stride] * v[p - stride];
  return sum;
}

// Rows in parallel; a coarse level's few rows on the calling thread, where a hand-over would cost
// more than the work.
void for_rows(const Level& l, const auto& fn) {
  constexpr std::size_t kParallelPoints = 1U << 15U;
  if (l.count() < kParallelPoints) {
    for (int y = 0; y < l.ny; ++y) fn(y);
    return;
  }
  parallel_for(0, static_cast<std::size_t>(l.ny), 8, [&](std::size_t begin, std::size_t end) {
    for (std::size_t y = begin; y < end; ++y) fn(static_cast<int>(y));
  });
}

// out = A v (0 where there is no unknown: its diagonal and couplings are 0).
void apply(const Level& l, const std::vector<float>& v, std::vector<float>& out) {
  for_rows(l, [&](int y) {
    for (int px = 0; px < l.nx; ++px) {
      const std::size_t p = l.index(px, y);
      out[p] = l.diag[p] * v[p] - neighbour_sum(l, v.data(), px, y);
    }
  });
}

// One red-black Gauss–Seidel half sweep: the points with (x + y) % 2 == colour, independent of
// each other (x stays 0 where there is no unknown).
void smooth(Level& l, int colour) {
  for_rows(l, [&](int y) {
    for (int px = (y + colour) % 2; px < l.nx; px += 2) {
      const std::size_t p = l.index(px, y);
      l.x[p] = (l.b[p] + neighbour_sum(l, l.x.data(), px, y)) * l.inverse_diag[p];
    }
  });
}

void invert_diagonal(Level& l) {
  for (std::size_t p = 0; p < l.count(); ++p) l.inverse_diag[p] = l.diag[p] > 0.0F ? 1.0F / l.diag[p] : 0.0F;
}

// Σ a·b over the whole vectors, in double, block by block.
double dot(const std::vector<float>& a, const std::vector<float>& b) {
  const std::size_t blocks = (a.size() + kBlock - 1) / kBlock;
  std::vector<double> partial(blocks, 0.0);
  parallel_for(0, blocks, 4, [&](std::size_t begin, std::size_t end) {
    for (std::size_t k = begin; k < end; ++k) {
      double sum = 0.0;
      const std::size_t last = std::min(a.size(), (k + 1) * kBlock);
      for (std::size_t i = k * kBlock; i < last; ++i) sum += static_cast<double>(a[i]) * static_cast<double>(b[i]);
      partial[k] = sum;
    }
  });
  double total = 0.0;
  for (const double p : partial) total += p;
  return total;
}

// The Galerkin operator Pᵀ A P of 2 × 2 aggregation (P: each coarse value copied to its children).
Level coarsen(const Level& fine) {
  Level coarse((fine.nx + 1) / 2, (fine.ny + 1) / 2);
  for_rows(coarse, [&](int cy) {
    for (int cx = 0; cx < coarse.nx; ++cx) {
      const std::size_t c = coarse.index(cx, cy);
      float diag = 0.0F;
      for (int b = 0; b < 2; ++b) {
        const int fy = 2 * cy + b;
        if (fy >= fine.ny) continue;
        for (int a = 0; a < 2; ++a) {
          const int fx = 2 * cx + a;
          if (fx >= fine.nx) continue;
          const std::size_t f = fine.index(fx, fy);
          diag += fine.diag[f];
          if (a == 0 && fx + 1 < fine.nx) diag -= 2.0F * fine.east[f];   // inside the aggregate
          if (b == 0 && fy + 1 < fine.ny) diag -= 2.0F * fine.south[f];  // inside the aggregate
          if (a == 1 && fx + 1 < fine.nx) coarse.east[c] += fine.east[f];
          if (b == 1 && fy + 1 < fine.ny) coarse.south[c] += fine.south[f];
        }
      }
      coarse.diag[c] = diag;  // Pᵀ A P is positive definite: > 0 wherever a child is an unknown
    }
  });
  invert_diagonal(coarse);
  return coarse;
}

// z = M r: one symmetric V-cycle from levels[l].b into levels[l].x.
void v_cycle(std::vector<Level>& levels, std::size_t l) {
  Level& level = levels[l];
  std::fill(level.x.begin(), level.x.end(), 0.0F);
  if (l + 1 == levels.size()) {
    for (int sweep = 0; sweep < kCoarsestSweeps; ++sweep) {
      smooth(level, 0);
      smooth(level, 1);
      smooth(level, 1);
      smooth(level, 0);
    }
    return;
  }
  smooth(level, 0);
  smooth(level, 1);
  apply(level, level.x, level.r);
  for (std::size_t p = 0; p < level.count(); ++p) level.r[p] = level.b[p] - level.r[p];
  Level& coarse = levels[l + 1];
  for_rows(coarse, [&](int cy) {
    for (int cx = 0; cx < coarse.nx; ++cx) {
      float sum = 0.0F;
      for (int b = 0; b < 2 && 2 * cy + b < level.ny; ++b) {
        for (int a = 0; a < 2 && 2 * cx + a < level.nx; ++a) sum += level.r[level.index(2 * cx + a, 2 * cy + b)];
      }
      coarse.b[coarse.index(cx, cy)] = sum;
    }
  });
  v_cycle(levels, l + 1);
  for_rows(level, [&](int y) {
    for (int px = 0; px < level.nx; ++px) {
      const std::size_t p = level.index(px, y);
      if (level.diag[p] > 0.0F) level.x[p] += kCoarseScale * coarse.x[coarse.index(px / 2, y / 2)];
    }
  });
  smooth(level, 1);
  smooth(level, 0);
}

// The four steps from a pixel, and the fraction θ of each from an inside pixel p to the outline
// when its far end is outside.
enum class Step { kEast, kWest, kSouth, kNorth };

struct Neighbour {
  bool on_grid = false;
  std::size_t q = 0;
};

Neighbour neighbour(const PoissonDomain& d, int x, int y, Step step) {
  const std::size_t p = static_cast<std::size_t>(y) * static_cast<std::size_t>(d.width) + static_cast<std::size_t>(x);
  const auto stride = static_cast<std::size_t>(d.width);
  switch (step) {
    case Step::kEast:
      return {x + 1 < d.width, p + 1};
    case Step::kWest:
      return {x > 0, p - 1};
    case Step::kSouth:
      return {y + 1 < d.height, p + stride};
    case Step::kNorth:
      return {y > 0, p - stride};
  }
  return {};
}

float theta(const PoissonDomain& d, std::size_t p, std::size_t q, Step step, float min_theta) {
  float t = 0.5F;
  switch (step) {
    case Step::kEast:
      t = d.cross_x[p];
      break;
    case Step::kWest:
      t = 1.0F - d.cross_x[q];
      break;
    case Step::kSouth:
      t = d.cross_y[p];
      break;
    case Step::kNorth:
      t = 1.0F - d.cross_y[q];
      break;
  }
  return std::clamp(t, min_theta, 1.0F);
}

constexpr Step kSteps[] = {Step::kEast, Step::kWest, Step::kSouth, Step::kNorth};

// The fine level: the Laplacian's weights with the outline's ghost values folded into the diagonal.
Level fine_level(const PoissonDomain& d, float min_theta) {
  Level fine(d.width, d.height);
  for_rows(fine, [&](int y) {
    for (int px = 0; px < d.width; ++px) {
      const std::size_t p = fine.index(px, y);
      if (d.inside[p] == 0) continue;
      float diag = 0.0F;
      for (const Step step : kSteps) {
        const Neighbour n = neighbour(d, px, y, step);
        if (!n.on_grid) {
          diag += 2.0F;  // the grid's edge: outline half a step away
        } else if (d.inside[n.q] != 0) {
          diag += 1.0F;
          if (step == Step::kEast) fine.east[p] = 1.0F;
          if (step == Step::kSouth) fine.south[p] = 1.0F;
        } else {
          diag += 1.0F / theta(d, p, n.q, step, min_theta);
        }
      }
      fine.diag[p] = diag;
      fine.b[p] = 1.0F;
    }
  });
  invert_diagonal(fine);
  return fine;
}

// u outside: linear through the outline next to the inside, then on with the nearest such pixel's
// slope (see the header).
void extend_outside(const PoissonDomain& d, float min_theta, std::vector<float>& u) {
  const auto count = u.size();
  std::vector<std::uint8_t> ring(count, 0);
  std::vector<float> slope(count, 0.0F);
  parallel_for(0, static_cast<std::size_t>(d.height), 8, [&](std::size_t begin, std::size_t end) {
    for (std::size_t y = begin; y < end; ++y) {
      for (int x = 0; x < d.width; ++x) {
        const std::size_t q = y * static_cast<std::size_t>(d.width) + static_cast<std::size_t>(x);
        if (d.inside[q] != 0) continue;
        float value = 0.0F;
        float slope_sum = 0.0F;
        int edges = 0;
        for (const Step step : kSteps) {
          const Neighbour n = neighbour(d, x, static_cast<int>(y), step);
          if (!n.on_grid || d.inside[n.q] == 0) continue;
          // The step from the inside pixel back to q is the opposite one.
          const Step back = step == Step::kEast    ? Step::kWest
                            : step == Step::kWest  ? Step::kEast
                            : step == Step::kSouth ? Step::kNorth
                                                   : Step::kSouth;
          const float t = theta(d, n.q, q, back, min_theta);
          const float g = std::max(u[n.q], 0.0F) / t;  // puts the zero crossing exactly at θ
          value -= g * (1.0F - t);
          slope_sum += g;
          ++edges;
        }
        if (edges == 0) continue;
        ring[q] = 1;
        u[q] = value / static_cast<float>(edges);
        slope[q] = slope_sum / static_cast<float>(edges);
      }
    }
  });
  const DistanceField2D nearest = distance_transform(d.width, d.height, ring, 1);
  parallel_for(0, count, 4096, [&](std::size_t begin, std::size_t end) {
    for (std::size_t q = begin; q < end; ++q) {
      if (d.inside[q] != 0 || ring[q] != 0) continue;
      const std::uint32_t r = nearest.nearest[q];
      if (r == DistanceField2D::kNoSite) continue;
      // At least a unit slope, so every pixel beyond the ring stays below it.
      u[q] = u[r] - std::max(slope[r], 1.0F) * nearest.distance[q];
    }
  });
}

}  // namespace

PoissonDomain domain_from_level(int width, int height, std::span<const float> level) {
  PoissonDomain d{width, height, std::vector<std::uint8_t>(level.size()), std::vector<float>(level.size(), 0.5F),
                  std::vector<float>(level.size(), 0.5F)};
  for (std::size_t p = 0; p < level.size(); ++p) d.inside[p] = level[p] > 0.0F ? 1 : 0;
  const auto cross = [&](std::size_t a, std::size_t b) {
    return (level[a] > 0.0F) != (level[b] > 0.0F) ? level[a] / (level[a] - level[b]) : 0.5F;
  };
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      const std::size_t p = static_cast<std::size_t>(y) * static_cast<std::size_t>(width) + static_cast<std::size_t>(x);
      if (x + 1 < width) d.cross_x[p] = cross(p, p + 1);
      if (y + 1 < height) d.cross_y[p] = cross(p, p + static_cast<std::size_t>(width));
    }
  }
  return d;
}

Result<PoissonSolution> solve_poisson(const PoissonDomain& domain, const PoissonOptions& options) {
  const int width = domain.width;
  const int height = domain.height;
  const std::size_t count =
      static_cast<std::size_t>(std::max(width, 0)) * static_cast<std::size_t>(std::max(height, 0));
  if (width < 1 || height < 1 || domain.inside.size() != count || domain.cross_x.size() != count ||
      domain.cross_y.size() != count) {
    return make_error(ErrorCode::kInvalidArgument, "poisson: the domain's arrays do not hold " + std::to_string(width) +
                                                       "x" + std::to_string(height) + " values each");
  }
  if (!(options.tolerance > 0.0F && options.tolerance < 1.0F) || options.max_iterations < 1 ||
      !(options.min_theta > 0.0F && options.min_theta <= 0.5F)) {
    return make_error(ErrorCode::kInvalidArgument,
                      "poisson: tolerance must lie in (0, 1), max_iterations ≥ 1 and min_theta in (0, 0.5]");
  }
  const auto fraction = [](float v) { return v >= 0.0F && v <= 1.0F; };  // false for NaN too
  if (!std::all_of(domain.cross_x.begin(), domain.cross_x.end(), fraction) ||
      !std::all_of(domain.cross_y.begin(), domain.cross_y.end(), fraction)) {
    return make_error(ErrorCode::kInvalidArgument, "poisson: an outline crossing lies outside [0, 1]");
  }
  if (std::none_of(domain.inside.begin(), domain.inside.end(), [](std::uint8_t v) { return v != 0; })) {
    return make_error(ErrorCode::kNoForeground, "poisson: no pixel lies inside the outline");
  }

  std::vector<Level> levels;
  levels.push_back(fine_level(domain, options.min_theta));
  while (std::max(levels.back().nx, levels.back().ny) > kCoarsestSize) levels.push_back(coarsen(levels.back()));

  // Preconditioned conjugate gradients on the fine level; `levels[0].b` and `.x` carry M's
  // argument and result.
  Level& fine = levels[0];
  const std::size_t n = fine.count();
  const std::vector<float> rhs = fine.b;
  std::vector<float> u(n, 0.0F);
  std::vector<float> residual = rhs;
  std::vector<float> direction(n);
  std::vector<float> product(n);
  const double rhs_norm = std::sqrt(dot(rhs, rhs));
  const double goal = static_cast<double>(options.tolerance) * rhs_norm;

  PoissonSolution solution{width, height, {}, 0, 1.0};
  const auto precondition = [&] {
    fine.b = residual;
    v_cycle(levels, 0);
  };
  precondition();
  direction = fine.x;
  double rz = dot(residual, fine.x);
  const auto blocks = [&](const auto& fn) {
    parallel_for(0, n, kBlock, [&](std::size_t begin, std::size_t end) {
      for (std::size_t i = begin; i < end; ++i) fn(i);
    });
  };
  while (true) {
    const double norm = std::sqrt(dot(residual, residual));
    solution.relative_residual = norm / rhs_norm;
    if (norm <= goal) break;
    if (solution.iterations == options.max_iterations) {
      return make_error(ErrorCode::kInternal, "poisson: no convergence in " + std::to_string(options.max_iterations) +
                                                  " iterations (relative residual " +
                                                  std::to_string(solution.relative_residual) + ")");
    }
    ++solution.iterations;
    apply(fine, direction, product);
    const double curvature = dot(direction, product);
    if (!(curvature > 0.0)) break;  // the residual is at rounding level already
    const auto alpha = static_cast<float>(rz / curvature);
    blocks([&](std::size_t i) {
      u[i] += alpha * direction[i];
      residual[i] -= alpha * product[i];
    });
    precondition();
    const double rz_next = dot(residual, fine.x);
    const auto beta = static_cast<float>(rz_next / rz);
    rz = rz_next;
    blocks([&](std::size_t i) { direction[i] = fine.x[i] + beta * direction[i]; });
  }

  extend_outside(domain, options.min_theta, u);
  solution.u = std::move(u);
  return solution;
}

}  // namespace orfeas::shape
