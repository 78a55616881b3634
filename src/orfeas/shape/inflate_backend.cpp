#include "orfeas/shape/inflate_backend.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "orfeas/core/parallel.h"
#include "orfeas/gpu/caching_memory_pool.h"
#include "orfeas/shape/poisson.h"

namespace orfeas::shape {
namespace {

// Bilinear sample of a [height, width] row-major grid (both ≥ 2) at continuous pixel coordinates,
// clamped to the grid so samples past its edge take the edge value.
float sample_bilinear(const std::vector<float>& grid, int width, int height, float u, float v) {
  u = std::clamp(u, 0.0F, static_cast<float>(width - 1));
  v = std::clamp(v, 0.0F, static_cast<float>(height - 1));
  const int u0 = std::min(static_cast<int>(u), width - 2);
  const int v0 = std::min(static_cast<int>(v), height - 2);
  const float fu = u - static_cast<float>(u0);
  const float fv = v - static_cast<float>(v0);
  const auto at = [&](int x, int y) {
    return grid[static_cast<std::size_t>(y) * static_cast<std::size_t>(width) + static_cast<std::size_t>(x)];
  };
  const float top = at(u0, v0) * (1.0F - fu) + at(u0 + 1, v0) * fu;
  const float bottom = at(u0, v0 + 1) * (1.0F - fu) + at(u0 + 1, v0 + 1) * fu;
  return top * (1.0F - fv) + bottom * fv;
}

// The part of the canvas the solve covers: the object's bounding box grown by `margin` pixels, in
// the coordinates of the canvas padded with one ring of background (so an object touching the
// canvas edge closes there), clipped to that padded canvas. Half-open.
struct SolveBox {
  int x0 = 0;
  int y0 = 0;
  int x1 = 0;
  int y1 = 0;
};

SolveBox solve_box(const image::Mask& mask, int margin) {
  SolveBox box{mask.width, mask.height, -1, -1};
  for (int y = 0; y < mask.height; ++y) {
    for (int x = 0; x < mask.width; ++x) {
      if (mask.at(x, y) == 0) continue;
      box = {std::min(box.x0, x), std::min(box.y0, y), std::max(box.x1, x), std::max(box.y1, y)};
    }
  }
  // Canvas pixel x is padded pixel x + 1.
  return {std::max(box.x0 + 1 - margin, 0), std::max(box.y0 + 1 - margin, 0),
          std::min(box.x1 + 2 + margin, mask.width + 2), std::min(box.y1 + 2 + margin, mask.height + 2)};
}

// The outline over `box`. Coverage is each pixel's share of the object: across a step from an inside
// pixel to an outside one, a straight edge lies (share inside − ½) + share outside from the inside
// pixel's centre (exactly, for an edge across the step; the 128 level of linear interpolation is
// up to 0.1 pixel off for such shares). A pixel whose coverage disagrees with the mask (which keeps
// parts thinner than half a pixel), and every pixel without coverage, counts as fully in or out:
// the outline on the mask's pixel edges.
PoissonDomain outline_domain(const image::Mask& mask, std::span<const std::uint8_t> coverage, const SolveBox& box) {
  const int width = box.x1 - box.x0;
  const int height = box.y1 - box.y0;
  const auto count = static_cast<std::size_t>(width) * static_cast<std::size_t>(height);
  std::vector<float> share(count, 0.0F);
  PoissonDomain d{width, height, std::vector<std::uint8_t>(count, 0), std::vector<float>(count, 0.5F),
                  std::vector<float>(count, 0.5F)};
  for (int y = std::max(box.y0 - 1, 0); y < std::min(box.y1 - 1, mask.height); ++y) {
    for (int x = std::max(box.x0 - 1, 0); x < std::min(box.x1 - 1, mask.width); ++x) {
      const std::size_t p = static_cast<std::size_t>(y + 1 - box.y0) * static_cast<std::size_t>(width) +
                            static_cast<std::size_t>(x + 1 - box.x0);
      const bool inside = mask.at(x, y) != 0;
      d.inside[p] = inside ? 1 : 0;
      share[p] = inside ? 1.0F : 0.0F;
      if (!coverage.empty()) {
        const float c = static_cast<float>(coverage[mask.index(x, y)]) / 255.0F;
        if ((c >= 0.5F) == inside) share[p] = c;
      }
    }
  }
  const auto cross = [&](std::size_t a, std::size_t b) {  // fraction of the step from a to b
    if (d.inside[a] == d.inside[b]) return 0.5F;
    const std::size_t in = d.inside[a] != 0 ? a : b;
    const std::size_t out = d.inside[a] != 0 ? b : a;
    const float from_inside = std::clamp(share[in] - 0.5F + share[out], 0.0F, 1.0F);
    return in == a ? from_inside : 1.0F - from_inside;
  };
  const auto stride = static_cast<std::size_t>(width);
  for (std::size_t y = 0; y < static_cast<std::size_t>(height); ++y) {
    for (std::size_t x = 0; x < stride; ++x) {
      const std::size_t p = y * stride + x;
      if (x + 1 < stride) d.cross_x[p] = cross(p, p + 1);
      if (y + 1 < static_cast<std::size_t>(height)) d.cross_y[p] = cross(p, p + stride);
    }
  }
  return d;
}

// W = H'² over the solve's box, model units² (the header's formula): 4u·pixel², scaled up where a
// part's ridge stays below the minimum half-thickness `min_half` (model units, 0: none). Negative
// outside, where u is.
std::vector<float> squared_heights(const PoissonSolution& solution, float pixel, float min_half) {
  const int n = solution.width;
  const auto rows = static_cast<std::size_t>(solution.height);
  const std::vector<float>& u = solution.u;
  std::vector<float> w(u.size());
  const float to_model = 4.0F * pixel * pixel;
  const float min_half_sq = min_half * min_half;
  parallel_for(0, rows, 8, [&](std::size_t begin, std::size_t end) {
    for (std::size_t y = begin; y < end; ++y) {
      for (std::size_t x = 0; x < static_cast<std::size_t>(n); ++x) {
        const std::size_t p = y * static_cast<std::size_t>(n) + x;
        const float h_sq = u[p] * to_model;
        if (min_half_sq <= 0.0F) {
          w[p] = h_sq;
          continue;
        }
        // Central differences (one-sided on the box's border), pixel units.
        const auto at = [&](std::size_t xx, std::size_t yy) { return u[yy * static_cast<std::size_t>(n) + xx]; };
        const std::size_t x0 = x > 0 ? x - 1 : x;
        const std::size_t x1 = x + 1 < static_cast<std::size_t>(n) ? x + 1 : x;
        const std::size_t y0 = y > 0 ? y - 1 : y;
        const std::size_t y1 = y + 1 < rows ? y + 1 : y;
        const float gx = (at(x1, y) - at(x0, y)) / static_cast<float>(x1 - x0);
        const float gy = (at(x, y1) - at(x, y0)) / static_cast<float>(y1 - y0);
        const float ridge = std::max(u[p], 0.0F) + 0.5F * (gx * gx + gy * gy);  // Λ, pixels²
        const float ridge_sq = std::max(ridge * to_model, 1e-12F);              // H_ridge², model units²
        const float q = min_half_sq / ridge_sq;
        // S² = sqrt(1 + q²), written so that a huge q does not overflow.
        const float scale_sq = q > 1.0F ? q * std::sqrt(1.0F + 1.0F / (q * q)) : std::sqrt(1.0F + q * q);
        w[p] = h_sq * scale_sq;
      }
    }
  });
  return w;
}

}  // namespace

Result<InflateField> compute_inflate_field(const image::ImageRgba8& canvas, const image::Mask& mask,
                                           const ShapeOptions& options, std::span<const std::uint8_t> coverage,
                                           profiling::ScopeTargets profile) {
  ORFEAS_RETURN_IF_ERROR(validate(options));
  if (mask.width != mask.height || mask.width < 2 || canvas.width != mask.width || canvas.height != mask.height) {
    return make_error(ErrorCode::kInvalidArgument,
                      "inflate needs a square canvas and a mask of the same size (got canvas " +
                          std::to_string(canvas.width) + "x" + std::to_string(canvas.height) + ", mask " +
                          std::to_string(mask.width) + "x" + std::to_string(mask.height) + ")");
  }
  if (!coverage.empty() && coverage.size() != mask.values.size()) {
    return make_error(ErrorCode::kInvalidArgument, "inflate: the coverage holds " + std::to_string(coverage.size()) +
                                                       " values for a " + std::to_string(mask.width) + "x" +
                                                       std::to_string(mask.height) + " mask");
  }
  if (mask.count() == 0) return make_error(ErrorCode::kNoForeground, "the mask is empty: nothing to inflate");

  const int size = mask.width;
  const float pixel = 2.0F / static_cast<float>(size);  // model units per canvas pixel
  // Grid columns next to the object's outermost ones read the solve's extension: the box reaches a
  // grid step and two pixels past the object. Beyond it the box's edge values (< 0) stand in.
  const SolveBox box = solve_box(mask, (size + options.resolution - 1) / options.resolution + 2);
  profiling::BatchScope solve_scope(profile, "poisson_solve");
  ORFEAS_ASSIGN_OR_RETURN_CTX(const PoissonSolution solution, solve_poisson(outline_domain(mask, coverage, box)),
                              "inflate");
  solve_scope.close();
  const std::vector<float> w = squared_heights(solution, pixel, options.min_thickness / (2.0F * options.thickness));
  const float peak_sq = std::max(*std::max_element(w.begin(), w.end()), 0.0F);

  InflateField field;
  field.inradius = std::sqrt(peak_sq);
  const int cells = options.resolution;
  field.points = cells + 1;
  field.spacing = 2.0F / static_cast<float>(cells);
  field.origin = Vec3f{-1.0F, -1.0F, -1.0F};
  field.inv_thickness = 1.0F / options.thickness;

  // M² − W per grid column: the whole in-plane part of f, computed once. Grid point (i, j) sits at
  // canvas pixel coordinates (u, v): padded pixel (u + 1, v + 1), the box's (u + 1 − x0, v + 1 − y0).
  const auto points = static_cast<std::size_t>(field.points);
  const float spacing = field.spacing;
  field.radial_sq.resize(points * points);
  parallel_for(0, points, 8, [&](std::size_t begin, std::size_t end) {
    for (std::size_t j = begin; j < end; ++j) {
      const float y = -1.0F + spacing * static_cast<float>(j);
      const float v = (1.0F - y) * 0.5F * static_cast<float>(size) + 0.5F - static_cast<float>(box.y0);
      for (std::size_t i = 0; i < points; ++i) {
        const float x = -1.0F + spacing * static_cast<float>(i);
        const float u = (x + 1.0F) * 0.5F * static_cast<float>(size) + 0.5F - static_cast<float>(box.x0);
        field.radial_sq[j * points + i] =
            std::max(peak_sq - sample_bilinear(w, solution.width, solution.height, u, v), 0.0F);
      }
    }
  });
  return field;
}

GridGeometry field_grid(const InflateField& field) {
  return {field.points, field.points, field.points, field.origin, field.spacing};
}

void sample_inflate_volume_into(const InflateField& field, float* out) {
  const int points = field.points;
  const auto column_count = static_cast<std::size_t>(points) * static_cast<std::size_t>(points);
  parallel_for(0, static_cast<std::size_t>(points), 4, [&](std::size_t begin, std::size_t end) {
    for (std::size_t k = begin; k < end; ++k) {
      // The CUDA twin (shape/cuda/inflate_sampler.cu) repeats this arithmetic operation for operation.
      const float z = (field.origin.z + field.spacing * static_cast<float>(k)) * field.inv_thickness;
      const float z_sq = z * z;
      float* slice = out + k * column_count;
      for (std::size_t c = 0; c < column_count; ++c) slice[c] = std::sqrt(z_sq + field.radial_sq[c]) - field.inradius;
    }
  });
}

ScalarVolume sample_inflate_volume(const InflateField& field) {
  ScalarVolume volume(field.points, field.points, field.points, field.origin, field.spacing);
  sample_inflate_volume_into(field, volume.values.data());
  return volume;
}

gpu::MemoryNeed inflate_memory_need(const ShapeOptions& options) {
  const auto n = static_cast<std::uint64_t>(options.resolution) + 1;
  return {0, gpu::pool_bucket_bytes(4 * n * n * n) + gpu::pool_bucket_bytes(4 * n * n)};
}

Result<ScalarVolume> InflateBackend::generate_volume(const image::ImageRgba8& canvas, const image::Mask& mask,
                                                     const ShapeOptions& options,
                                                     std::span<const std::uint8_t> coverage) {
  ORFEAS_ASSIGN_OR_RETURN(const InflateField field, compute_inflate_field(canvas, mask, options, coverage));
  return sample_inflate_volume(field);
}

Result<VolumeBatch> InflateBackend::generate(std::span<const image::PreprocessedImage* const> images,
                                             const ShapeOptions& options, const StepProgress& progress,
                                             profiling::ScopeTargets profile) const {
  ORFEAS_RETURN_IF_ERROR(validate(options));
  if (device_.pool == nullptr) return make_error(ErrorCode::kInvalidArgument, "inflate backend: no memory pool");
  VolumeBatch volumes;
  volumes.reserve(images.size());
  // Items one after another, each parallel inside; a batch that does not fit fails as a whole
  // (the volumes taken so far go back to the pool with `volumes`).
  for (std::size_t i = 0; i < images.size(); ++i) {
    const image::PreprocessedImage& image = *images[i];
    profiling::BatchScope field_scope(profiling::item_target(profile, i), "inflate_field");
    auto field =
        compute_inflate_field(image.canvas, image.mask, options, image.coverage, profiling::item_target(profile, i));
    field_scope.close();
    if (!field) {
      volumes.emplace_back(tl::unexpected(field.error()));
    } else {
      auto volume = gpu::allocate_volume(field_grid(*field), *device_.pool);
      if (!volume) {
        return tl::unexpected(volume.error().with_context("inflate: item " + std::to_string(i + 1) + " of " +
                                                          std::to_string(images.size())));
      }
      const profiling::BatchScope sampling(profiling::item_target(profile, i), "volume_sampling");
      sample_inflate_volume_into(*field, volume->data());
      volumes.emplace_back(std::move(*volume));
    }
    report(progress, i + 1, images.size());
  }
  return volumes;
}

Result<std::unique_ptr<ShapeBackend>> create_inflate_backend(const gpu::Device& device) {
  if (device.is_cuda()) return create_inflate_backend_cuda(device);
  return std::unique_ptr<ShapeBackend>(std::make_unique<InflateBackend>(device));
}

}  // namespace orfeas::shape
