#include "orfeas/meshtools/ray_caster.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>

#include "orfeas/export/placement.h"
#include "orfeas/mesh/double_geometry.h"

namespace orfeas::meshtools {
namespace {

using mesh::internal::to_double;
using mesh::internal::Vec3d;

double component(Vec3d v, int axis) {
  return axis == 0 ? v.x : (axis == 1 ? v.y : v.z);
}

// Möller–Trumbore: the distance along d to the triangle, or a negative value for a miss.
double intersect(Vec3d o, Vec3d d, Vec3d a, Vec3d b, Vec3d c) {
  const Vec3d e1 = b - a;
  const Vec3d e2 = c - a;
  const Vec3d p = cross(d, e2);
  const double det = dot(e1, p);
  if (det == 0.0) return -1.0;
  const double inv = 1.0 / det;
  const Vec3d s = o - a;
  const double u = dot(s, p) * inv;
  if (u < 0.0 || u > 1.0) return -1.0;
  const Vec3d q = cross(s, e1);
  const double v = dot(d, q) * inv;
  if (v < 0.0 || u + v > 1.0) return -1.0;
  return dot(e2, q) * inv;
}

}  // namespace

Result<RayCaster> RayCaster::create(const mesh::Mesh& mesh) {
  ORFEAS_RETURN_IF_ERROR(mesh::check_indices(mesh));
  for (const Vec3f& p : mesh.positions) {
    if (!std::isfinite(p.x) || !std::isfinite(p.y) || !std::isfinite(p.z)) {
      return make_error(ErrorCode::kInvalidArgument, "ray caster: a position is not finite");
    }
  }
  RayCaster caster(mesh);
  const exporter::Bounds bounds = exporter::compute_bounds(mesh.positions);
  const Vec3f size = bounds.size();
  const double volume = std::max(static_cast<double>(size.x) * size.y * size.z, 1e-30);
  const double faces = std::max<double>(1.0, static_cast<double>(mesh.triangles.size()));
  double cell = std::cbrt(volume / faces);
  cell = std::max({cell, static_cast<double>(bounds.longest_side()) / 512.0, 1e-30});
  caster.cell_ = static_cast<float>(cell);
  caster.min_ = bounds.min;
  const std::array<float, 3> extent = {size.x, size.y, size.z};
  for (std::size_t a = 0; a < 3; ++a) {
    caster.n_[a] = std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil(extent[a] / cell)));
  }
  const auto cell_of = [&](float v, float lo, std::size_t axis) {
    return std::clamp<std::int64_t>(static_cast<std::int64_t>(std::floor((v - lo) / cell)), 0, caster.n_[axis] - 1);
  };
  const std::size_t cells = static_cast<std::size_t>(caster.n_[0] * caster.n_[1] * caster.n_[2]);
  std::vector<std::uint32_t> counts(cells + 1, 0);
  // Two passes: count, then fill (compressed rows).
  for (int pass = 0; pass < 2; ++pass) {
    if (pass == 1) {
      for (std::size_t i = 1; i <= cells; ++i) counts[i] += counts[i - 1];
      caster.cell_start_ = counts;
      caster.cell_faces_.resize(counts[cells]);
      counts = caster.cell_start_;  // now each cell's next free slot
    }
    for (std::uint32_t f = 0; f < mesh.triangles.size(); ++f) {
      const mesh::Triangle& t = mesh.triangles[f];
      std::array<std::int64_t, 3> lo{};
      std::array<std::int64_t, 3> hi{};
      for (std::size_t a = 0; a < 3; ++a) {
        const auto coord = [&](std::uint32_t v) {
          const Vec3f p = mesh.positions[v];
          return a == 0 ? p.x : (a == 1 ? p.y : p.z);
        };
        const float mn = std::min({coord(t[0]), coord(t[1]), coord(t[2])});
        const float mx = std::max({coord(t[0]), coord(t[1]), coord(t[2])});
        const float origin = a == 0 ? bounds.min.x : (a == 1 ? bounds.min.y : bounds.min.z);
        lo[a] = cell_of(mn, origin, a);
        hi[a] = cell_of(mx, origin, a);
      }
      for (std::int64_t z = lo[2]; z <= hi[2]; ++z) {
        for (std::int64_t y = lo[1]; y <= hi[1]; ++y) {
          for (std::int64_t x = lo[0]; x <= hi[0]; ++x) {
            const auto c = static_cast<std::size_t>((z * caster.n_[1] + y) * caster.n_[0] + x);
            if (pass == 0) {
              ++counts[c + 1];
            } else {
              caster.cell_faces_[counts[c]++] = f;
            }
          }
        }
      }
    }
  }
  return caster;
}

