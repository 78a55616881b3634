// The Poisson problem of smooth inflation: −∇²u = 1 inside an outline, u = 0 on it, on a pixel grid.
//
//   PoissonDomain domain = domain_from_level(width, height, level);  // or the edges' crossings as known
//   ORFEAS_ASSIGN_OR_RETURN(PoissonSolution s, solve_poisson(domain));
//   s.u[y * width + x]  // pixel units (grid step 1): a disc of radius R gets (R² − r²) / 4
//
// The domain says which pixels lie inside and where the outline crosses each grid edge from an
// inside pixel to an outside one: the fraction θ of the step, so the outline lies between pixel
// centres (the grid's own edge, half a step beyond its last pixels, is outline too). Inside,
// the Laplacian uses a ghost value beyond the outline extrapolated linearly through u = 0 there
// (Gibou, Fedkiw, Cheng & Kang 2002): the neighbour's weight moves onto the diagonal as 1/θ. The
// matrix stays symmetric positive definite and the solution second-order accurate, so a straight
// side at any angle gets a smooth u with no stairs from the pixels it crosses.
//
// The solver is conjugate gradients preconditioned by one symmetric multigrid V-cycle: 2 × 2
// aggregation with Galerkin coarse operators (which carry the outline's weights down to every
// level), red-black Gauss–Seidel smoothing, the coarse corrections scaled by 1.8. Iterations
// hardly grow with the grid: 10 at 128², 15 at 1026² (docs/benchmarks.md). Every reduction adds fixed blocks in a fixed
// order, so the result does not depend on the number of threads.
//
// Outside, u is extended below zero: a pixel next to the inside continues the nearest inside
// values linearly through the outline (the value bilinear interpolation then puts the zero
// crossing at the outline with), farther pixels continue with the nearest such pixel's slope.
//
// Memory: about 80 bytes per pixel while solving (every level's coefficients and vectors, the CG
// vectors, the extension's distance transform); the solution's 4 stay.
// Thread-safety: a pure function; runs on the shared parallel_for pool.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "orfeas/core/status.h"

namespace orfeas::shape {

struct PoissonOptions {
  float tolerance = 1e-5F;   // stop when ‖residual‖ ≤ tolerance · ‖right-hand side‖
  int max_iterations = 200;  // conjugate-gradient iterations
  // Smallest fraction of a grid step between an inside pixel's centre and the outline: an outline
  // closer than this is moved to it (the 1/θ weight stays bounded; the outline moves ≤ min_theta).
  float min_theta = 0.02F;
};

struct PoissonDomain {
  int width = 0;
  int height = 0;
  std::vector<std::uint8_t> inside;  // [height, width]: 1 inside the outline
  // [height, width]: where the outline crosses the step from (x, y) to (x + 1, y) (cross_x) or to
  // (x, y + 1) (cross_y), as the fraction of the step from (x, y), [0, 1]. Read only where exactly
  // one end of the step is inside.
  std::vector<float> cross_x;
  std::vector<float> cross_y;
};

// The domain of a level function sampled at the pixels ([height, width], > 0 inside): the outline
// where its linear interpolation along each step is zero.
[[nodiscard]] PoissonDomain domain_from_level(int width, int height, std::span<const float> level);

struct PoissonSolution {
  int width = 0;
  int height = 0;
  std::vector<float> u;  // [height, width]: the solution inside (> 0), its extension outside (< 0)
  int iterations = 0;    // conjugate-gradient iterations taken
  double relative_residual = 0.0;
};

// kInvalidArgument for arrays of another size than the domain's, a crossing that is not a finite
// value in [0, 1] or options out of range; kNoForeground when no pixel is inside; kInternal when
// the iterations run out before the tolerance is met.
[[nodiscard]] Result<PoissonSolution> solve_poisson(const PoissonDomain& domain, const PoissonOptions& options = {});

}  // namespace orfeas::shape
