#include "orfeas/meshtools/print_report.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <vector>

#include "orfeas/core/parallel.h"
#include "orfeas/export/placement.h"
#include "orfeas/meshtools/ray_caster.h"

namespace orfeas::meshtools {
namespace {

constexpr double kBedToleranceMm = 0.01;
constexpr double kFacingDown = 0.999;  // -n.z above this: on the bed's plane, facing it
constexpr std::size_t kMaxWallSamples = 100'000;

}  // namespace

Result<PrintReport> measure_print(const mesh::Mesh& mesh) {
  ORFEAS_ASSIGN_OR_RETURN(const RayCaster caster, RayCaster::create(mesh));
  PrintReport report;
  const exporter::Bounds bounds = exporter::compute_bounds(mesh.positions);
  report.height_mm = static_cast<double>(bounds.max.z) - bounds.min.z;
  const double bed = static_cast<double>(bounds.min.z) + kBedToleranceMm;
  const double overhang_cos = std::cos(std::numbers::pi / 4.0);
  std::vector<Vec3f> normals(mesh.triangles.size());
  for (std::size_t f = 0; f < mesh.triangles.size(); ++f) {
    const mesh::Triangle& t = mesh.triangles[f];
    const Vec3f a = mesh.positions[t[0]];
    const Vec3f b = mesh.positions[t[1]];
    const Vec3f c = mesh.positions[t[2]];
    const double nx = (static_cast<double>(b.y) - a.y) * (static_cast<double>(c.z) - a.z) -
                      (static_cast<double>(b.z) - a.z) * (static_cast<double>(c.y) - a.y);
    const double ny = (static_cast<double>(b.z) - a.z) * (static_cast<double>(c.x) - a.x) -
                      (static_cast<double>(b.x) - a.x) * (static_cast<double>(c.z) - a.z);
    const double nz = (static_cast<double>(b.x) - a.x) * (static_cast<double>(c.y) - a.y) -
                      (static_cast<double>(b.y) - a.y) * (static_cast<double>(c.x) - a.x);
    const double twice_area = std::sqrt(nx * nx + ny * ny + nz * nz);
    if (twice_area == 0.0) continue;
    const double area = 0.5 * twice_area;
    const double down = -nz / twice_area;  // cosine between the normal and -Z
    normals[f] = {static_cast<float>(nx / twice_area), static_cast<float>(ny / twice_area),
                  static_cast<float>(nz / twice_area)};
    report.surface_mm2 += area;
    const bool on_bed = a.z <= bed && b.z <= bed && c.z <= bed && down > kFacingDown;
    if (on_bed) {
      report.footprint_mm2 += area;
    } else if (down > overhang_cos) {
      report.overhang_mm2 += area;
    }
  }
  if (report.surface_mm2 > 0.0) report.overhang_share = report.overhang_mm2 / report.surface_mm2;

  // Wall thickness: rays from evenly spread faces' centres along their inward normals.
  const std::size_t faces = mesh.triangles.size();
  const std::size_t stride = std::max<std::size_t>(1, (faces + kMaxWallSamples - 1) / kMaxWallSamples);
  const std::size_t samples = (faces + stride - 1) / stride;
  std::vector<double> thinnest(samples, std::numeric_limits<double>::infinity());
  std::vector<double> area(samples, 0.0);
  parallel_for(0, samples, 256, [&](std::size_t begin, std::size_t end) {
    for (std::size_t s = begin; s < end; ++s) {
      const std::size_t f = s * stride;
      const Vec3f n = normals[f];
      if (n == Vec3f{}) continue;
      const mesh::Triangle& t = mesh.triangles[f];
      const Vec3f centre = (mesh.positions[t[0]] + mesh.positions[t[1]] + mesh.positions[t[2]]) * (1.0F / 3.0F);
      area[s] = 0.5 * static_cast<double>(length(cross(mesh.positions[t[1]] - mesh.positions[t[0]],
                                                       mesh.positions[t[2]] - mesh.positions[t[0]])));
      if (const auto hit = caster.exit_hit(centre, n * -1.0F, static_cast<std::uint32_t>(f))) {
        thinnest[s] = hit->distance;
      }
    }
  });
  report.wall_samples = samples;
  const double min_wall = thinnest.empty() ? 0.0 : *std::min_element(thinnest.begin(), thinnest.end());
  report.min_wall_mm = std::isfinite(min_wall) ? min_wall : 0.0;
  double sampled = 0.0;
  double thin = 0.0;
  for (std::size_t s = 0; s < samples; ++s) {
    sampled += area[s];
    if (thinnest[s] < kThinWallMm) thin += area[s];
  }
  if (sampled > 0.0) report.thin_share = thin / sampled;
  return report;
}

Result<PrintReport> measure_print_model(const mesh::Mesh& model, float size_mm) {
  ORFEAS_ASSIGN_OR_RETURN(const mesh::Mesh placed,
                          exporter::place_mesh(model, exporter::placement_for(exporter::Format::kStl, size_mm)));
  return measure_print(placed);
}

}  // namespace orfeas::meshtools
