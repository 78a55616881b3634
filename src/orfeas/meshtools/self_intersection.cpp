#include "orfeas/meshtools/self_intersection.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace orfeas::meshtools {
namespace {

struct P3 {
  double x, y, z;
};

P3 to_p3(Vec3f v) {
  return {v.x, v.y, v.z};
}

// Sign of the volume of (a, b, c, d): > 0 when d lies on the side of abc its normal points to.
double orient(const P3& a, const P3& b, const P3& c, const P3& d) {
  const double bx = b.x - a.x, by = b.y - a.y, bz = b.z - a.z;
  const double cx = c.x - a.x, cy = c.y - a.y, cz = c.z - a.z;
  const double dx = d.x - a.x, dy = d.y - a.y, dz = d.z - a.z;
  return bx * (cy * dz - cz * dy) - by * (cx * dz - cz * dx) + bz * (cx * dy - cy * dx);
}

// The open segment pq crosses the interior of triangle abc.
bool segment_crosses(const P3& p, const P3& q, const std::array<P3, 3>& t) {
  const double dp = orient(t[0], t[1], t[2], p);
  const double dq = orient(t[0], t[1], t[2], q);
  if (!((dp > 0.0 && dq < 0.0) || (dp < 0.0 && dq > 0.0))) return false;
  const double s0 = orient(p, q, t[0], t[1]);
  const double s1 = orient(p, q, t[1], t[2]);
  const double s2 = orient(p, q, t[2], t[0]);
  return (s0 > 0.0 && s1 > 0.0 && s2 > 0.0) || (s0 < 0.0 && s1 < 0.0 && s2 < 0.0);
}

bool triangles_cross(const std::array<P3, 3>& a, const std::array<P3, 3>& b) {
  for (int i = 0; i < 3; ++i) {
    if (segment_crosses(a[i], a[(i + 1) % 3], b)) return true;
    if (segment_crosses(b[i], b[(i + 1) % 3], a)) return true;
  }
  return false;
}

bool share_vertex(const mesh::Triangle& a, const mesh::Triangle& b) {
  for (const std::uint32_t u : a) {
    if (u == b[0] || u == b[1] || u == b[2]) return true;
  }
  return false;
}

struct CellRange {
  std::array<std::uint32_t, 3> lo;
  std::array<std::uint32_t, 3> hi;  // inclusive
};

}  // namespace

