// Small meshes the meshtools tests build: an axis-aligned cube and a tetrahedron, both closed and
// counter-clockwise seen from outside.
#pragma once

#include "orfeas/core/vec3.h"
#include "orfeas/mesh/mesh.h"

namespace orfeas::meshtools::testing {

// The cube [origin, origin + side]^3: 8 vertices, 12 triangles, volume side^3.
[[nodiscard]] mesh::Mesh make_cube(Vec3f origin = {}, float side = 10.0F);

// The tetrahedron origin + {0, e_x, e_y, e_z} * size.
[[nodiscard]] mesh::Mesh make_tetrahedron(Vec3f origin = {}, float size = 10.0F);

// `b`'s triangles appended to `a`'s, re-indexed.
[[nodiscard]] mesh::Mesh merged(mesh::Mesh a, const mesh::Mesh& b);

}  // namespace orfeas::meshtools::testing
