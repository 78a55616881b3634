// Decimation to a face budget: greedy half-edge collapses ordered by quadric error, each checked
// against the link condition and for folded faces before it is made.
//
//   ORFEAS_ASSIGN_OR_RETURN(SimplifyResult small, simplify_mesh(std::move(surface), 20000));
//   if (!small.reached()) log(small.note);  // "stopped at 61 204 faces (target 50 000): ..."
//   ORFEAS_RETURN_IF_ERROR(compute_vertex_normals(small.mesh));
//
// A collapse merges one vertex into a neighbour that keeps its position, so the result keeps a
// subset of the input's vertices and colours carry over unchanged; unused vertices are removed.
// Normals are carried over too but describe the old surface: the caller recomputes them.
//
// Surface guarantee: a collapse is made only where the two vertices share exactly the two
// neighbours opposite their edge (the link condition) and no moved face turns by more than about
// 75 degrees or loses its area. So a closed, manifold, consistently oriented input stays so, with
// the same Euler characteristic and no zero-area faces, by construction. Vertices on open or
// non-manifold edges, or where several fans of faces meet, never move; the rest of such a mesh is
// still simplified.
//
// Each collapse removes two faces, so a reached target is met exactly or undershot by one. When
// every further collapse is refused the mesh stops above the target and `note` says why.
//
// Thread-safety: a pure function of its arguments. Time: O(F log F) in practice (a few passes,
// each linear in the remaining faces).
#pragma once

#include <cstddef>
#include <string>

#include "orfeas/core/status.h"
#include "orfeas/mesh/mesh.h"

namespace orfeas::mesh {

struct SimplifyResult {
  Mesh mesh;
  std::size_t target_faces = 0;  // as asked; 0 means no budget
  std::size_t faces = 0;         // mesh.triangles.size()
  // Empty when the budget was met (or none was asked); otherwise a sentence for the user saying
  // where and why it stopped.
  std::string note;

  [[nodiscard]] bool reached() const { return note.empty(); }
};

// target_faces == 0 or >= the current face count returns the mesh unchanged.
// kInvalidArgument when a triangle refers to a vertex past `positions`.
[[nodiscard]] Result<SimplifyResult> simplify_mesh(Mesh mesh, std::size_t target_faces);

}  // namespace orfeas::mesh
