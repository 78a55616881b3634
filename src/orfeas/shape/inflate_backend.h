// The built-in shape backend: silhouette inflation. No weights, CPU only (the volume's sampling
// also on CUDA).
//
// Heights come from a smooth field, not from the distance to the outline: the Poisson problem
// −∇²u = 1 inside the silhouette, u = 0 on its outline (shape/poisson.h), solved on the canvas
// with the outline between pixel centres where the coverage (each pixel's share of the object)
// puts it: (share inside − ½) + share outside from the inside pixel's centre along each step (the
// binary mask's pixel edges without coverage). Each point gets the half-thickness H = sqrt(4u),
// mirrored front and back: a disc of radius R has u = (R² − r²) / 4, so H is exactly a hemisphere's
// profile; H closes on the outline with a vertical tangent (a rounded rim). The distance-based
// inflation it replaces, t·sqrt(s·(2a − s)) of the distance s, folded wherever the nearest outline
// point jumps (the medial axis: an X of folds across a teapot's body) and followed the pixel
// stairs of a steep side; u is smooth inside and follows the sub-pixel outline.
//
// Minimum thickness (ShapeOptions::min_thickness = m, model units): where 2·t·H would stay below m
// the profile is scaled up across the whole part, H' = H·S with S = (1 + (h_m / H_ridge)^4)^(1/4),
// h_m = m / 2t, and H_ridge = sqrt(4Λ), Λ = u + |∇u|²/2: the ridge height of the part the point
// lies in (constant across a straight strip's section, whose u + |∇u|²/2 is its maximum). S is
// smooth and nearly 1 wherever the part is thicker than m, and constant across a thin part, so the
// rim still closes with a vertical tangent and a thin bar gets about m at its middle.
//
// With M = max H' over the silhouette, the volume holds
//
//     f(x, y, z) = sqrt((z / t)^2 + M² − W) − M,   W = H'² inside, W < 0 outside,
//
// zero exactly at |z| = t·H'. Outside, W continues u linearly through the outline (poisson.h), so
// W is 0 on the outline, f > 0 off the silhouette, and marching cubes' linear interpolation finds
// the rim where the outline is.
//
// The work splits in two: compute_inflate_field() does everything that lives in the image plane
// (the solve, M, M² − W per grid column) and the sampler expands it along z into the
// (resolution + 1)^3 volume. On the CPU that is sample_inflate_volume_into(); on a CUDA device,
// shape/cuda/inflate_sampler.h writes the same floats from the same InflateField. Which one runs
// is the backend's device (create_inflate_backend).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "orfeas/core/scalar_volume.h"
#include "orfeas/core/vec3.h"
#include "orfeas/shape/shape_backend.h"

namespace orfeas::shape {

// The in-plane part of the inflated field: f(i, j, k) = sqrt(z_k^2 + radial_sq[j * points + i]) − inradius
// with z_k = (origin.z + spacing · k) · inv_thickness.
//
// Host memory while computing it: about 100 bytes per pixel of the solve's box (the object's
// bounding box on the canvas and a grid step around it: the domain, the solve, the heights), freed
// before it returns; only `radial_sq` stays. None of it comes from the device's pool.
struct InflateField {
  int points = 0;         // grid points per axis (resolution + 1)
  float spacing = 0.0F;   // model units between grid points
  Vec3f origin;           // model-space position of grid point (0, 0, 0)
  float inradius = 0.0F;  // M: the largest half-thickness H' (before the depth scale t), model units
  float inv_thickness = 1.0F;
  std::vector<float> radial_sq;  // [points, points] M² − W per grid column (j, i), x fastest, ≥ 0
};

// Validates the options and the canvas/mask pair like InflateBackend::generate and computes the
// field's in-plane part. `coverage`: PreprocessedImage::coverage ([size, size], 0–255), or empty
// (the mask's pixel edges are the outline). The Poisson solve is sub-stage `poisson_solve` of
// `profile` (one target or none). kInvalidArgument, kNoForeground as generate().
[[nodiscard]] Result<InflateField> compute_inflate_field(const image::ImageRgba8& canvas, const image::Mask& mask,
                                                         const ShapeOptions& options,
                                                         std::span<const std::uint8_t> coverage = {},
                                                         profiling::ScopeTargets profile = {});

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
                                                            const ShapeOptions& options,
                                                            std::span<const std::uint8_t> coverage = {});

 private:
  gpu::Device device_;
};

}  // namespace orfeas::shape
