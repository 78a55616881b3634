#include "orfeas/mesh/marching_cubes.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <tuple>

#include "orfeas/mesh/test_volumes.h"
#include "orfeas/mesh/topology.h"

namespace orfeas::mesh {
namespace {

using testing::noise_volume;
using testing::sample_cube;
using testing::sphere_volume;

Mesh extract(const ScalarVolume& volume, MarchingCubesOptions options = {}) {
  auto mesh = marching_cubes(volume, options);
  EXPECT_TRUE(mesh.has_value()) << (mesh ? "" : mesh.error().message());
  return mesh ? *mesh : Mesh{};
}

void expect_closed_surface(const Mesh& mesh, const std::string& what) {
  const TopologyReport report = analyze_topology(mesh).value();
  EXPECT_TRUE(report.watertight()) << what << ": boundary " << report.boundary_edges << ", non-manifold "
                                   << report.nonmanifold_edges << ", flipped " << report.inconsistently_oriented_edges;
  EXPECT_EQ(report.degenerate_faces, 0U) << what;
  EXPECT_EQ(report.vertices, mesh.positions.size()) << what << ": every vertex is used";
  EXPECT_GT(report.signed_volume, 0.0) << what;
}

class MeshMarchingCubesSphere : public ::testing::TestWithParam<int> {};

TEST_P(MeshMarchingCubesSphere, IsAClosedSphereOnTheAnalyticSurface) {
  const int n = GetParam();
  constexpr float kRadius = 0.6F;
  const ScalarVolume volume = sphere_volume(n, kRadius);
  const Mesh mesh = extract(volume);
  ASSERT_FALSE(mesh.empty());
  expect_closed_surface(mesh, "sphere");
  const TopologyReport report = analyze_topology(mesh).value();
  EXPECT_EQ(report.euler_characteristic, 2);
  EXPECT_EQ(report.components, 1U);
  const double expected_volume = 4.0 / 3.0 * std::numbers::pi * std::pow(kRadius, 3.0);
  EXPECT_NEAR(report.signed_volume, expected_volume, 0.03 * expected_volume);
  const double expected_area = 4.0 * std::numbers::pi * kRadius * kRadius;
  EXPECT_NEAR(report.area, expected_area, 0.03 * expected_area);
  for (const Vec3f& p : mesh.positions) {
    ASSERT_NEAR(length(p), kRadius, 0.5F * volume.spacing) << p.x << " " << p.y << " " << p.z;
  }
}

INSTANTIATE_TEST_SUITE_P(Resolutions, MeshMarchingCubesSphere, ::testing::Values(65, 129));

TEST(MeshMarchingCubes, VerticesAreWeldedAndLieOnGridEdges) {
  const ScalarVolume volume = sphere_volume(33, 0.7F);
  const Mesh mesh = extract(volume);
  std::vector<std::tuple<float, float, float>> sorted;
  for (const Vec3f& p : mesh.positions) {
    sorted.emplace_back(p.x, p.y, p.z);
    // Two of the three grid coordinates are whole numbers; the third is strictly between.
    const std::array<float, 3> g = {(p.x - volume.origin.x) / volume.spacing, (p.y - volume.origin.y) / volume.spacing,
                                    (p.z - volume.origin.z) / volume.spacing};
    int on_grid = 0;
    for (const float c : g) on_grid += std::abs(c - std::round(c)) < 1e-5F ? 1 : 0;
    EXPECT_EQ(on_grid, 2);
  }
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(std::adjacent_find(sorted.begin(), sorted.end()), sorted.end()) << "two vertices coincide";
}

TEST(MeshMarchingCubes, TorusHasGenusOne) {
  const Mesh mesh = extract(sample_cube(65, [](Vec3f p) {
    const float ring = std::sqrt(p.x * p.x + p.z * p.z) - 0.55F;
    return std::sqrt(ring * ring + p.y * p.y) - 0.2F;
  }));
  expect_closed_surface(mesh, "torus");
  const TopologyReport report = analyze_topology(mesh).value();
  EXPECT_EQ(report.euler_characteristic, 0);
  EXPECT_EQ(report.components, 1U);
}

TEST(MeshMarchingCubes, ObjectTouchingTheBorderIsCappedAndClosed) {
  // A sphere of radius 1.3 around the origin pokes out of all six faces of [-1, 1]^3.
  const ScalarVolume volume = sphere_volume(41, 1.3F);
  const Mesh mesh = extract(volume);
  expect_closed_surface(mesh, "clipped sphere");
  const TopologyReport report = analyze_topology(mesh).value();
  EXPECT_EQ(report.euler_characteristic, 2);
  EXPECT_EQ(report.components, 1U);
  for (const Vec3f& p : mesh.positions) {
    for (const float c : {p.x, p.y, p.z}) {
      EXPECT_LE(std::abs(c), 1.0F + 1e-3F * volume.spacing);
    }
  }
}

TEST(MeshMarchingCubes, AllInsideVolumeGivesTheGridBox) {
  const ScalarVolume volume(5, 6, 7, Vec3f{0.0F, 0.0F, 0.0F}, 0.5F, -1.0F);
  const Mesh mesh = extract(volume);
  expect_closed_surface(mesh, "box");
  const TopologyReport report = analyze_topology(mesh).value();
  EXPECT_EQ(report.euler_characteristic, 2);
  EXPECT_NEAR(report.signed_volume, 2.0 * 2.5 * 3.0, 1e-2);  // caps sit 1e-4 voxel outside
}

TEST(MeshMarchingCubes, NoiseFieldsGiveClosedConsistentlyOrientedSurfaces) {
  for (unsigned seed = 1; seed <= 8; ++seed) {
    const Mesh mesh = extract(noise_volume(24, seed));
    ASSERT_FALSE(mesh.empty());
    expect_closed_surface(mesh, "noise seed " + std::to_string(seed));
  }
}

TEST(MeshMarchingCubes, SignGridsWithValuesExactlyAtIsoAreClosed) {
  // Values in {-1, 0, 1}: 0 equals iso and counts as outside; every case and ambiguity appears.
  for (unsigned seed = 1; seed <= 4; ++seed) {
    ScalarVolume volume = noise_volume(20, 100 + seed);
    for (float& v : volume.values) v = std::round(v);
    expect_closed_surface(extract(volume), "sign grid seed " + std::to_string(seed));
  }
}

TEST(MeshMarchingCubes, OutputDoesNotDependOnTheThreadSplit) {
  const ScalarVolume noise = noise_volume(30, 7);
  const ScalarVolume sphere = sphere_volume(49, 0.8F);
  for (const auto* volume : {&noise, &sphere}) {
    const Mesh reference = extract(*volume, {.iso = 0.0F, .threads = 1});
    for (const int threads : {2, 3, 5, 16, 50}) {
      const Mesh split = extract(*volume, {.iso = 0.0F, .threads = threads});
      EXPECT_EQ(split.positions, reference.positions) << threads << " slabs";
      EXPECT_EQ(split.triangles, reference.triangles) << threads << " slabs";
    }
  }
}

TEST(MeshMarchingCubes, IsoLevelSelectsTheSurface) {
  const ScalarVolume volume = sphere_volume(65, 0.5F);
  const Mesh mesh = extract(volume, {.iso = 0.2F});
  expect_closed_surface(mesh, "iso 0.2");
  for (const Vec3f& p : mesh.positions) ASSERT_NEAR(length(p), 0.7F, 0.5F * volume.spacing);
}

TEST(MeshMarchingCubes, NoCrossingGivesAnEmptyMesh) {
  EXPECT_TRUE(extract(ScalarVolume(8, 8, 8, Vec3f{}, 1.0F, 1.0F)).empty());
  EXPECT_TRUE(extract(ScalarVolume(8, 8, 8, Vec3f{}, 1.0F, 0.0F)).empty());  // equal to iso: outside
  EXPECT_TRUE(extract(ScalarVolume(2, 2, 2, Vec3f{}, 1.0F, 3.0F)).positions.empty());
}

TEST(MeshMarchingCubes, RejectsInvalidVolumes) {
  const auto expect_invalid = [](const ScalarVolume& volume, const char* what) {
    const auto mesh = marching_cubes(volume);
    ASSERT_FALSE(mesh.has_value()) << what;
    EXPECT_EQ(mesh.error().code(), ErrorCode::kInvalidArgument) << what;
  };
  expect_invalid(ScalarVolume(1, 4, 4, Vec3f{}, 1.0F), "nx = 1");
  expect_invalid(ScalarVolume(), "empty");
  ScalarVolume short_values(4, 4, 4, Vec3f{}, 1.0F);
  short_values.values.pop_back();
  expect_invalid(short_values, "size mismatch");
  expect_invalid(ScalarVolume(4, 4, 4, Vec3f{}, 0.0F), "zero spacing");
  ScalarVolume with_nan = sphere_volume(16, 0.5F);
  with_nan.at(3, 4, 5) = std::numeric_limits<float>::quiet_NaN();
  expect_invalid(with_nan, "NaN");
}

}  // namespace
}  // namespace orfeas::mesh
