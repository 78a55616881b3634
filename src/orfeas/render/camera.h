// The cameras of `orfeas render`: a few fixed views of a mesh, orthographic, all framing the same
// bounding sphere so that the views of one mesh share one scale.
//
//   ORFEAS_ASSIGN_OR_RETURN(const View view, parse_view("side"));
//   const Camera camera = view_camera(view);  // then project(camera, framing, p)
//
// Model space is the pipeline's (orfeas/mesh/mesh.h): Y up, the object's front facing +Z, its
// right (the picture's right) at +X. The views, as the camera stands:
//   front  on +Z, level;                 back  on −Z, level (left and right swap);
//   side   a three-quarter view from the front-left (40° round to −X), 20° above;
//   top    straight above, the front at the bottom of the picture.
// Screen coordinates are in model units: x to the right, y up, depth towards the camera.
//
// Thread-safety: pure functions.
#pragma once

#include <span>
#include <string_view>

#include "orfeas/core/status.h"
#include "orfeas/core/vec3.h"

namespace orfeas::render {

enum class View { kFront, kSide, kBack, kTop };

// "front", "side", "back", "top"; kInvalidArgument naming the choices otherwise.
[[nodiscard]] Result<View> parse_view(std::string_view name);
[[nodiscard]] std::string_view view_name(View view);

// An orthonormal, right-handed basis: right × up = towards (the direction to the camera).
struct Camera {
  Vec3f right;
  Vec3f up;
  Vec3f towards;
};

[[nodiscard]] Camera view_camera(View view);

// The sphere every view frames: the bounding box's centre and the farthest vertex from it.
struct Framing {
  Vec3f centre;
  float radius = 0.0F;
};

// kInvalidArgument for no positions or a non-finite one.
[[nodiscard]] Result<Framing> frame_positions(std::span<const Vec3f> positions);

struct ScreenPoint {
  float x = 0.0F;
  float y = 0.0F;
  float depth = 0.0F;  // larger is nearer the camera
};

[[nodiscard]] ScreenPoint project(const Camera& camera, const Framing& framing, Vec3f p);

}  // namespace orfeas::render
