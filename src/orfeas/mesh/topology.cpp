#include "orfeas/mesh/topology.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <vector>

#include "orfeas/mesh/components.h"
#include "orfeas/mesh/double_geometry.h"

namespace orfeas::mesh {
namespace {

using internal::cross;
using internal::dot;
using internal::to_double;
using internal::Vec3d;

// One directed use of an edge by a face; sorting groups the uses of each undirected edge.
struct HalfEdge {
  std::uint32_t low;
  std::uint32_t high;
  bool forward;  // the face goes low -> high
  friend bool operator<(const HalfEdge& a, const HalfEdge& b) {
    return a.low != b.low ? a.low < b.low : a.high < b.high;
  }
};

}  // namespace

Result<TopologyReport> analyze_topology(const Mesh& mesh) {
  ORFEAS_RETURN_IF_ERROR(check_indices(mesh));
  TopologyReport report;
  report.faces = mesh.triangles.size();
  std::vector<HalfEdge> half_edges;
  half_edges.reserve(3 * mesh.triangles.size());
  std::vector<std::uint8_t> referenced(mesh.positions.size(), 0);
  // Doubles: a float cross product of tiny marching-cubes slivers can round to zero.
  for (const Triangle& t : mesh.triangles) {
    for (const std::uint32_t index : t) referenced[index] = 1;
    const Vec3d a = to_double(mesh.positions[t[0]]);
    const Vec3d b = to_double(mesh.positions[t[1]]);
    const Vec3d c = to_double(mesh.positions[t[2]]);
    const Vec3d n = cross(b - a, c - a);
    const double twice_area = std::sqrt(dot(n, n));
    report.area += 0.5 * twice_area;
    report.signed_volume += dot(a, cross(b, c)) / 6.0;
    const bool repeated = t[0] == t[1] || t[1] == t[2] || t[0] == t[2];
    if (repeated || twice_area == 0.0) ++report.degenerate_faces;
    if (repeated) continue;
    for (std::size_t k = 0; k < 3; ++k) {
      const std::uint32_t from = t[k];
      const std::uint32_t to = t[(k + 1) % 3];
      half_edges.push_back({std::min(from, to), std::max(from, to), from < to});
    }
  }
  std::sort(half_edges.begin(), half_edges.end());
  for (std::size_t i = 0; i < half_edges.size();) {
    std::size_t j = i + 1;
    while (j < half_edges.size() && half_edges[j].low == half_edges[i].low && half_edges[j].high == half_edges[i].high)
      ++j;
    ++report.edges;
    const std::size_t uses = j - i;
    if (uses == 1) ++report.boundary_edges;
    if (uses > 2) ++report.nonmanifold_edges;
    if (uses == 2 && half_edges[i].forward == half_edges[i + 1].forward) ++report.inconsistently_oriented_edges;
    i = j;
  }
  report.vertices = static_cast<std::size_t>(std::count(referenced.begin(), referenced.end(), 1));
  ORFEAS_ASSIGN_OR_RETURN(const ComponentLabels labels, label_components(mesh));
  report.components = labels.count;
  report.euler_characteristic =
      static_cast<long>(report.vertices) - static_cast<long>(report.edges) + static_cast<long>(report.faces);
  return report;
}

}  // namespace orfeas::mesh
