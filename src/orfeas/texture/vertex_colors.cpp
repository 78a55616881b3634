#include "orfeas/texture/vertex_colors.h"

#include <algorithm>
#include <cmath>

#include "orfeas/core/distance_transform.h"
#include "orfeas/core/parallel.h"

namespace orfeas::texture {

Status synthesize_vertex_colors(mesh::Mesh& mesh, const image::ImageRgba8& canvas, const image::Mask& mask) {
  if (canvas.width != mask.width || canvas.height != mask.height || canvas.width < 1 || canvas.height < 1) {
    return make_error(ErrorCode::kInvalidArgument, "texture synthesis needs a canvas and a mask of the same size");
  }
  const DistanceField2D nearest_foreground = distance_transform(mask.width, mask.height, mask.values, 1);
  if (nearest_foreground.nearest.empty() || nearest_foreground.nearest[0] == DistanceField2D::kNoSite) {
    return make_error(ErrorCode::kNoForeground, "the mask is empty: no colour to project");
  }

  const auto colour_at = [&](int x, int y) -> const image::Rgba8& {
    x = std::clamp(x, 0, canvas.width - 1);
    y = std::clamp(y, 0, canvas.height - 1);
    return canvas.pixels[nearest_foreground.nearest[canvas.index(x, y)]];
  };
  const float width = static_cast<float>(canvas.width);
  const float height = static_cast<float>(canvas.height);

  mesh.colors.resize(mesh.positions.size());
  parallel_for(0, mesh.positions.size(), 4096, [&](std::size_t begin, std::size_t end) {
    for (std::size_t i = begin; i < end; ++i) {
      const Vec3f p = mesh.positions[i];
      const float u = (p.x + 1.0F) * 0.5F * width - 0.5F;
      const float v = (1.0F - p.y) * 0.5F * height - 0.5F;
      const float u_floor = std::floor(u);
      const float v_floor = std::floor(v);
      const int x0 = static_cast<int>(u_floor);
      const int y0 = static_cast<int>(v_floor);
      const float fu = u - u_floor;
      const float fv = v - v_floor;
      const image::Rgba8& c00 = colour_at(x0, y0);
      const image::Rgba8& c10 = colour_at(x0 + 1, y0);
      const image::Rgba8& c01 = colour_at(x0, y0 + 1);
      const image::Rgba8& c11 = colour_at(x0 + 1, y0 + 1);
      const auto blend = [&](std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) {
        const float top = static_cast<float>(a) * (1.0F - fu) + static_cast<float>(b) * fu;
        const float bottom = static_cast<float>(c) * (1.0F - fu) + static_cast<float>(d) * fu;
        return static_cast<std::uint8_t>(std::clamp(std::lround(top * (1.0F - fv) + bottom * fv), 0L, 255L));
      };
      mesh.colors[i] = {blend(c00.r, c10.r, c01.r, c11.r), blend(c00.g, c10.g, c01.g, c11.g),
                        blend(c00.b, c10.b, c01.b, c11.b)};
    }
  });
  return ok();
}

}  // namespace orfeas::texture
