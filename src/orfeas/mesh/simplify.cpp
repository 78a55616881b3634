#include "orfeas/mesh/simplify.h"

#include <meshoptimizer.h>

#include <vector>

#include "orfeas/mesh/compact.h"
#include "orfeas/mesh/topology.h"

namespace orfeas::mesh {
namespace {

// Relative to the mesh extent; large on purpose: the face budget, not the error, should stop it.
constexpr float kTargetError = 1.0F;
// Each retry asks for this many times more faces than the failed attempt.
constexpr std::size_t kBackOffFactor = 2;
constexpr int kMaxAttempts = 4;

Mesh simplified_copy(const Mesh& mesh, std::size_t target_faces) {
  static_assert(sizeof(Triangle) == 3 * sizeof(unsigned int), "triangles are read as a flat index buffer");
  static_assert(sizeof(Vec3f) == 3 * sizeof(float), "positions are read as a flat float3 buffer");
  const std::size_t index_count = 3 * mesh.triangles.size();
  std::vector<unsigned int> indices(index_count);
  const std::size_t kept = meshopt_simplify(indices.data(), mesh.triangles.front().data(), index_count,
                                            &mesh.positions.front().x, mesh.positions.size(), sizeof(Vec3f),
                                            3 * target_faces, kTargetError, 0, nullptr);
  Mesh out;
  out.positions = mesh.positions;
  out.normals = mesh.normals;
  out.colors = mesh.colors;
  out.triangles.resize(kept / 3);
  for (std::size_t f = 0; f < out.triangles.size(); ++f) {
    out.triangles[f] = {indices[3 * f], indices[3 * f + 1], indices[3 * f + 2]};
  }
  compact_vertices(out);
  return out;
}

// What the simplifier must not make worse than the input had.
bool keeps_surface(const TopologyReport& before, const TopologyReport& after) {
  return after.faces > 0 && after.boundary_edges <= before.boundary_edges &&
         after.nonmanifold_edges <= before.nonmanifold_edges &&
         after.inconsistently_oriented_edges <= before.inconsistently_oriented_edges &&
         after.degenerate_faces <= before.degenerate_faces && (!before.watertight() || after.watertight());
}

}  // namespace

Result<Mesh> simplify_mesh(const Mesh& mesh, std::size_t target_faces) {
  for (const Triangle& t : mesh.triangles) {
    for (const std::uint32_t index : t) {
      if (index >= mesh.positions.size()) {
        return make_error(ErrorCode::kInvalidArgument, "simplify: triangle index past the vertex array");
      }
    }
  }
  if (target_faces == 0 || target_faces >= mesh.triangles.size()) return mesh;
  const TopologyReport before = analyze_topology(mesh);
  // meshoptimizer collapses edges while trying to preserve topology, but it does not promise a
  // manifold result; verify each pass and back off towards the input rather than ship a hole.
  std::size_t target = target_faces;
  for (int attempt = 0; attempt < kMaxAttempts && target < mesh.triangles.size(); ++attempt) {
    Mesh candidate = simplified_copy(mesh, target);
    if (keeps_surface(before, analyze_topology(candidate))) return candidate;
    target *= kBackOffFactor;
  }
  return mesh;
}

}  // namespace orfeas::mesh
