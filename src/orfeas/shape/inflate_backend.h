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
#pragma once

#include <string_view>

#include "orfeas/shape/shape_backend.h"

namespace orfeas::shape {

class InflateBackend final : public ShapeBackend {
 public:
  static constexpr std::string_view kName = "inflate";

  [[nodiscard]] std::string_view name() const override { return kName; }
  [[nodiscard]] Result<ScalarVolume> generate(const image::ImageRgba8& canvas, const image::Mask& mask,
                                              const ShapeOptions& options) const override;
};

// The signed distance to the mask's outline in pixels, positive inside: the distance from a
// foreground pixel's centre to the nearest background pixel's centre minus half a pixel, and the
// negative of the converse outside, so the outline sits on the pixel edges. [height, width].
[[nodiscard]] std::vector<float> signed_distance_pixels(const image::Mask& mask);

}  // namespace orfeas::shape
