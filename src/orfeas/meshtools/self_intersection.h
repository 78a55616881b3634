// Self-intersections of a triangle mesh: pairs of faces that cross each other, which a slicer
// cannot turn into a clean solid.
//
//   ORFEAS_ASSIGN_OR_RETURN(const SelfIntersections found, find_self_intersections(mesh));
//   if (found.pairs > 0 || !found.complete) ...
//
// Candidate pairs come from a uniform grid over the bounding box (about one cell per face): two
// faces are tested only when their bounding boxes overlap, once, in the first cell they share.
// Pairs sharing a vertex (hence also an edge) are ignored: neighbours touch by construction.
// Two faces intersect when an edge of one properly crosses the other (orientation predicates in
// double): touching at a point or along an edge, and coplanar overlaps, are not counted.
// Time is bounded: past `max_pair_tests` candidate pairs (faces sharing a cell), or `max_cell_entries` grid entries,
// the search stops and `complete` is false (the count is then a lower bound).
//
// Thread-safety: a pure function. Time O(F) for meshes with faces of similar size.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "orfeas/core/status.h"
#include "orfeas/mesh/mesh.h"

namespace orfeas::meshtools {

struct SelfIntersectionOptions {
  std::uint64_t max_pair_tests = 200'000'000;
  std::uint64_t max_cell_entries = 100'000'000;
  std::size_t max_examples = 10;  // face pairs kept in `examples`
};

struct SelfIntersections {
  std::size_t pairs = 0;                                          // intersecting face pairs found
  std::uint64_t pair_tests = 0;                                   // candidate pairs looked at
  bool complete = true;                                           // false when a budget stopped the search
  std::vector<std::pair<std::uint32_t, std::uint32_t>> examples;  // the first pairs found
};

// kInvalidArgument when a triangle refers to a vertex past `positions`.
[[nodiscard]] Result<SelfIntersections> find_self_intersections(const mesh::Mesh& mesh,
                                                                const SelfIntersectionOptions& options = {});

}  // namespace orfeas::meshtools
