// The ordering rules of the CUDA marching cubes (cuda/marching_cubes_cell.h), checked on the host:
// a serial model that numbers vertices by owning cell and emits triangles in cell order, using the
// very functions the kernels use, must reproduce mesh::marching_cubes() bit for bit. Runs
// everywhere (label unit); the kernels themselves are compared with the CPU in the gpu tests.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "orfeas/mesh/cuda/marching_cubes_cell.h"
#include "orfeas/mesh/marching_cubes.h"
#include "orfeas/mesh/marching_cubes_table.h"
#include "orfeas/mesh/test_volumes.h"

namespace orfeas::mesh {
namespace {

using internal::PaddedVolume;

Mesh ordered_model(const ScalarVolume& volume, float iso) {
  const PaddedVolume padded{volume.values.data(), volume.nx, volume.ny, volume.nz};
  const internal::Float3 origin{volume.origin.x, volume.origin.y, volume.origin.z};
  const auto& table = internal::cube_case_table();
  const int cx_count = volume.nx + 1;
  const int cy_count = volume.ny + 1;
  const int cz_count = volume.nz + 1;
  const auto cell_index = [&](int cx, int cy, int cz) {
    return (static_cast<std::size_t>(cz) * static_cast<std::size_t>(cy_count) + static_cast<std::size_t>(cy)) *
               static_cast<std::size_t>(cx_count) +
           static_cast<std::size_t>(cx);
  };
  const std::size_t cells = cell_index(0, 0, cz_count);
  std::vector<unsigned> cases(cells);
  std::vector<std::uint32_t> first_vertex(cells);
  Mesh mesh;
  for (int cz = 0; cz < cz_count; ++cz) {
    for (int cy = 0; cy < cy_count; ++cy) {
      for (int cx = 0; cx < cx_count; ++cx) {
        const std::size_t c = cell_index(cx, cy, cz);
        cases[c] = internal::cell_case(padded, cx, cy, cz, iso);
        first_vertex[c] = static_cast<std::uint32_t>(mesh.positions.size());
        const unsigned owned = internal::owned_edges(cases[c]);
        for (int axis = 0; axis < 3; ++axis) {
          if (((owned >> axis) & 1U) == 0) continue;
          const internal::Float3 p =
              internal::owned_vertex_position(padded, origin, volume.spacing, cx, cy, cz, axis, iso);
          mesh.positions.push_back({p.x, p.y, p.z});
        }
      }
    }
  }
  for (int cz = 0; cz < cz_count; ++cz) {
    for (int cy = 0; cy < cy_count; ++cy) {
      for (int cx = 0; cx < cx_count; ++cx) {
        const internal::CubeCase& entry = table[cases[cell_index(cx, cy, cz)]];
        for (std::size_t t = 0; t < entry.triangle_count; ++t) {
          Triangle triangle{};
          for (std::size_t j = 0; j < 3; ++j) {
            const internal::EdgeOwner owner = internal::edge_owner(entry.edges[3 * t + j]);
            const std::size_t o = cell_index(cx + owner.dx, cy + owner.dy, cz + owner.dz);
            const unsigned owned = internal::owned_edges(cases[o]);
            EXPECT_NE((owned >> owner.axis) & 1U, 0U) << "owner does not own the edge";
            triangle[j] = first_vertex[o] + internal::popcount3(owned & ((1U << owner.axis) - 1U));
          }
          mesh.triangles.push_back(triangle);
        }
      }
    }
  }
  return mesh;
}

void expect_identical(const Mesh& expected, const Mesh& actual, const std::string& what) {
  ASSERT_EQ(expected.positions.size(), actual.positions.size()) << what;
  ASSERT_EQ(expected.triangles.size(), actual.triangles.size()) << what;
  for (std::size_t i = 0; i < expected.positions.size(); ++i) {
    const Vec3f a = expected.positions[i];
    const Vec3f b = actual.positions[i];
    ASSERT_TRUE(std::bit_cast<std::uint32_t>(a.x) == std::bit_cast<std::uint32_t>(b.x) &&
                std::bit_cast<std::uint32_t>(a.y) == std::bit_cast<std::uint32_t>(b.y) &&
                std::bit_cast<std::uint32_t>(a.z) == std::bit_cast<std::uint32_t>(b.z))
        << what << ": vertex " << i << " (" << a.x << " " << a.y << " " << a.z << ") vs (" << b.x << " " << b.y << " "
        << b.z << ")";
  }
  for (std::size_t i = 0; i < expected.triangles.size(); ++i) {
    ASSERT_EQ(expected.triangles[i], actual.triangles[i]) << what << ": triangle " << i;
  }
}

void expect_model_matches_cpu(const ScalarVolume& volume, float iso, const std::string& what) {
  auto cpu = marching_cubes(volume, {.iso = iso});
  ASSERT_TRUE(cpu.has_value()) << cpu.error().message();
  expect_identical(*cpu, ordered_model(volume, iso), what);
}

TEST(MeshCudaOrderModel, EdgeOwnersFollowTheTableNumbering) {
  for (int e = 0; e < internal::kCubeEdges; ++e) {
    const auto corners = internal::edge_corners(e);
    const internal::EdgeOwner owner = internal::edge_owner(e);
    EXPECT_EQ(owner.axis, e / 4);
    // The owner's corner 7 is the edge's end corner: start + e_axis, shifted by the owner offset.
    const int end = corners[1];
    EXPECT_EQ((end & 1) - 1, owner.dx) << e;
    EXPECT_EQ(((end >> 1) & 1) - 1, owner.dy) << e;
    EXPECT_EQ((end >> 2) - 1, owner.dz) << e;
  }
}

TEST(MeshCudaOrderModel, MatchesTheCpuOnSpheresTorusNoiseAndBorders) {
  expect_model_matches_cpu(testing::sphere_volume(33, 0.6F), 0.0F, "sphere 33");
  expect_model_matches_cpu(testing::sphere_volume(20, 0.45F), 0.1F, "sphere 20 iso 0.1");
  expect_model_matches_cpu(testing::sample_cube(41,
                                                [](Vec3f p) {
                                                  const float ring = std::hypot(p.x, p.y) - 0.55F;
                                                  return std::hypot(ring, p.z) - 0.2F;
                                                }),
                           0.0F, "torus");
  expect_model_matches_cpu(testing::noise_volume(18, 7), 0.0F, "noise 18");
  expect_model_matches_cpu(testing::noise_volume(11, 3), 0.3F, "noise 11 iso 0.3");
  // A sphere bigger than the grid: capped on every face.
  expect_model_matches_cpu(testing::sphere_volume(24, 1.2F), 0.0F, "border");
  // Everything inside: the bounding box only.
  expect_model_matches_cpu(ScalarVolume(5, 6, 7, Vec3f{}, 0.5F, -1.0F), 0.0F, "full box");
  const Mesh empty = ordered_model(ScalarVolume(6, 6, 6, Vec3f{}, 1.0F, 1.0F), 0.0F);
  EXPECT_TRUE(empty.positions.empty());
  EXPECT_TRUE(empty.triangles.empty());
}

TEST(MeshCudaOrderModel, MatchesTheCpuOnNonCubicGrids) {
  ScalarVolume volume(13, 7, 22, Vec3f{0.25F, -3.0F, 1.5F}, 0.37F);
  for (int k = 0; k < volume.nz; ++k) {
    for (int j = 0; j < volume.ny; ++j) {
      for (int i = 0; i < volume.nx; ++i) {
        const Vec3f p = volume.position(i, j, k) - Vec3f{2.5F, -1.8F, 5.0F};
        volume.at(i, j, k) = std::sqrt(p.x * p.x * 0.6F + p.y * p.y * 2.0F + p.z * p.z * 0.3F) - 1.9F;
      }
    }
  }
  expect_model_matches_cpu(volume, 0.0F, "ellipsoid on a 13x7x22 grid");
}

}  // namespace
}  // namespace orfeas::mesh
