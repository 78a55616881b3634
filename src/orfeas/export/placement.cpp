#include "orfeas/export/placement.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <string>

#include <fmt/format.h>

namespace orfeas::exporter {
namespace {

// Y-up to Z-up: a +90° rotation about X. Exact in float (a permutation and a negation).
Vec3f y_up_to_z_up(Vec3f v) {
  return {v.x, -v.z, v.y};
}

Vec3f rotated(Vec3f v, Frame frame) {
  return frame == Frame::kBuildPlateZUp ? y_up_to_z_up(v) : v;
}

}  // namespace

float Bounds::longest_side() const {
  const Vec3f extent = size();
  return std::max({extent.x, extent.y, extent.z});
}

Bounds compute_bounds(std::span<const Vec3f> positions) {
  if (positions.empty()) return {};
  Bounds bounds{positions.front(), positions.front()};
  for (const Vec3f p : positions) {
    bounds.min = {std::min(bounds.min.x, p.x), std::min(bounds.min.y, p.y), std::min(bounds.min.z, p.z)};
    bounds.max = {std::max(bounds.max.x, p.x), std::max(bounds.max.y, p.y), std::max(bounds.max.z, p.z)};
  }
  return bounds;
}

Placement placement_for(Format format, float size_mm) {
  switch (format) {
    case Format::kStl:
    case Format::k3mf:
      return {Frame::kBuildPlateZUp, size_mm};
    case Format::kGlb:
      return {Frame::kCentredYUp, size_mm / 1000.0F};
    case Format::kObj:
    case Format::kPly:
      return {Frame::kCentredYUp, size_mm};
  }
  return {Frame::kCentredYUp, size_mm};
}

Result<mesh::Mesh> place_mesh(const mesh::Mesh& model, const Placement& placement) {
  if (!std::isfinite(placement.longest_side) || placement.longest_side <= 0.0F) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("output size must be finite and > 0, got {}", placement.longest_side));
  }
  if (model.positions.empty()) {
    return make_error(ErrorCode::kInvalidArgument, "mesh has no vertices");
  }
  mesh::Mesh placed = model;
  for (std::size_t i = 0; i < placed.positions.size(); ++i) {
    const Vec3f p = placed.positions[i];
    if (!std::isfinite(p.x) || !std::isfinite(p.y) || !std::isfinite(p.z)) {
      return make_error(ErrorCode::kInvalidArgument, fmt::format("position {} is not finite", i));
    }
    placed.positions[i] = rotated(p, placement.frame);
  }
  if (placement.frame == Frame::kUnchanged) return placed;
  for (Vec3f& n : placed.normals) n = rotated(n, placement.frame);

  const Bounds bounds = compute_bounds(placed.positions);
  const Vec3f extent = bounds.size();
  const double longest =
      std::max({static_cast<double>(extent.x), static_cast<double>(extent.y), static_cast<double>(extent.z)});
  if (!(longest > 0.0) || !std::isfinite(longest)) {
    return make_error(ErrorCode::kInvalidArgument, "mesh has no usable extent (all vertices coincide or overflow)");
  }
  const double scale = static_cast<double>(placement.longest_side) / longest;
  const auto middle = [](float lo, float hi) { return 0.5 * (static_cast<double>(lo) + static_cast<double>(hi)); };
  const std::array<double, 3> anchor = {middle(bounds.min.x, bounds.max.x), middle(bounds.min.y, bounds.max.y),
                                        placement.frame == Frame::kBuildPlateZUp ? static_cast<double>(bounds.min.z)
                                                                                 : middle(bounds.min.z, bounds.max.z)};
  for (Vec3f& p : placed.positions) {
    p = {static_cast<float>((static_cast<double>(p.x) - anchor[0]) * scale),
         static_cast<float>((static_cast<double>(p.y) - anchor[1]) * scale),
         static_cast<float>((static_cast<double>(p.z) - anchor[2]) * scale)};
  }
  return placed;
}

}  // namespace orfeas::exporter
