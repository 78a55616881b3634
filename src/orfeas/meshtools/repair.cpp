#include "orfeas/meshtools/repair.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <deque>
#include <map>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>

#include "orfeas/export/placement.h"
#include "orfeas/mesh/compact.h"
#include "orfeas/mesh/components.h"
#include "orfeas/meshtools/weld.h"

namespace orfeas::meshtools {
namespace {

using mesh::Mesh;
using mesh::Triangle;

std::uint64_t edge_key(std::uint32_t a, std::uint32_t b) {
  return (static_cast<std::uint64_t>(std::min(a, b)) << 32) | std::max(a, b);
}

bool zero_area(const Mesh& mesh, const Triangle& t) {
  const Vec3f p0 = mesh.positions[t[0]];
  const Vec3f p1 = mesh.positions[t[1]];
  const Vec3f p2 = mesh.positions[t[2]];
  const double ax = static_cast<double>(p1.x) - p0.x, ay = static_cast<double>(p1.y) - p0.y,
               az = static_cast<double>(p1.z) - p0.z;
  const double bx = static_cast<double>(p2.x) - p0.x, by = static_cast<double>(p2.y) - p0.y,
               bz = static_cast<double>(p2.z) - p0.z;
  return ay * bz - az * by == 0.0 && az * bx - ax * bz == 0.0 && ax * by - ay * bx == 0.0;
}

void drop_bad_faces(Mesh& mesh, RepairReport& report) {
  std::map<std::array<std::uint32_t, 3>, bool> seen;
  std::vector<Triangle> kept;
  kept.reserve(mesh.triangles.size());
  for (const Triangle& t : mesh.triangles) {
    if (t[0] == t[1] || t[1] == t[2] || t[0] == t[2] || zero_area(mesh, t)) {
      ++report.degenerate_faces_removed;
      continue;
    }
    std::array<std::uint32_t, 3> sorted = t;
    std::sort(sorted.begin(), sorted.end());
    if (!seen.emplace(sorted, true).second) {
      ++report.duplicate_faces_removed;
      continue;
    }
    kept.push_back(t);
  }
  mesh.triangles = std::move(kept);
}

// For each undirected edge, the faces using it: sorted (edge, face) pairs.
struct EdgeFaces {
  std::vector<std::pair<std::uint64_t, std::uint32_t>> entries;

