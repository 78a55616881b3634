#include "orfeas/mesh/test_volumes.h"

#include <random>

namespace orfeas::mesh::testing {

ScalarVolume sample_cube(int n, const std::function<float(Vec3f)>& field) {
  const float spacing = 2.0F / static_cast<float>(n - 1);
  ScalarVolume volume(n, n, n, Vec3f{-1.0F, -1.0F, -1.0F}, spacing);
  for (int k = 0; k < n; ++k) {
    for (int j = 0; j < n; ++j) {
      for (int i = 0; i < n; ++i) volume.at(i, j, k) = field(volume.position(i, j, k));
    }
  }
  return volume;
}

float sphere_distance(Vec3f p, Vec3f centre, float radius) {
  return length(p - centre) - radius;
}

ScalarVolume sphere_volume(int n, float radius) {
  return sample_cube(n, [radius](Vec3f p) { return sphere_distance(p, Vec3f{}, radius); });
}

ScalarVolume noise_volume(int n, unsigned seed) {
  std::mt19937 random(seed);
  std::uniform_real_distribution<float> uniform(-1.0F, 1.0F);
  ScalarVolume volume(n, n, n, Vec3f{}, 1.0F);
  for (float& value : volume.values) value = uniform(random);
  return volume;
}

}  // namespace orfeas::mesh::testing
