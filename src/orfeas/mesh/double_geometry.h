// Double-precision vector helpers for the geometric tests of the mesh module and meshtools (internal:
// not part of the public API). Float positions are widened before they are subtracted and multiplied, so the cross
// product of a tiny marching-cubes sliver does not round to zero and a zero result means the
// triangle really is degenerate.
#pragma once

#include "orfeas/core/vec3.h"

namespace orfeas::mesh::internal {

struct Vec3d {
  double x = 0.0;
  double y = 0.0;
  double z = 0.0;
};

inline Vec3d to_double(Vec3f v) {
  return {v.x, v.y, v.z};
}
inline Vec3d operator-(Vec3d a, Vec3d b) {
  return {a.x - b.x, a.y - b.y, a.z - b.z};
}
inline Vec3d cross(Vec3d a, Vec3d b) {
  return {a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x};
}
inline double dot(Vec3d a, Vec3d b) {
  return a.x * b.x + a.y * b.y + a.z * b.z;
}

// Normal of the triangle a, b, c (counter-clockwise) with length twice its area.
inline Vec3d face_normal(Vec3f a, Vec3f b, Vec3f c) {
  const Vec3d origin = to_double(a);
  return cross(to_double(b) - origin, to_double(c) - origin);
}

}  // namespace orfeas::mesh::internal