std::optional<RayCaster::Hit> RayCaster::exit_hit(Vec3f origin, Vec3f direction, std::uint32_t from_face) const {
  const mesh::Triangle from = mesh_->triangles[from_face];
  const auto near_from = [&](const mesh::Triangle& t) {
    for (const std::uint32_t v : t) {
      if (v == from[0] || v == from[1] || v == from[2]) return true;
    }
    return false;
  };
  const Vec3d o = to_double(origin);
  const Vec3d d = to_double(direction);
  const Vec3d lo = to_double(min_);
  const double cell = cell_;
  // The ray's start cell (the origin lies in or on the grid's box: clamp), then cell by cell.
  std::array<std::int64_t, 3> c{};
  std::array<std::int64_t, 3> step{};
  std::array<double, 3> t_max{};
  std::array<double, 3> t_delta{};
  for (int a = 0; a < 3; ++a) {
    const auto axis = static_cast<std::size_t>(a);
    const double rel = (component(o, a) - component(lo, a)) / cell;
    c[axis] = std::clamp<std::int64_t>(static_cast<std::int64_t>(std::floor(rel)), 0, n_[axis] - 1);
    const double da = component(d, a);
    if (da > 0.0) {
      step[axis] = 1;
      t_max[axis] = ((static_cast<double>(c[axis]) + 1.0) * cell + component(lo, a) - component(o, a)) / da;
      t_delta[axis] = cell / da;
    } else if (da < 0.0) {
      step[axis] = -1;
      t_max[axis] = (static_cast<double>(c[axis]) * cell + component(lo, a) - component(o, a)) / da;
      t_delta[axis] = -cell / da;
    } else {
      step[axis] = 0;
      t_max[axis] = std::numeric_limits<double>::infinity();
      t_delta[axis] = std::numeric_limits<double>::infinity();
    }
  }
  std::optional<Hit> best;
  while (true) {
    const auto index = static_cast<std::size_t>((c[2] * n_[1] + c[1]) * n_[0] + c[0]);
    for (std::uint32_t i = cell_start_[index]; i < cell_start_[index + 1]; ++i) {
      const std::uint32_t f = cell_faces_[i];
      const mesh::Triangle& t = mesh_->triangles[f];
      if (near_from(t)) continue;
      const Vec3d a = to_double(mesh_->positions[t[0]]);
      const Vec3d b = to_double(mesh_->positions[t[1]]);
      const Vec3d cc = to_double(mesh_->positions[t[2]]);
      if (dot(cross(b - a, cc - a), d) <= 0.0) continue;  // entering, not leaving
      const double dist = intersect(o, d, a, b, cc);
      if (dist > 0.0 && (!best || dist < best->distance)) best = Hit{dist, f};
    }
    const double cell_exit = std::min({t_max[0], t_max[1], t_max[2]});
    if (best && best->distance <= cell_exit) return best;
    std::size_t axis = 0;
    if (t_max[1] < t_max[axis]) axis = 1;
    if (t_max[2] < t_max[axis]) axis = 2;
    if (step[axis] == 0) return best;
    c[axis] += step[axis];
    if (c[axis] < 0 || c[axis] >= n_[axis]) return best;
    t_max[axis] += t_delta[axis];
  }
}

}  // namespace orfeas::meshtools
