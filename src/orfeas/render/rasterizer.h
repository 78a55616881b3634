// A software rasteriser for pictures of meshes (`orfeas render`, the README's pictures): no GPU,
// no window, the same pixels on every machine for the same mesh and options.
//
//   RenderOptions options;
//   options.size_px = 240;
//   ORFEAS_ASSIGN_OR_RETURN(const image::ImageRgba8 picture, render_view(mesh, View::kSide, options));
//
// Orthographic (camera.h): the mesh's bounding sphere fills the square picture less `margin`, so
// the views of one mesh share one scale. Triangles are drawn with a z-buffer at `supersample`
// times the size and box-filtered down (anti-aliasing). Each visible point takes its triangle's
// vertex colours (or `plain_colour` for a mesh without them) and smooth normals interpolated, lit
// two-sided by ambient + Lambert from a light fixed to the camera (upper left, in front). Faces
// seen from behind are lit as seen, so open meshes show their inside too.
//
// Errors: kInvalidArgument for bad indices, no faces, a non-finite vertex, or options out of
// range (size 8–4096, supersample 1–4, size × supersample at most 4096, ambient and diffuse in
// 0–1, margin in 0–0.9).
// Thread-safety: pure function; works in its own buffers (16 bytes per sample: at most 256 MiB).
#pragma once

#include "orfeas/core/status.h"
#include "orfeas/core/vec3.h"
#include "orfeas/image/image.h"
#include "orfeas/mesh/mesh.h"
#include "orfeas/render/camera.h"

namespace orfeas::render {

enum class UpAxis {
  kY,  // GLB, OBJ and PLY as ORFEAS writes them (model space)
  kZ,  // STL: Z up, the front facing −Y (rotated back as export/placement.h rotated it)
};

struct RenderOptions {
  int size_px = 256;     // the square picture's side
  int supersample = 3;   // samples per pixel along each axis
  float margin = 0.06F;  // share of the half-side left empty round the bounding sphere
  image::Rgba8 background{244, 244, 242, 255};
  mesh::Rgb8 plain_colour{190, 190, 190};  // for meshes without vertex colours
  float ambient = 0.45F;
  float diffuse = 0.55F;
  Vec3f light{-0.45F, 0.55F, 0.70F};  // towards the light, in camera space (right, up, towards)
  UpAxis up = UpAxis::kY;
};

[[nodiscard]] Result<image::ImageRgba8> render_view(const mesh::Mesh& mesh, View view, const RenderOptions& options);

}  // namespace orfeas::render
