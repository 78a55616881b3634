// What a maker wants to know about a mesh before printing it: closed or not, where it is broken,
// how big it is. The topology comes from mesh::analyze_topology, self-intersections from
// find_self_intersections; this adds the bounding box and the verdict.
//
//   ORFEAS_ASSIGN_OR_RETURN(const MeshAnalysis analysis, analyze_mesh(mesh));
//   fmt::print("{}\n", analysis.printable() ? "ready to slice" : "needs repair");
//
// Units are the mesh's own (millimetres for STL): area in units², volume in units³.
//
// Thread-safety: a pure function.
#pragma once

#include "orfeas/core/status.h"
#include "orfeas/core/vec3.h"
#include "orfeas/mesh/mesh.h"
#include "orfeas/mesh/topology.h"
#include "orfeas/meshtools/self_intersection.h"

namespace orfeas::meshtools {

struct AnalysisOptions {
  bool self_intersections = true;
  SelfIntersectionOptions self_intersection;
};

struct MeshAnalysis {
  mesh::TopologyReport topology;  // watertight, edges, components, Euler, volume, area, degenerate
  Vec3f bounds_min;
  Vec3f bounds_max;
  SelfIntersections self_intersections;  // empty and complete when not searched

  // Watertight, positive volume, no degenerate faces and no self-intersections found.
  [[nodiscard]] bool printable() const;
};

// kInvalidArgument when a triangle refers to a vertex past `positions`.
[[nodiscard]] Result<MeshAnalysis> analyze_mesh(const mesh::Mesh& mesh, const AnalysisOptions& options = {});

}  // namespace orfeas::meshtools
