#include "orfeas/texture/vertex_colors.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>

#include "orfeas/core/distance_transform.h"
#include "orfeas/core/parallel.h"
#include "orfeas/texture/colour_sources.h"

namespace orfeas::texture {
namespace {

// Bilinear samples of a picture at model (x, y), each pixel standing for its nearest object pixel.
class Sampler {
 public:
  Sampler(const image::ImageRgba8& picture, const DistanceField2D& nearest) : picture_(picture), nearest_(nearest) {}

  [[nodiscard]] std::array<float, 3> at(const Vec3f& p) const {
    const float u = (p.x + 1.0F) * 0.5F * static_cast<float>(picture_.width) - 0.5F;
    const float v = (1.0F - p.y) * 0.5F * static_cast<float>(picture_.height) - 0.5F;
    const float u_floor = std::floor(u);
    const float v_floor = std::floor(v);
    const int x0 = static_cast<int>(u_floor);
    const int y0 = static_cast<int>(v_floor);
    const float fu = u - u_floor;
    const float fv = v - v_floor;
    const std::array<std::pair<int, int>, 4> corners{{{x0, y0}, {x0 + 1, y0}, {x0, y0 + 1}, {x0 + 1, y0 + 1}}};
    const std::array<float, 4> weights{(1.0F - fu) * (1.0F - fv), fu * (1.0F - fv), (1.0F - fu) * fv, fu * fv};
    std::array<float, 3> out{};
    for (std::size_t c = 0; c < 4; ++c) {
      const image::Rgba8& colour = pixel(corners[c].first, corners[c].second);
      out[0] += weights[c] * static_cast<float>(colour.r);
      out[1] += weights[c] * static_cast<float>(colour.g);
      out[2] += weights[c] * static_cast<float>(colour.b);
    }
    return out;
  }

 private:
  [[nodiscard]] const image::Rgba8& pixel(int x, int y) const {
    x = std::clamp(x, 0, picture_.width - 1);
    y = std::clamp(y, 0, picture_.height - 1);
    return picture_.pixels[nearest_.nearest[picture_.index(x, y)]];
  }

  const image::ImageRgba8& picture_;
  const DistanceField2D& nearest_;
};

std::uint8_t to_byte(float value) {
  return static_cast<std::uint8_t>(std::clamp(std::lround(value), 0L, 255L));
}

// 1 for a side (|n_z| ≤ 0.2), 0 for a front or back (|n_z| ≥ 0.5), linear between.
float side_weight(float normal_z) {
  return std::clamp((0.5F - std::abs(normal_z)) / 0.3F, 0.0F, 1.0F);
}

}  // namespace

Result<ColourOptions> parse_back_colours(std::string_view text, ColourOptions options) {
  if (text == "regions") {
    options.back = BackColours::kRegions;
    return options;
  }
  if (text == "mirror") {
    options.back = BackColours::kMirror;
    return options;
  }
  if (text.size() == 7 && text[0] == '#') {
    std::uint32_t rgb = 0;
    const char* end = text.data() + text.size();
    const auto [stop, error] = std::from_chars(text.data() + 1, end, rgb, 16);
    if (error == std::errc() && stop == end) {
      options.back = BackColours::kColour;
      options.back_colour = {static_cast<std::uint8_t>(rgb >> 16U), static_cast<std::uint8_t>(rgb >> 8U),
                             static_cast<std::uint8_t>(rgb)};
      return options;
    }
  }
  return make_error(ErrorCode::kInvalidArgument,
                    "the back's colours are regions, mirror or a colour #RRGGBB, not '" + std::string(text) + "'");
}

Status synthesize_vertex_colors(mesh::Mesh& mesh, const image::ImageRgba8& canvas, const image::Mask& mask,
                                const ColourOptions& options) {
  if (canvas.width != mask.width || canvas.height != mask.height || canvas.width < 1 || canvas.height < 1) {
    return make_error(ErrorCode::kInvalidArgument, "texture synthesis needs a canvas and a mask of the same size");
  }
  if (!std::isfinite(options.side_inset) || options.side_inset < 0.0F || options.side_inset > 0.5F ||
      !std::isfinite(options.min_region) || options.min_region < 0.0F || options.min_region > 1.0F) {
    return make_error(ErrorCode::kInvalidArgument, "side_inset must lie in [0, 0.5] and min_region in [0, 1]");
  }
  const DistanceField2D nearest_foreground = distance_transform(mask.width, mask.height, mask.values, 1);
  if (nearest_foreground.nearest.empty() || nearest_foreground.nearest[0] == DistanceField2D::kNoSite) {
    return make_error(ErrorCode::kNoForeground, "the mask is empty: no colour to project");
  }

  const int inset = static_cast<int>(std::lround(options.side_inset * static_cast<float>(canvas.width)));
  const image::ImageRgba8 sides = inset_colours(canvas, mask, inset);
  std::optional<image::ImageRgba8> regions;
  if (options.back == BackColours::kRegions) regions = colour_regions(sides, mask, options.min_region);
  const Sampler front(canvas, nearest_foreground);
  const Sampler side(sides, nearest_foreground);
  const Sampler back_regions(regions ? *regions : canvas, nearest_foreground);
  const bool has_normals = mesh.normals.size() == mesh.positions.size();
  const std::array<float, 3> fixed{static_cast<float>(options.back_colour.r), static_cast<float>(options.back_colour.g),
                                   static_cast<float>(options.back_colour.b)};

  mesh.colors.resize(mesh.positions.size());
  parallel_for(0, mesh.positions.size(), 4096, [&](std::size_t begin, std::size_t end) {
    for (std::size_t i = begin; i < end; ++i) {
      const Vec3f p = mesh.positions[i];
      const float normal_z = has_normals ? mesh.normals[i].z : (p.z >= 0.0F ? 1.0F : -1.0F);
      const bool facing = has_normals ? normal_z >= 0.0F : p.z >= 0.0F;
      std::array<float, 3> face{};
      if (facing || options.back == BackColours::kMirror) {
        face = front.at(p);
      } else if (options.back == BackColours::kRegions) {
        face = back_regions.at(p);
      } else {
        face = fixed;
      }
      const float s = side_weight(normal_z);
      std::array<float, 3> colour = face;
      if (s > 0.0F) {
        const std::array<float, 3> from_side = side.at(p);
        for (int k = 0; k < 3; ++k) colour[k] = (1.0F - s) * face[k] + s * from_side[k];
      }
      mesh.colors[i] = {to_byte(colour[0]), to_byte(colour[1]), to_byte(colour[2])};
    }
  });
  return ok();
}

}  // namespace orfeas::texture
