#include "orfeas/shape/inflate_backend.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "orfeas/core/distance_transform.h"
#include "orfeas/core/parallel.h"
#include "orfeas/gpu/caching_memory_pool.h"

namespace orfeas::shape {
namespace {

// Bilinear sample of a [size, size] row-major grid at continuous pixel coordinates, clamped to the
// grid so samples past the canvas edge take the edge value.
float sample_bilinear(const std::vector<float>& grid, int size, float u, float v) {
  const float max_coord = static_cast<float>(size - 1);
  u = std::clamp(u, 0.0F, max_coord);
  v = std::clamp(v, 0.0F, max_coord);
  const int u0 = std::min(static_cast<int>(u), size - 2);
  const int v0 = std::min(static_cast<int>(v), size - 2);
  const float fu = u - static_cast<float>(u0);
  const float fv = v - static_cast<float>(v0);
  const auto at = [&](int x, int y) {
    return grid[static_cast<std::size_t>(y) * static_cast<std::size_t>(size) + static_cast<std::size_t>(x)];
  };
  const float top = at(u0, v0) * (1.0F - fu) + at(u0 + 1, v0) * fu;
  const float bottom = at(u0, v0 + 1) * (1.0F - fu) + at(u0 + 1, v0 + 1) * fu;
  return top * (1.0F - fv) + bottom * fv;
}

}  // namespace

std::vector<float> signed_distance_pixels(const image::Mask& mask) {
  // Pad with one ring of background so a mask touching (or filling) the canvas still has an
  // outline, at the canvas edge.
  const int pw = mask.width + 2;
  const int ph = mask.height + 2;
  std::vector<std::uint8_t> padded(static_cast<std::size_t>(pw) * static_cast<std::size_t>(ph), 0);
  for (int y = 0; y < mask.height; ++y) {
    for (int x = 0; x < mask.width; ++x) {
      padded[static_cast<std::size_t>(y + 1) * static_cast<std::size_t>(pw) + static_cast<std::size_t>(x + 1)] =
          mask.at(x, y) != 0 ? 1 : 0;
    }
  }
  const DistanceField2D to_background = distance_transform(pw, ph, padded, 0);
  const DistanceField2D to_foreground = distance_transform(pw, ph, padded, 1);

  std::vector<float> sd(static_cast<std::size_t>(mask.width) * static_cast<std::size_t>(mask.height));
  for (int y = 0; y < mask.height; ++y) {
    for (int x = 0; x < mask.width; ++x) {
      const std::size_t p =
          static_cast<std::size_t>(y + 1) * static_cast<std::size_t>(pw) + static_cast<std::size_t>(x + 1);
      sd[mask.index(x, y)] = mask.at(x, y) != 0 ? to_background.distance[p] - 0.5F : 0.5F - to_foreground.distance[p];
    }
  }
  return sd;
}

Result<InflateField> compute_inflate_field(const image::ImageRgba8& canvas, const image::Mask& mask,
                                           const ShapeOptions& options) {
  ORFEAS_RETURN_IF_ERROR(validate(options));
  if (mask.width != mask.height || mask.width < 2 || canvas.width != mask.width || canvas.height != mask.height) {
    return make_error(ErrorCode::kInvalidArgument,
                      "inflate needs a square canvas and a mask of the same size (got canvas " +
                          std::to_string(canvas.width) + "x" + std::to_string(canvas.height) + ", mask " +
                          std::to_string(mask.width) + "x" + std::to_string(mask.height) + ")");
  }
  if (mask.count() == 0) return make_error(ErrorCode::kNoForeground, "the mask is empty: nothing to inflate");

  const int size = mask.width;
  const float pixel = 2.0F / static_cast<float>(size);  // model units per canvas pixel
  std::vector<float> sd = signed_distance_pixels(mask);
  for (float& d : sd) d *= pixel;

  InflateField field;
  field.inradius = *std::max_element(sd.begin(), sd.end());
  const int cells = options.resolution;
  field.points = cells + 1;
  field.spacing = 2.0F / static_cast<float>(cells);
  field.origin = Vec3f{-1.0F, -1.0F, -1.0F};
  field.inv_thickness = 1.0F / options.thickness;

  // (a − s)^2 per grid column: the whole in-plane part of f, computed once.
  const auto points = static_cast<std::size_t>(field.points);
  const float spacing = field.spacing;
  const float inradius = field.inradius;
  field.radial_sq.resize(points * points);
  parallel_for(0, points, 8, [&](std::size_t begin, std::size_t end) {
    for (std::size_t j = begin; j < end; ++j) {
      const float y = -1.0F + spacing * static_cast<float>(j);
      const float v = (1.0F - y) * 0.5F * static_cast<float>(size) - 0.5F;
      for (std::size_t i = 0; i < points; ++i) {
        const float x = -1.0F + spacing * static_cast<float>(i);
        const float u = (x + 1.0F) * 0.5F * static_cast<float>(size) - 0.5F;
        const float c = inradius - sample_bilinear(sd, size, u, v);
        field.radial_sq[j * points + i] = c * c;
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
                                                     const ShapeOptions& options) {
  ORFEAS_ASSIGN_OR_RETURN(const InflateField field, compute_inflate_field(canvas, mask, options));
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
    auto field = compute_inflate_field(image.canvas, image.mask, options);
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
