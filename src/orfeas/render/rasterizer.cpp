#include "orfeas/render/rasterizer.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include <fmt/format.h>

#include "orfeas/mesh/normals.h"

namespace orfeas::render {
namespace {

constexpr int kMaxSamplesPerSide = 4096;

Status check_options(const RenderOptions& o) {
  const auto in = [](float v, float low, float high) { return v >= low && v <= high; };
  if (o.size_px < 8 || o.size_px > 4096 || o.supersample < 1 || o.supersample > 4 ||
      o.size_px * o.supersample > kMaxSamplesPerSide) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("picture size {} px with supersampling {} is out of range (8–4096 px, 1–4, "
                                  "at most {} samples a side)",
                                  o.size_px, o.supersample, kMaxSamplesPerSide));
  }
  if (!in(o.ambient, 0.0F, 1.0F) || !in(o.diffuse, 0.0F, 1.0F) || !in(o.margin, 0.0F, 0.9F) ||
      !(length(o.light) > 0.0F) || !std::isfinite(length(o.light))) {
    return make_error(ErrorCode::kInvalidArgument, "lighting or margin out of range");
  }
  return ok();
}

// A copy of the mesh's geometry in model space (Y up) with smooth normals for shading.
Result<mesh::Mesh> lit_geometry(const mesh::Mesh& mesh, UpAxis up) {
  mesh::Mesh lit;
  lit.positions = mesh.positions;
  if (up == UpAxis::kZ) {
    for (Vec3f& p : lit.positions) p = {p.x, p.z, -p.y};  // the inverse of placement's (x, −z, y)
  }
  lit.triangles = mesh.triangles;
  ORFEAS_RETURN_IF_ERROR(mesh::compute_vertex_normals(lit));
  return lit;
}

template <class Colour>
std::array<float, 3> rgb_of(Colour c) {
  return {static_cast<float>(c.r), static_cast<float>(c.g), static_cast<float>(c.b)};
}

// Twice the signed area of (a, b, p) in screen space.
float edge(ScreenPoint a, ScreenPoint b, float px, float py) {
  return (b.x - a.x) * (py - a.y) - (b.y - a.y) * (px - a.x);
}

// What the z-buffer pass leaves for each sample: the nearest triangle and where on it.
struct SampleBuffer {
  explicit SampleBuffer(std::size_t samples)
      : depth(samples, -std::numeric_limits<float>::infinity()), triangle(samples, -1), w1(samples), w2(samples) {}
  std::vector<float> depth;
  std::vector<std::int32_t> triangle;  // -1: background
  std::vector<float> w1;               // barycentric weights of the triangle's second and third corners
  std::vector<float> w2;
};

void rasterize(const mesh::Mesh& lit, const std::vector<ScreenPoint>& screen, int side, SampleBuffer& buffer) {
  for (std::size_t t = 0; t < lit.triangles.size(); ++t) {
    const mesh::Triangle& tri = lit.triangles[t];
    const ScreenPoint a = screen[tri[0]];
    const ScreenPoint b = screen[tri[1]];
    const ScreenPoint c = screen[tri[2]];
    const float area = edge(a, b, c.x, c.y);
    if (!(std::abs(area) > 1e-12F)) continue;  // seen edge-on (or degenerate): covers no sample
    // Samples sit at pixel centres (x + 0.5, y + 0.5) of the supersampled grid.
    const int x0 = std::max(0, static_cast<int>(std::ceil(std::min({a.x, b.x, c.x}) - 0.5F)));
    const int x1 = std::min(side - 1, static_cast<int>(std::floor(std::max({a.x, b.x, c.x}) - 0.5F)));
    const int y0 = std::max(0, static_cast<int>(std::ceil(std::min({a.y, b.y, c.y}) - 0.5F)));
    const int y1 = std::min(side - 1, static_cast<int>(std::floor(std::max({a.y, b.y, c.y}) - 0.5F)));
    for (int y = y0; y <= y1; ++y) {
      const float py = static_cast<float>(y) + 0.5F;
      for (int x = x0; x <= x1; ++x) {
        const float px = static_cast<float>(x) + 0.5F;
        const float u = edge(b, c, px, py) / area;
        const float v = edge(c, a, px, py) / area;
        const float w = edge(a, b, px, py) / area;
        if (u < 0.0F || v < 0.0F || w < 0.0F) continue;
        const float depth = u * a.depth + v * b.depth + w * c.depth;
        const std::size_t i =
            static_cast<std::size_t>(y) * static_cast<std::size_t>(side) + static_cast<std::size_t>(x);
        if (depth <= buffer.depth[i]) continue;
        buffer.depth[i] = depth;
        buffer.triangle[i] = static_cast<std::int32_t>(t);
        buffer.w1[i] = v;
        buffer.w2[i] = w;
      }
    }
  }
}

