#include "orfeas/render/camera.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include <fmt/format.h>

namespace orfeas::render {
namespace {

constexpr float kSideAzimuthDeg = -40.0F;  // negative: round to −X, the object's left
constexpr float kSideElevationDeg = 20.0F;

// The camera on the unit sphere at `azimuth` round Y from +Z (towards +X) and `elevation` above.
Camera orbit_camera(float azimuth_deg, float elevation_deg) {
  const float azimuth = azimuth_deg * std::numbers::pi_v<float> / 180.0F;
  const float elevation = elevation_deg * std::numbers::pi_v<float> / 180.0F;
  const Vec3f towards{std::sin(azimuth) * std::cos(elevation), std::sin(elevation),
                      std::cos(azimuth) * std::cos(elevation)};
  const Vec3f right{std::cos(azimuth), 0.0F, -std::sin(azimuth)};
  return {right, normalized(cross(towards, right)), towards};
}

}  // namespace

Result<View> parse_view(std::string_view name) {
  for (const View view : {View::kFront, View::kSide, View::kBack, View::kTop}) {
    if (name == view_name(view)) return view;
  }
  return make_error(ErrorCode::kInvalidArgument,
                    fmt::format("unknown view '{}' (expected front, side, back or top)", name.substr(0, 40)));
}

std::string_view view_name(View view) {
  switch (view) {
    case View::kFront:
      return "front";
    case View::kSide:
      return "side";
    case View::kBack:
      return "back";
    case View::kTop:
      return "top";
  }
  return "front";
}

Camera view_camera(View view) {
  switch (view) {
    case View::kFront:
      return {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}};
    case View::kSide:
      return orbit_camera(kSideAzimuthDeg, kSideElevationDeg);
    case View::kBack:
      return {{-1, 0, 0}, {0, 1, 0}, {0, 0, -1}};
    case View::kTop:
      return {{1, 0, 0}, {0, 0, -1}, {0, 1, 0}};
  }
  return {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}};
}

Result<Framing> frame_positions(std::span<const Vec3f> positions) {
  if (positions.empty()) return make_error(ErrorCode::kInvalidArgument, "nothing to frame: the mesh has no vertices");
  Vec3f low = positions.front();
  Vec3f high = positions.front();
  for (const Vec3f p : positions) {
    if (!std::isfinite(p.x) || !std::isfinite(p.y) || !std::isfinite(p.z)) {
      return make_error(ErrorCode::kInvalidArgument, "cannot frame a mesh with a non-finite vertex");
    }
    low = {std::min(low.x, p.x), std::min(low.y, p.y), std::min(low.z, p.z)};
    high = {std::max(high.x, p.x), std::max(high.y, p.y), std::max(high.z, p.z)};
  }
  Framing framing{(low + high) * 0.5F, 0.0F};
  for (const Vec3f p : positions) framing.radius = std::max(framing.radius, length(p - framing.centre));
  return framing;
}

ScreenPoint project(const Camera& camera, const Framing& framing, Vec3f p) {
  const Vec3f d = p - framing.centre;
  return {dot(d, camera.right), dot(d, camera.up), dot(d, camera.towards)};
}

}  // namespace orfeas::render
