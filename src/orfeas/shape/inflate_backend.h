// The built-in shape backend: silhouette inflation. No weights, CPU only.
//
// From the mask it takes the exact signed Euclidean distance s(x, y) to the outline (positive
// inside, model units) and its maximum a (the inradius). Each point of the silhouette gets the
// half-thickness h(s) = t·sqrt(s·(2a − s)) — zero on the outline with a vertical tangent (a smooth,
// rounded rim), growing with the distance to the outline, reaching t·a at the thickest point, and
// mirrored front and back. The volume holds
//
//     f(x, y, z) = sqrt((z / t)^2 + (a − s)^2) − a,
//
// whose zero set is exactly |z| = h(s): a disc becomes a sphere (an ellipsoid for t ≠ 1), a ring a
// torus with a round cross-section. Unlike |z| − h, f changes smoothly across the rim, so marching
// cubes' linear interpolation places vertices accurately there too.
//
// The work splits in two: compute_inflate_field() does everything that lives in the image plane
// (distance transform, inradius, (a − s)^2 per grid column) and the sampler expands it along z into
// the (resolution + 1)^3 volume. The second part is the heavy one: on the CPU it is
// sample_inflate_volume_into(); on a CUDA device, shape/cuda/inflate_sampler.h writes the same
// floats from the same InflateField. Which one runs is the backend's device (create_inflate_backend).
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "orfeas/core/scalar_volume.h"
#include "orfeas/core/vec3.h"
#include "orfeas/shape/shape_backend.h"

namespace orfeas::shape {

// The in-plane part of the inflated field: f(i, j, k) = sqrt(z_k^2 + radial_sq[j * points + i]) − inradius
// with z_k = (origin.z + spacing · k) · inv_thickness.
struct InflateField {
  int points = 0;         // grid points per axis (resolution + 1)
  float spacing = 0.0F;   // model units between grid points
  Vec3f origin;           // model-space position of grid point (0, 0, 0)
  float inradius = 0.0F;  // a: the largest distance from the outline, model units
  float inv_thickness = 1.0F;
  std::vector<float> radial_sq;  // [points, points] (a − s)^2 per grid column (j, i), x fastest
};

// Validates the options and the canvas/mask pair like InflateBackend::generate and computes the
// field's in-plane part. kInvalidArgument, kNoForeground as generate().
[[nodiscard]] Result<InflateField> compute_inflate_field(const image::ImageRgba8& canvas, const image::Mask& mask,
                                                         const ShapeOptions& options);

// The volume of `field`: points^3 samples over [-1, 1]^3, negative inside (CPU; parallel_for).
[[nodiscard]] ScalarVolume sample_inflate_volume(const InflateField& field);
// The same samples written to `out` (points^3 floats, host memory).
void sample_inflate_volume_into(const InflateField& field, float* out);

// The grid of a field's volume.
[[nodiscard]] GridGeometry field_grid(const InflateField& field);

// What one item needs in the device's pool, on the CPU and on a CUDA device alike: the volume
// (4 · n^3 bytes, n = resolution + 1) and the field's columns (4 · n^2), each rounded to the pool's
// buckets. No weights.
[[nodiscard]] gpu::MemoryNeed inflate_memory_need(const ShapeOptions& options);

// The built-in backend for `device`: CPU, or CUDA (kUnavailable in builds without CUDA).
[[nodiscard]] Result<std::unique_ptr<ShapeBackend>> create_inflate_backend(const gpu::Device& device);
// The CUDA implementation (shape/cuda/inflate_backend_cuda.cpp; kUnavailable without CUDA).
[[nodiscard]] Result<std::unique_ptr<ShapeBackend>> create_inflate_backend_cuda(const gpu::Device& device);

// The CPU implementation: fields and volumes of a batch computed on the host, the volumes taken from
// the device's (host) pool.
class InflateBackend final : public ShapeBackend {
 public:
  static constexpr std::string_view kName = "inflate";

  explicit InflateBackend(gpu::Device device) : device_(device) {}

  [[nodiscard]] std::string_view name() const override { return kName; }
  [[nodiscard]] const gpu::Device& device() const override { return device_; }
  [[nodiscard]] gpu::MemoryNeed memory_need(const ShapeOptions& options) const override {
    return inflate_memory_need(options);
  }
  [[nodiscard]] Result<VolumeBatch> generate(std::span<const image::PreprocessedImage* const> images,
                                             const ShapeOptions& options, const StepProgress& progress = {},
                                             profiling::ScopeTargets profile = {}) const override;

  // One image, into an ordinary host volume (no pool): for tests and tools.
  [[nodiscard]] static Result<ScalarVolume> generate_volume(const image::ImageRgba8& canvas, const image::Mask& mask,
                                                            const ShapeOptions& options);

 private:
  gpu::Device device_;
};

// The signed distance to the mask's outline in pixels, positive inside: the distance from a
// foreground pixel's centre to the nearest background pixel's centre minus half a pixel, and the
// negative of the converse outside, so the outline sits on the pixel edges. [height, width].
[[nodiscard]] std::vector<float> signed_distance_pixels(const image::Mask& mask);

}  // namespace orfeas::shape