struct Shader {
  const mesh::Mesh& lit;       // borrowed
  const mesh::Mesh& coloured;  // borrowed: the caller's mesh, for its colours
  const RenderOptions& options;
  Camera camera;
  Vec3f light_world;

  // Linear-light arithmetic is not worth it here: sRGB values scaled, as simple viewers do.
  [[nodiscard]] std::array<float, 3> shade(std::int32_t triangle, float w1, float w2) const {
    const mesh::Triangle& tri = lit.triangles[static_cast<std::size_t>(triangle)];
    const float w0 = 1.0F - w1 - w2;
    Vec3f normal = lit.normals[tri[0]] * w0 + lit.normals[tri[1]] * w1 + lit.normals[tri[2]] * w2;
    const Vec3f face =
        cross(lit.positions[tri[1]] - lit.positions[tri[0]], lit.positions[tri[2]] - lit.positions[tri[0]]);
    if (dot(face, camera.towards) < 0.0F) normal = normal * -1.0F;  // the back of a face: lit as seen
    const float len = length(normal);
    const float lambert = len > 0.0F ? std::max(0.0F, dot(normal, light_world) / len) : 0.0F;
    const float intensity = options.ambient + options.diffuse * lambert;
    std::array<float, 3> albedo = rgb_of(options.plain_colour);
    if (coloured.colors.size() == coloured.positions.size()) {
      const mesh::Rgb8 c0 = coloured.colors[tri[0]];
      const mesh::Rgb8 c1 = coloured.colors[tri[1]];
      const mesh::Rgb8 c2 = coloured.colors[tri[2]];
      albedo = {c0.r * w0 + c1.r * w1 + c2.r * w2, c0.g * w0 + c1.g * w1 + c2.g * w2,
                c0.b * w0 + c1.b * w1 + c2.b * w2};
    }
    for (float& channel : albedo) channel = std::clamp(channel * intensity, 0.0F, 255.0F);
    return albedo;
  }
};

}  // namespace

Result<image::ImageRgba8> render_view(const mesh::Mesh& mesh, View view, const RenderOptions& options) {
  ORFEAS_RETURN_IF_ERROR(check_options(options));
  ORFEAS_RETURN_IF_ERROR(mesh::check_indices(mesh));
  if (mesh.triangles.empty())
    return make_error(ErrorCode::kInvalidArgument, "nothing to render: the mesh has no faces");
  ORFEAS_ASSIGN_OR_RETURN(const mesh::Mesh lit, lit_geometry(mesh, options.up));
  ORFEAS_ASSIGN_OR_RETURN(const Framing framing, frame_positions(lit.positions));
  const Camera camera = view_camera(view);

  const int side = options.size_px * options.supersample;
  const float half = static_cast<float>(side) * 0.5F;
  const float scale = half * (1.0F - options.margin) / (framing.radius > 0.0F ? framing.radius : 1.0F);
  std::vector<ScreenPoint> screen(lit.positions.size());
  for (std::size_t i = 0; i < screen.size(); ++i) {
    const ScreenPoint p = project(camera, framing, lit.positions[i]);
    screen[i] = {half + p.x * scale, half - p.y * scale, p.depth};
  }
  SampleBuffer buffer(static_cast<std::size_t>(side) * static_cast<std::size_t>(side));
  rasterize(lit, screen, side, buffer);

  const Vec3f light = normalized(options.light);
  const Shader shader{lit, mesh, options, camera,
                      normalized(camera.right * light.x + camera.up * light.y + camera.towards * light.z)};
  const std::array<float, 3> background = rgb_of(options.background);
  const int ss = options.supersample;
  const float samples = static_cast<float>(ss * ss);
  image::ImageRgba8 picture(options.size_px, options.size_px);
  for (int y = 0; y < options.size_px; ++y) {
    for (int x = 0; x < options.size_px; ++x) {
      std::array<float, 3> sum{};
      for (int sy = y * ss; sy < (y + 1) * ss; ++sy) {
        for (int sx = x * ss; sx < (x + 1) * ss; ++sx) {
          const std::size_t i =
              static_cast<std::size_t>(sy) * static_cast<std::size_t>(side) + static_cast<std::size_t>(sx);
          const std::array<float, 3> rgb =
              buffer.triangle[i] < 0 ? background : shader.shade(buffer.triangle[i], buffer.w1[i], buffer.w2[i]);
          for (std::size_t k = 0; k < 3; ++k) sum[k] += rgb[k];
        }
      }
      const auto channel = [&](std::size_t k) { return static_cast<std::uint8_t>(std::lround(sum[k] / samples)); };
      picture.at(x, y) = {channel(0), channel(1), channel(2), 255};
    }
  }
  return picture;
}

}  // namespace orfeas::render
