#include "orfeas/mesh/mesh.h"

#include <gtest/gtest.h>

#include "orfeas/mesh/compact.h"
#include "orfeas/mesh/components.h"
#include "orfeas/mesh/normals.h"
#include "orfeas/mesh/simplify.h"
#include "orfeas/mesh/topology.h"

namespace orfeas::mesh {
namespace {

// A tetrahedron whose last face names vertex 7 of four.
Mesh mesh_with_bad_index() {
  Mesh mesh;
  mesh.positions = {{0, 0, 0}, {1, 0, 0}, {0, 1, 0}, {0, 0, 1}};
  mesh.triangles = {{0, 2, 1}, {0, 1, 3}, {0, 3, 2}, {1, 2, 7}};
  return mesh;
}

template <class T>
void expect_invalid_argument(const Result<T>& result) {
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code(), ErrorCode::kInvalidArgument);
}

TEST(MeshIndices, CheckNamesTheTriangleAndTheVertex) {
  const Status status = check_indices(mesh_with_bad_index());
  ASSERT_FALSE(status.has_value());
  EXPECT_EQ(status.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(status.error().message(), "triangle 3 refers to vertex 7 but the mesh has 4 vertices");
  Mesh good = mesh_with_bad_index();
  good.triangles.back() = {1, 2, 3};
  EXPECT_TRUE(check_indices(good).has_value());
  EXPECT_TRUE(check_indices(Mesh{}).has_value());
}

TEST(MeshIndices, EveryFunctionTakingAMeshRejectsAnIndexPastTheVertices) {
  const Mesh bad = mesh_with_bad_index();
  expect_invalid_argument(analyze_topology(bad));
  expect_invalid_argument(label_components(bad));
  expect_invalid_argument(simplify_mesh(bad, 2));
  Mesh copy = bad;
  expect_invalid_argument(remove_small_components(copy, 0.5));
  expect_invalid_argument(compact_vertices(copy));
  expect_invalid_argument(compute_vertex_normals(copy));
  EXPECT_EQ(copy.triangles, bad.triangles);  // left untouched
  EXPECT_TRUE(copy.normals.empty());
}

TEST(MeshIndices, AnIndexEqualToTheVertexCountIsPastTheEnd) {
  Mesh mesh;
  mesh.positions = {{0, 0, 0}, {1, 0, 0}, {0, 1, 0}};
  mesh.triangles = {{0, 1, 3}};
  expect_invalid_argument(analyze_topology(mesh));
  expect_invalid_argument(simplify_mesh(mesh, 1));
}

}  // namespace
}  // namespace orfeas::mesh