Result<SelfIntersections> find_self_intersections(const mesh::Mesh& mesh, const SelfIntersectionOptions& options) {
  ORFEAS_RETURN_IF_ERROR(mesh::check_indices(mesh));
  SelfIntersections result;
  const std::size_t faces = mesh.triangles.size();
  if (faces < 2) return result;

  std::array<double, 3> lo{INFINITY, INFINITY, INFINITY};
  std::array<double, 3> hi{-INFINITY, -INFINITY, -INFINITY};
  for (const mesh::Triangle& t : mesh.triangles) {
    for (const std::uint32_t v : t) {
      const std::array<double, 3> p{mesh.positions[v].x, mesh.positions[v].y, mesh.positions[v].z};
      for (int k = 0; k < 3; ++k) {
        lo[k] = std::min(lo[k], p[k]);
        hi[k] = std::max(hi[k], p[k]);
      }
    }
  }
  // About one cell per face, shaped like the box; flat axes get one cell.
  const double extent_max = std::max({hi[0] - lo[0], hi[1] - lo[1], hi[2] - lo[2]});
  if (!(extent_max > 0.0) || !std::isfinite(extent_max)) return result;
  std::array<double, 3> extent{};
  double volume_proxy = 1.0;
  for (int k = 0; k < 3; ++k) {
    extent[k] = std::max(hi[k] - lo[k], extent_max * 1e-3);
    volume_proxy *= extent[k];
  }
  const double cell = std::cbrt(volume_proxy / static_cast<double>(faces));
  std::array<std::uint32_t, 3> dims{};
  for (int k = 0; k < 3; ++k) {
    dims[k] = static_cast<std::uint32_t>(std::clamp(std::ceil(extent[k] / cell), 1.0, 1024.0));
  }
  const auto cell_index = [&](int k, double v) {
    const double c = std::floor((v - lo[k]) / extent[k] * dims[k]);
    return static_cast<std::uint32_t>(std::clamp(c, 0.0, static_cast<double>(dims[k] - 1)));
  };

  std::vector<CellRange> ranges(faces);
  std::vector<std::array<P3, 3>> corners(faces);
  std::vector<std::uint64_t> cell_count(static_cast<std::size_t>(dims[0]) * dims[1] * dims[2] + 1, 0);
  std::uint64_t entries = 0;
  for (std::size_t f = 0; f < faces; ++f) {
    const mesh::Triangle& t = mesh.triangles[f];
    for (int c = 0; c < 3; ++c) corners[f][c] = to_p3(mesh.positions[t[c]]);
    std::array<double, 3> tmin{corners[f][0].x, corners[f][0].y, corners[f][0].z};
    std::array<double, 3> tmax = tmin;
    for (int c = 1; c < 3; ++c) {
      const std::array<double, 3> p{corners[f][c].x, corners[f][c].y, corners[f][c].z};
      for (int k = 0; k < 3; ++k) {
        tmin[k] = std::min(tmin[k], p[k]);
        tmax[k] = std::max(tmax[k], p[k]);
      }
    }
    std::uint64_t covered = 1;
    for (int k = 0; k < 3; ++k) {
      ranges[f].lo[k] = cell_index(k, tmin[k]);
      ranges[f].hi[k] = cell_index(k, tmax[k]);
      covered *= ranges[f].hi[k] - ranges[f].lo[k] + 1;
    }
    entries += covered;
    if (entries > options.max_cell_entries) {
      result.complete = false;
      return result;
    }
  }
  const auto flat = [&](std::uint32_t x, std::uint32_t y, std::uint32_t z) {
    return (static_cast<std::size_t>(z) * dims[1] + y) * dims[0] + x;
  };
  const auto for_each_cell = [&](const CellRange& r, auto&& visit) {
    for (std::uint32_t z = r.lo[2]; z <= r.hi[2]; ++z) {
      for (std::uint32_t y = r.lo[1]; y <= r.hi[1]; ++y) {
        for (std::uint32_t x = r.lo[0]; x <= r.hi[0]; ++x) visit(flat(x, y, z));
      }
    }
  };
  for (std::size_t f = 0; f < faces; ++f) for_each_cell(ranges[f], [&](std::size_t c) { ++cell_count[c + 1]; });
  for (std::size_t c = 1; c < cell_count.size(); ++c) cell_count[c] += cell_count[c - 1];
  std::vector<std::uint32_t> cell_faces(static_cast<std::size_t>(entries));
  {
    std::vector<std::uint64_t> fill(cell_count.begin(), cell_count.end() - 1);
    for (std::size_t f = 0; f < faces; ++f) {
      for_each_cell(ranges[f], [&](std::size_t c) { cell_faces[fill[c]++] = static_cast<std::uint32_t>(f); });
    }
  }

  for (std::uint32_t z = 0; z < dims[2]; ++z) {
    for (std::uint32_t y = 0; y < dims[1]; ++y) {
      for (std::uint32_t x = 0; x < dims[0]; ++x) {
        const std::size_t c = flat(x, y, z);
        for (std::uint64_t i = cell_count[c]; i < cell_count[c + 1]; ++i) {
          const std::uint32_t a = cell_faces[i];
          for (std::uint64_t j = i + 1; j < cell_count[c + 1]; ++j) {
            const std::uint32_t b = cell_faces[j];
            if (++result.pair_tests > options.max_pair_tests) {
              result.complete = false;
              return result;
            }
            const CellRange& ra = ranges[a];
            const CellRange& rb = ranges[b];
            // Tested only in the first cell both cover, so each pair once.
            const std::array<std::uint32_t, 3> first{std::max(ra.lo[0], rb.lo[0]), std::max(ra.lo[1], rb.lo[1]),
                                                     std::max(ra.lo[2], rb.lo[2])};
            if (first[0] != x || first[1] != y || first[2] != z) continue;
            if (share_vertex(mesh.triangles[a], mesh.triangles[b])) continue;
            if (triangles_cross(corners[a], corners[b])) {
              ++result.pairs;
              if (result.examples.size() < options.max_examples) {
                result.examples.emplace_back(std::min(a, b), std::max(a, b));
              }
            }
          }
        }
      }
    }
  }
  return result;
}

}  // namespace orfeas::meshtools
