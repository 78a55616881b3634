#include "orfeas/mesh/simplify.h"

#include <meshoptimizer.h>

#include <algorithm>
#include <numeric>
#include <unordered_map>
#include <vector>

#include "orfeas/mesh/compact.h"
#include "orfeas/mesh/topology.h"

namespace orfeas::mesh {
namespace {

// Relative to the mesh extent; large on purpose: the face budget, not the error, should stop it.
constexpr float kTargetError = 1.0F;
// How many times a pass may be repaired by freezing the regions where it went wrong.
constexpr int kMaxRepairRounds = 8;
// Rings of faces around a problem vertex that are frozen with it.
constexpr int kFrozenRings = 2;

std::uint64_t edge_key(std::uint32_t a, std::uint32_t b) {
  return (static_cast<std::uint64_t>(std::min(a, b)) << 32U) | std::max(a, b);
}

// Vertices (original indices) where `triangles` is not a clean closed surface: on edges not used
// exactly twice in opposite directions, on zero-area faces, or where the faces around a vertex
// form more than one fan (two sheets pinched together at a point).
std::vector<bool> problem_vertices(const std::vector<Vec3f>& positions, const std::vector<Triangle>& triangles) {
  std::vector<bool> bad(positions.size(), false);
  std::unordered_map<std::uint64_t, int> edge_balance;  // +1 for a→b with a<b, −1 otherwise
  std::unordered_map<std::uint64_t, int> edge_uses;
  edge_balance.reserve(triangles.size() * 2);
  edge_uses.reserve(triangles.size() * 2);
  for (const Triangle& t : triangles) {
    const Vec3f a = positions[t[0]];
    const Vec3f b = positions[t[1]];
    const Vec3f c = positions[t[2]];
    if (length(cross(b - a, c - a)) == 0.0F) {
      for (auto v : t) bad[v] = true;
    }
    for (std::size_t k = 0; k < 3; ++k) {
      const std::uint32_t from = t[k];
      const std::uint32_t to = t[(k + 1) % 3];
      edge_balance[edge_key(from, to)] += from < to ? 1 : -1;
      ++edge_uses[edge_key(from, to)];
    }
  }
  for (const auto& [key, uses] : edge_uses) {
    if (uses != 2 || edge_balance[key] != 0) {
      bad[static_cast<std::uint32_t>(key >> 32U)] = true;
      bad[static_cast<std::uint32_t>(key & 0xFFFFFFFFU)] = true;
    }
  }
  // Fans: around each vertex, faces sharing one of their other two vertices are connected.
  std::vector<std::uint32_t> first(positions.size() + 1, 0);
  for (const Triangle& t : triangles) {
    for (auto v : t) ++first[v + 1];
  }
  std::partial_sum(first.begin(), first.end(), first.begin());
  std::vector<std::uint32_t> incident(first.back());
  std::vector<std::uint32_t> fill(first.begin(), first.end() - 1);
  for (std::uint32_t f = 0; f < triangles.size(); ++f) {
    for (auto v : triangles[f]) incident[fill[v]++] = f;
  }
  std::vector<std::uint32_t> parent;
  for (std::uint32_t v = 0; v < positions.size(); ++v) {
    const std::uint32_t begin = first[v];
    const std::uint32_t end = first[v + 1];
    if (end - begin < 2 || bad[v]) continue;
    parent.resize(end - begin);
    std::iota(parent.begin(), parent.end(), 0U);
    const auto find = [&](std::uint32_t x) {
      while (parent[x] != x) x = parent[x] = parent[parent[x]];
      return x;
    };
    for (std::uint32_t i = begin; i < end; ++i) {
      for (std::uint32_t j = i + 1; j < end; ++j) {
        const Triangle& a = triangles[incident[i]];
        const Triangle& b = triangles[incident[j]];
        bool share = false;
        for (auto x : a) {
          if (x == v) continue;
          for (auto y : b) share = share || (x == y);
        }
        if (share) parent[find(i - begin)] = find(j - begin);
      }
    }
    std::uint32_t fans = 0;
    for (std::uint32_t i = 0; i < end - begin; ++i) fans += find(i) == i ? 1 : 0;
    if (fans > 1) bad[v] = true;
  }
  return bad;
}

// One meshoptimizer pass over the faces not frozen; frozen faces are kept verbatim. Cutting them
// out leaves holes whose rims meshoptimizer keeps in place (LockBorder), so they stitch back.
std::vector<Triangle> simplify_pass(const Mesh& mesh, const std::vector<bool>& frozen_face, std::size_t target_faces) {
  std::vector<Triangle> kept;
  std::vector<unsigned int> free_indices;
  for (std::size_t f = 0; f < mesh.triangles.size(); ++f) {
    if (frozen_face[f]) {
      kept.push_back(mesh.triangles[f]);
    } else {
      free_indices.insert(free_indices.end(), mesh.triangles[f].begin(), mesh.triangles[f].end());
    }
  }
  if (free_indices.empty() || target_faces <= kept.size()) {
    for (std::size_t i = 0; i < free_indices.size(); i += 3) {
      kept.push_back({free_indices[i], free_indices[i + 1], free_indices[i + 2]});
    }
    return kept;
  }
  const std::size_t free_target = std::min(free_indices.size(), 3 * (target_faces - kept.size()));
  std::vector<unsigned int> out(free_indices.size());
  const unsigned int options = kept.empty() ? 0U : static_cast<unsigned int>(meshopt_SimplifyLockBorder);
  const std::size_t count = meshopt_simplify(out.data(), free_indices.data(), free_indices.size(),
                                             &mesh.positions.front().x, mesh.positions.size(), sizeof(Vec3f),
                                             free_target, kTargetError, options, nullptr);
  for (std::size_t i = 0; i < count; i += 3) kept.push_back({out[i], out[i + 1], out[i + 2]});
  return kept;
}

// Marks every face within `rings` face-rings of a bad vertex.
void freeze_around(const Mesh& mesh, std::vector<bool> bad_vertex, std::vector<bool>& frozen_face) {
  for (int ring = 0; ring < kFrozenRings; ++ring) {
    std::vector<bool> next = bad_vertex;
    for (std::size_t f = 0; f < mesh.triangles.size(); ++f) {
      const Triangle& t = mesh.triangles[f];
      if (!(bad_vertex[t[0]] || bad_vertex[t[1]] || bad_vertex[t[2]])) continue;
      frozen_face[f] = true;
      for (auto v : t) next[v] = true;
    }
    bad_vertex = std::move(next);
  }
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
  if (!before.watertight() || before.degenerate_faces > 0) {
    // Nothing to preserve beyond what meshoptimizer promises: one plain pass.
    Mesh out = mesh;
    out.triangles = simplify_pass(mesh, std::vector<bool>(mesh.triangles.size(), false), target_faces);
    compact_vertices(out);
    return out;
  }
  // meshoptimizer's collapses do not check the link condition, so on a closed surface a pass can
  // pinch two sheets together or leave zero-area slivers. Each round finds where that happened,
  // freezes the original faces around those vertices and simplifies the rest again.
  std::vector<bool> frozen_face(mesh.triangles.size(), false);
  for (int round = 0; round < kMaxRepairRounds; ++round) {
    std::vector<Triangle> triangles = simplify_pass(mesh, frozen_face, target_faces);
    std::vector<bool> bad = problem_vertices(mesh.positions, triangles);
    if (std::none_of(bad.begin(), bad.end(), [](bool b) { return b; })) {
      Mesh out = mesh;
      out.triangles = std::move(triangles);
      compact_vertices(out);
      const TopologyReport after = analyze_topology(out);
      if (after.watertight() && after.degenerate_faces == 0 && after.euler_characteristic == before.euler_characteristic) {
        return out;
      }
      break;
    }
    freeze_around(mesh, std::move(bad), frozen_face);
  }
  return mesh;  // no clean pass: better too many faces than a hole
}

}  // namespace orfeas::mesh
