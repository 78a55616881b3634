// Analytic and random volumes for the mesh tests (test-only; not part of orfeas_mesh).
//
// Fields are signed: negative inside. Grids span [-1, 1]^3 unless said otherwise.
#pragma once

#include <functional>

#include "orfeas/core/scalar_volume.h"
#include "orfeas/core/vec3.h"

namespace orfeas::mesh::testing {

// n^3 samples of `field` on the cube [-1, 1]^3 (spacing 2 / (n - 1)).
ScalarVolume sample_cube(int n, const std::function<float(Vec3f)>& field);

// Signed distance to a sphere.
float sphere_distance(Vec3f p, Vec3f centre, float radius);

// A sphere of `radius` around the origin.
ScalarVolume sphere_volume(int n, float radius);

// Independent uniform values in [-1, 1] on an n^3 grid; the worst case for ambiguous cells.
ScalarVolume noise_volume(int n, unsigned seed);

}  // namespace orfeas::mesh::testing