  explicit EdgeFaces(const Mesh& mesh) {
    entries.reserve(mesh.triangles.size() * 3);
    for (std::size_t f = 0; f < mesh.triangles.size(); ++f) {
      const Triangle& t = mesh.triangles[f];
      for (int i = 0; i < 3; ++i) entries.emplace_back(edge_key(t[i], t[(i + 1) % 3]), static_cast<std::uint32_t>(f));
    }
    std::sort(entries.begin(), entries.end());
  }
  // [begin, end) of the entries for `key`.
  [[nodiscard]] std::pair<std::size_t, std::size_t> range(std::uint64_t key) const {
    const auto lo = std::lower_bound(entries.begin(), entries.end(), std::make_pair(key, std::uint32_t{0}));
    auto hi = lo;
    while (hi != entries.end() && hi->first == key) ++hi;
    return {static_cast<std::size_t>(lo - entries.begin()), static_cast<std::size_t>(hi - entries.begin())};
  }
};

// Whether face `t` traverses a -> b (rather than b -> a).
bool traverses(const Triangle& t, std::uint32_t a, std::uint32_t b) {
  for (int i = 0; i < 3; ++i) {
    if (t[i] == a && t[(i + 1) % 3] == b) return true;
  }
  return false;
}

void flip(Triangle& t) {
  std::swap(t[1], t[2]);
}

// Breadth-first over manifold edges; with `fix_sign`, closed components with negative volume are
// flipped whole. Returns the faces flipped by the walk.
void orient(Mesh& mesh, bool fix_sign, RepairReport& report) {
  const std::size_t faces = mesh.triangles.size();
  const EdgeFaces edges(mesh);
  std::vector<std::int32_t> component(faces, -1);
  std::deque<std::uint32_t> queue;
  std::int32_t next_component = 0;
  for (std::uint32_t seed = 0; seed < faces; ++seed) {
    if (component[seed] >= 0) continue;
    const std::int32_t id = next_component++;
    component[seed] = id;
    queue.push_back(seed);
    std::vector<std::uint32_t> members;
    bool closed = true;
    while (!queue.empty()) {
      const std::uint32_t f = queue.front();
      queue.pop_front();
      members.push_back(f);
      for (int i = 0; i < 3; ++i) {
        const std::uint32_t a = mesh.triangles[f][i];
        const std::uint32_t b = mesh.triangles[f][(i + 1) % 3];
        const auto [lo, hi] = edges.range(edge_key(a, b));
        if (hi - lo != 2) {
          closed = false;
          continue;
        }
        const std::uint32_t g = edges.entries[lo].second == f ? edges.entries[lo + 1].second : edges.entries[lo].second;
        if (component[g] >= 0) continue;
        component[g] = id;
        // f traverses a -> b; a consistent neighbour traverses b -> a.
        if (traverses(mesh.triangles[g], a, b)) {
          flip(mesh.triangles[g]);
          ++report.faces_flipped;
        }
        queue.push_back(g);
      }
    }
    if (!fix_sign || !closed) continue;
    double volume = 0.0;
    for (const std::uint32_t f : members) {
      const Vec3f p0 = mesh.positions[mesh.triangles[f][0]];
      const Vec3f p1 = mesh.positions[mesh.triangles[f][1]];
      const Vec3f p2 = mesh.positions[mesh.triangles[f][2]];
      const double cx = static_cast<double>(p1.y) * p2.z - static_cast<double>(p1.z) * p2.y;
      const double cy = static_cast<double>(p1.z) * p2.x - static_cast<double>(p1.x) * p2.z;
      const double cz = static_cast<double>(p1.x) * p2.y - static_cast<double>(p1.y) * p2.x;
      volume += p0.x * cx + p0.y * cy + p0.z * cz;
    }
    if (volume < 0.0) {
      for (const std::uint32_t f : members) flip(mesh.triangles[f]);
      ++report.components_inverted;
    }
  }
}

void fill_holes(Mesh& mesh, std::size_t max_hole_edges, RepairReport& report) {
  const EdgeFaces edges(mesh);
  // Hole half-edges run against the boundary faces: face a -> b on an open edge gives b -> a.
  std::unordered_multimap<std::uint32_t, std::uint32_t> hole_next;
  for (std::size_t i = 0; i < edges.entries.size();) {
    std::size_t j = i;
    while (j < edges.entries.size() && edges.entries[j].first == edges.entries[i].first) ++j;
    if (j - i == 1) {
      const Triangle& t = mesh.triangles[edges.entries[i].second];
      const auto a = static_cast<std::uint32_t>(edges.entries[i].first >> 32);
      const auto b = static_cast<std::uint32_t>(edges.entries[i].first & 0xffffffffU);
      if (traverses(t, a, b)) {
        hole_next.emplace(b, a);
      } else {
        hole_next.emplace(a, b);
      }
    }
    i = j;
  }
  const bool has_colors = mesh.colors.size() == mesh.positions.size();
  std::vector<std::uint32_t> loop;
  while (!hole_next.empty()) {
    loop.clear();
    auto it = hole_next.begin();
    const std::uint32_t start = it->first;
    std::uint32_t at = it->second;
    loop.push_back(start);
    hole_next.erase(it);
    bool closed = false;
    while (true) {
      if (at == start) {
        closed = true;
        break;
      }
      loop.push_back(at);
      const auto next = hole_next.find(at);
      if (next == hole_next.end()) break;
      at = next->second;
      hole_next.erase(next);
    }
    if (!closed || loop.size() < 3 || loop.size() > max_hole_edges) {
      ++report.holes_left_open;
      continue;
    }
    if (loop.size() == 3) {
      mesh.triangles.push_back({loop[0], loop[1], loop[2]});
      ++report.hole_faces_added;
    } else {
      double sx = 0.0, sy = 0.0, sz = 0.0;
      for (const std::uint32_t v : loop) {
        sx += mesh.positions[v].x;
        sy += mesh.positions[v].y;
        sz += mesh.positions[v].z;
      }
      const double n = static_cast<double>(loop.size());
      const auto centre = static_cast<std::uint32_t>(mesh.positions.size());
      mesh.positions.push_back({static_cast<float>(sx / n), static_cast<float>(sy / n), static_cast<float>(sz / n)});
      if (has_colors) mesh.colors.push_back(mesh.colors[loop[0]]);
      for (std::size_t i = 0; i < loop.size(); ++i) {
        mesh.triangles.push_back({centre, loop[i], loop[(i + 1) % loop.size()]});
      }
      report.hole_faces_added += loop.size();
    }
    ++report.holes_filled;
  }
}

}  // namespace

Result<Mesh> repair_mesh(Mesh mesh, const RepairOptions& options, RepairReport* report_out) {
  ORFEAS_RETURN_IF_ERROR(mesh::check_indices(mesh));
  if (!std::isfinite(options.speck_fraction) || options.speck_fraction < 0.0) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("speck fraction must be >= 0, got {}", options.speck_fraction));
  }
  RepairReport report;
  mesh.normals.clear();
  if (mesh.colors.size() != mesh.positions.size()) mesh.colors.clear();
  ORFEAS_ASSIGN_OR_RETURN(report.vertices_welded, weld_vertices(mesh, 0.0));
  if (options.weld_tolerance != 0.0) {
    const exporter::Bounds bounds = exporter::compute_bounds(mesh.positions);
    const Vec3f size = bounds.size();
    const double diagonal = std::sqrt(static_cast<double>(size.x) * size.x + static_cast<double>(size.y) * size.y +
                                      static_cast<double>(size.z) * size.z);
    ORFEAS_ASSIGN_OR_RETURN(const std::size_t merged, weld_vertices(mesh, options.weld_tolerance * diagonal));
    report.vertices_welded += merged;
  }
  drop_bad_faces(mesh, report);
  if (options.orient) orient(mesh, false, report);
  if (options.fill_holes) fill_holes(mesh, options.max_hole_edges, report);
  if (options.orient) orient(mesh, true, report);
  if (options.speck_fraction > 0.0 && !mesh.triangles.empty()) {
    ORFEAS_ASSIGN_OR_RETURN(report.specks_removed, mesh::remove_small_components(mesh, options.speck_fraction));
  }
  ORFEAS_RETURN_IF_ERROR(mesh::compact_vertices(mesh));
  if (report_out != nullptr) *report_out = report;
  return mesh;
}

}  // namespace orfeas::meshtools
