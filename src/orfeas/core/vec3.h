// Small fixed-size vector used for mesh positions and normals.
#pragma once

#include <cmath>

namespace orfeas {

struct Vec3f {
  float x = 0.0F;
  float y = 0.0F;
  float z = 0.0F;

  friend Vec3f operator+(Vec3f a, Vec3f b) { return {a.x + b.x, a.y + b.y, a.z + b.z}; }
  friend Vec3f operator-(Vec3f a, Vec3f b) { return {a.x - b.x, a.y - b.y, a.z - b.z}; }
  friend Vec3f operator*(Vec3f a, float s) { return {a.x * s, a.y * s, a.z * s}; }
  friend Vec3f operator*(float s, Vec3f a) { return a * s; }
  Vec3f& operator+=(Vec3f b) {
    x += b.x;
    y += b.y;
    z += b.z;
    return *this;
  }
  friend bool operator==(Vec3f a, Vec3f b) = default;
};

inline float dot(Vec3f a, Vec3f b) {
  return a.x * b.x + a.y * b.y + a.z * b.z;
}
inline Vec3f cross(Vec3f a, Vec3f b) {
  return {a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x};
}
inline float length(Vec3f a) {
  return std::sqrt(dot(a, a));
}
inline Vec3f normalized(Vec3f a) {
  const float len = length(a);
  return len > 0.0F ? a * (1.0F / len) : Vec3f{0.0F, 0.0F, 0.0F};
}

}  // namespace orfeas
