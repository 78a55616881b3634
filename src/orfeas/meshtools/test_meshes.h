// Small meshes the meshtools tests build: an axis-aligned cube and a tetrahedron, both closed and
// counter-clockwise seen from outside; and closed surfaces of signed-distance fields.
#pragma once

#include <functional>

#include "orfeas/core/vec3.h"
#include "orfeas/mesh/mesh.h"

namespace orfeas::meshtools::testing {

// The cube [origin, origin + side]^3: 8 vertices, 12 triangles, volume side^3.
[[nodiscard]] mesh::Mesh make_cube(Vec3f origin = {}, float side = 10.0F);

// The tetrahedron origin + {0, e_x, e_y, e_z} * size.
[[nodiscard]] mesh::Mesh make_tetrahedron(Vec3f origin = {}, float size = 10.0F);

// The box [origin, origin + size] (per axis): 8 vertices, 12 triangles.
[[nodiscard]] mesh::Mesh make_box(Vec3f origin, Vec3f size);

// Marching cubes of `field` (negative inside) sampled at n^3 points over [-1, 1]^3.
[[nodiscard]] mesh::Mesh make_surface(int n, const std::function<float(Vec3f)>& field);

// Signed distances (negative inside): a torus around the Y axis (lying flat), a vertical cylinder
// between two heights.
[[nodiscard]] float torus_distance(Vec3f p, Vec3f centre, float major, float minor);
[[nodiscard]] float cylinder_distance(Vec3f p, float x, float z, float radius, float y0, float y1);

// `b`'s triangles appended to `a`'s, re-indexed.
[[nodiscard]] mesh::Mesh merged(mesh::Mesh a, const mesh::Mesh& b);

}  // namespace orfeas::meshtools::testing
