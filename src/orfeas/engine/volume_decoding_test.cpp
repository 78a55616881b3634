#include "orfeas/engine/volume_decoding.h"

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>
#include <iostream>
#include <vector>

#include <gtest/gtest.h>

namespace orfeas::engine {
namespace {

const at::TensorOptions kF32 = at::TensorOptions().dtype(at::kFloat);

// x + 10 y + 100 z, for checking where each grid point went.
at::Tensor coordinate_code(const at::Tensor& p) {
  return (p.select(1, 0) + p.select(1, 1) * 10 + p.select(1, 2) * 100).unsqueeze(0);
}

// A solid sphere of radius 0.6 (positive inside), steep enough that |logit| < 0.95 is a thin shell.
at::Tensor sphere(const at::Tensor& p) {
  return ((0.6 - p.norm(2, {1})) * 20).unsqueeze(0);
}

// So steep that |logit| < 0.95 marks almost nothing: only the sign changes and the dilation keep
// the surface's cubes evaluated.
at::Tensor steep_sphere(const at::Tensor& p) {
  return ((0.6 - p.norm(2, {1})) * 10000).unsqueeze(0);
}

// A torus around z (radii 0.5 and 0.15), and a second batch item: the sphere.
at::Tensor torus_and_sphere(const at::Tensor& p) {
  const at::Tensor ring = at::sqrt(p.select(1, 0).pow(2) + p.select(1, 1).pow(2)) - 0.5;
  const at::Tensor torus = (0.15 - at::sqrt(ring.pow(2) + p.select(1, 2).pow(2))) * 30;
  return at::stack({torus, sphere(p)[0]}, 0);
}

TEST(VolumeDecoding, AxisIsNumpysFloat32Linspace) {
  const at::Tensor axis = dense_grid_axis(384, 1.01);
  ASSERT_EQ(axis.size(0), 385);
  EXPECT_EQ(axis[0].item<float>(), -1.01F);
  EXPECT_EQ(axis[384].item<float>(), 1.01F);
  for (int i : {1, 7, 191, 192, 383}) {
    EXPECT_EQ(axis[i].item<float>(), static_cast<float>(i * (2.02 / 384) + -1.01)) << i;
  }
  EXPECT_EQ(axis[192].item<float>(), 0.0F);
}

TEST(VolumeDecoding, DenseGridIsIjOrderedWithZFastest) {
  std::vector<at::Tensor> seen;
  const LogitField field = [&](const at::Tensor& p) {
    seen.push_back(p.clone());
    return coordinate_code(p);
  };
  const int r = 4;
  const auto grid = decode_dense(field, kF32, r, 1.01, 1000, {});
  ASSERT_TRUE(grid) << grid.error().message();
  EXPECT_EQ(grid->sizes(), (std::vector<std::int64_t>{1, 5, 5, 5}));
  EXPECT_EQ(grid->scalar_type(), at::kFloat);
  ASSERT_EQ(seen.size(), 1U);
  const at::Tensor points = seen[0];
  ASSERT_EQ(points.sizes(), (std::vector<std::int64_t>{125, 3}));
  const at::Tensor axis = dense_grid_axis(r, 1.01);
  EXPECT_TRUE(at::equal(points[0], at::full({3}, -1.01F)));
  EXPECT_TRUE(at::equal(points[124], at::full({3}, 1.01F)));
  EXPECT_TRUE(at::equal(points[1], at::stack({axis[0], axis[0], axis[1]})));  // z first
  EXPECT_TRUE(at::equal(points[5], at::stack({axis[0], axis[1], axis[0]})));
  EXPECT_TRUE(at::equal(points[25], at::stack({axis[1], axis[0], axis[0]})));
  for (int i = 0; i < 5; ++i) {
    for (int j = 0; j < 5; ++j) {
      for (int k = 0; k < 5; ++k) {
        const float want = axis[i].item<float>() + axis[j].item<float>() * 10 + axis[k].item<float>() * 100;
        EXPECT_EQ((*grid)[0][i][j][k].item<float>(), want);
      }
    }
  }
}

TEST(VolumeDecoding, ChunksAreNumChunksWithTheRemainderLastAndReportProgress) {
  std::vector<std::int64_t> sizes;
  std::vector<std::pair<std::size_t, std::size_t>> steps;
  const LogitField field = [&](const at::Tensor& p) {
    sizes.push_back(p.size(0));
    return coordinate_code(p);
  };
  const auto grid = decode_dense(field, kF32, 3, 1.0, 7, [&](std::size_t k, std::size_t n) {
    steps.push_back({k, n});
  });
  ASSERT_TRUE(grid);
  ASSERT_EQ(sizes.size(), 10U);  // 64 = 9·7 + 1
  for (int i = 0; i < 9; ++i) EXPECT_EQ(sizes[i], 7);
  EXPECT_EQ(sizes[9], 1);
  ASSERT_EQ(steps.size(), 10U);
  EXPECT_EQ(steps.front(), (std::pair<std::size_t, std::size_t>{1, 10}));
  EXPECT_EQ(steps.back(), (std::pair<std::size_t, std::size_t>{10, 10}));
  const auto whole = decode_dense(field, kF32, 3, 1.0, 1000, {});
  EXPECT_TRUE(at::equal(*grid, *whole));
}

TEST(VolumeDecoding, RejectsImpossibleRequests) {
  const LogitField field = coordinate_code;
  for (const auto& bad :
       {decode_dense(field, kF32, 0, 1.01, 10, {}), decode_dense(field, kF32, 8, 1.01, 0, {}),
        decode_dense(field, kF32, 8, -1.0, 10, {}), decode_hierarchical(field, kF32, 8, NAN, 10, {})}) {
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code(), ErrorCode::kInvalidArgument);
  }
}

TEST(VolumeDecoding, HierarchicalLevelsHalveDownTo63) {
  EXPECT_EQ(hierarchical_resolutions(384), (std::vector<int>{96, 192, 384}));
  EXPECT_EQ(hierarchical_resolutions(512), (std::vector<int>{64, 128, 256, 512}));
  EXPECT_EQ(hierarchical_resolutions(256), (std::vector<int>{64, 128, 256}));
  EXPECT_EQ(hierarchical_resolutions(130), (std::vector<int>{65, 130}));
  EXPECT_EQ(hierarchical_resolutions(100), (std::vector<int>{100}));
  EXPECT_EQ(hierarchical_resolutions(40), (std::vector<int>{40}));
}

TEST(VolumeDecoding, NearSurfaceMarksSignChangesAndSmallLogits) {
  // A line of values along z in a 1×1×5 grid: sign change between 1 and 2, small value at 4.
  const at::Tensor grid = at::tensor({5.0F, 3.0F, -2.0F, -4.0F, -0.5F}).reshape({1, 1, 5});
  const at::Tensor marks = near_surface_marks(grid, 0.95);
  EXPECT_TRUE(at::equal(marks.reshape({-1}), at::tensor({0, 1, 1, 0, 1}).to(at::kBool)));
  // Unevaluated (NaN) neighbours count as equal and NaN points are never marked.
  const at::Tensor holes = at::tensor({5.0F, NAN, -2.0F, NAN, -4.0F}).reshape({1, 1, 5});
  EXPECT_FALSE(near_surface_marks(holes, 0.95).any().item<bool>());
}

// Every pair of face-adjacent dense points with different signs (a surface crossing) must have been
// evaluated by the hierarchical decoder, with dense's value; far points may be NaN.
void expect_matches_dense_near_the_surface(const at::Tensor& dense, const at::Tensor& sparse) {
  ASSERT_EQ(dense.sizes(), sparse.sizes());
  const at::Tensor evaluated = ~at::isnan(sparse);
  EXPECT_TRUE(at::equal(at::where(evaluated, sparse, dense), dense));
  const std::int64_t side = dense.size(1);
  for (int axis = 1; axis <= 3; ++axis) {
    const at::Tensor a = dense.narrow(axis, 0, side - 1);
    const at::Tensor b = dense.narrow(axis, 1, side - 1);
    const at::Tensor crossing = (a > 0) != (b > 0);
    const at::Tensor covered = evaluated.narrow(axis, 0, side - 1) & evaluated.narrow(axis, 1, side - 1);
    EXPECT_GT(crossing.sum().item<std::int64_t>(), 0);
    EXPECT_EQ((crossing & ~covered).sum().item<std::int64_t>(), 0) << "axis " << axis;
  }
  // And whole cubes around the surface: every corner of a crossing cube is evaluated.
  const at::Tensor inside = (dense > 0).to(at::kFloat).unsqueeze(1);  // [1, 1, D, D, D]
  const at::Tensor corners = at::avg_pool3d(inside, {2, 2, 2}, {1, 1, 1});
  const at::Tensor mixed = (corners > 0) & (corners < 1);
  const at::Tensor all_evaluated = at::avg_pool3d(evaluated.to(at::kFloat).unsqueeze(1), {2, 2, 2}, {1, 1, 1}) == 1;
  EXPECT_EQ((mixed & ~all_evaluated).sum().item<std::int64_t>(), 0);
}

TEST(VolumeDecoding, HierarchicalAgreesWithDenseNearTheSurfaceOfASphere) {
  for (const LogitField& field : {LogitField(sphere), LogitField(steep_sphere)}) {
    HierarchicalStats stats;
    std::vector<std::pair<std::size_t, std::size_t>> steps;
    const auto sparse = decode_hierarchical(
        field, kF32, 130, 1.01, 100000,
        [&](std::size_t k, std::size_t n) {
          steps.push_back({k, n});
        },
        &stats);
    ASSERT_TRUE(sparse) << sparse.error().message();
    const auto dense = decode_dense(field, kF32, 130, 1.01, 100000, {});
    ASSERT_TRUE(dense);
    expect_matches_dense_near_the_surface(*dense, *sparse);
    EXPECT_EQ(stats.resolutions, (std::vector<int>{65, 130}));
    EXPECT_EQ(stats.dense_points, 131 * 131 * 131);
    EXPECT_LT(stats.evaluated, stats.dense_points / 2);
    EXPECT_TRUE(at::isnan(*sparse).any().item<bool>());
    EXPECT_EQ(steps.back().first, steps.back().second);
    for (std::size_t i = 0; i < steps.size(); ++i) EXPECT_EQ(steps[i].first, i + 1);
    std::cout << "sphere R=130: hierarchical evaluated " << stats.evaluated << " of " << stats.dense_points << " ("
              << 100.0 * static_cast<double>(stats.evaluated) / static_cast<double>(stats.dense_points) << "%)\n";
  }
}

TEST(VolumeDecoding, HierarchicalAgreesWithDenseOnThreeLevelsAndTwoBatchItems) {
  HierarchicalStats stats;
  const LogitField field = torus_and_sphere;
  const auto sparse = decode_hierarchical(field, kF32, 128, 1.01, 1 << 20, {}, &stats, /*min_resolution=*/32);
  ASSERT_TRUE(sparse) << sparse.error().message();
  const auto dense = decode_dense(field, kF32, 128, 1.01, 1 << 20, {});
  ASSERT_TRUE(dense);
  EXPECT_EQ(sparse->sizes(), (std::vector<std::int64_t>{2, 129, 129, 129}));
  EXPECT_EQ(stats.resolutions, (std::vector<int>{32, 64, 128}));
  for (int b = 0; b < 2; ++b)
    expect_matches_dense_near_the_surface((*dense)[b].unsqueeze(0), (*sparse)[b].unsqueeze(0));
  std::cout << "torus+sphere R=128 (levels 32, 64, 128): hierarchical evaluated " << stats.evaluated << " of "
            << stats.dense_points << " ("
            << 100.0 * static_cast<double>(stats.evaluated) / static_cast<double>(stats.dense_points) << "%)\n";
}

TEST(VolumeDecoding, CoarseValuesFillTheUnevaluatedPointsWithTheFieldsSign) {
  const LogitField field = torus_and_sphere;
  const auto with_nan = decode_hierarchical(field, kF32, 128, 1.01, 1 << 20, {}, nullptr, /*min_resolution=*/32);
  const auto filled = decode_hierarchical(field, kF32, 128, 1.01, 1 << 20, {}, nullptr, /*min_resolution=*/32,
                                          Unevaluated::kCoarseValue);
  const auto dense = decode_dense(field, kF32, 128, 1.01, 1 << 20, {});
  ASSERT_TRUE(with_nan && filled && dense);
  EXPECT_FALSE(at::isnan(*filled).any().item<bool>());
  const at::Tensor evaluated = ~at::isnan(*with_nan);
  ASSERT_TRUE(evaluated.logical_not().any().item<bool>());  // something was left out
  // Evaluated points keep their values; the others take a coarse value of the field's own sign.
  EXPECT_TRUE(at::equal(filled->masked_select(evaluated), with_nan->masked_select(evaluated)));
  const at::Tensor skipped = evaluated.logical_not();
  EXPECT_TRUE(at::equal(at::sign(filled->masked_select(skipped)), at::sign(dense->masked_select(skipped))));
}

TEST(VolumeDecoding, GeometryDecoderGridsMatchDirectQueries) {
  const models::ShapeVaeConfig config = tiny_shape_vae_config();
  auto vae = ShapeVae::load(Weights::from(random_shape_vae_weights(config, 5)), config);
  ASSERT_TRUE(vae) << vae.error().message();
  at::Generator gen = at::detail::createCPUGenerator(6);
  const at::Tensor tokens = vae->decode_latents(at::randn({2, 64, 64}, gen, kF32));
  const GeometryDecoder& geo = vae->geometry_decoder();
  const at::Tensor kv = geo.keys_values(tokens);
  const auto grid = decode_dense(geo, kv, 8, 1.01, 100, {});  // 729 points: 7 chunks of 100 and 29
  ASSERT_TRUE(grid) << grid.error().message();
  EXPECT_EQ(grid->sizes(), (std::vector<std::int64_t>{2, 9, 9, 9}));
  // The first chunk, queried directly with the batch repeated, gives the same bits.
  const at::Tensor axis = dense_grid_axis(8, 1.01);
  const at::Tensor all = at::stack(at::meshgrid({axis, axis, axis}, "ij"), -1).reshape({-1, 3});
  const at::Tensor first = geo.query(all.narrow(0, 0, 100).unsqueeze(0).repeat({2, 1, 1}), kv);
  EXPECT_TRUE(at::equal(grid->reshape({2, -1}).narrow(1, 0, 100), first));
  // The last (remainder) chunk too.
  const at::Tensor last = geo.query(all.narrow(0, 700, 29).unsqueeze(0).repeat({2, 1, 1}), kv);
  EXPECT_TRUE(at::equal(grid->reshape({2, -1}).narrow(1, 700, 29), last));

  // Hierarchical through the decoder (levels 10, 20 with a low minimum to keep the test quick):
  // evaluated points carry dense's values (up to the GEMM's batch shape).
  HierarchicalStats stats;
  const auto sparse = decode_hierarchical(geo, kv, 20, 1.01, 1000, {}, &stats, /*min_resolution=*/10);
  ASSERT_TRUE(sparse) << sparse.error().message();
  const auto dense = decode_dense(geo, kv, 20, 1.01, 1000, {});
  ASSERT_TRUE(dense);
  const at::Tensor evaluated = ~at::isnan(*sparse);
  EXPECT_TRUE(at::allclose(at::where(evaluated, *sparse, *dense), *dense, 1e-5, 1e-5));
  EXPECT_EQ(stats.resolutions, (std::vector<int>{10, 20}));
  EXPECT_EQ(sparse->sizes(), (std::vector<std::int64_t>{2, 21, 21, 21}));
  std::cout << "tiny decoder R=20: hierarchical evaluated " << stats.evaluated << " of " << stats.dense_points << "\n";
}

}  // namespace
}  // namespace orfeas::engine
