#include "orfeas/export/placement.h"

#include <cmath>
#include <limits>

#include <gtest/gtest.h>

#include "orfeas/export/export_test_support.h"

namespace orfeas::exporter {
namespace {

using test_support::expect_near;
using test_support::make_octahedron;
using test_support::octahedron_centred;
using test_support::octahedron_on_plate;

constexpr float kTolerance = 1e-4F;

TEST(ExportPlacement, BoundsOfPositions) {
  const Bounds bounds = compute_bounds(make_octahedron(false, false).positions);
  expect_near(bounds.min, {-0.3F, -1.3F, -0.15F}, 1e-6F);
  expect_near(bounds.max, {0.7F, 0.7F, 0.35F}, 1e-6F);
  EXPECT_NEAR(bounds.longest_side(), 2.0F, 1e-6F);
  const Bounds empty = compute_bounds({});
  EXPECT_EQ(empty.min, Vec3f{});
  EXPECT_EQ(empty.max, Vec3f{});
}

TEST(ExportPlacement, FormatsGetTheirFrames) {
  EXPECT_EQ(placement_for(Format::kStl, 80.0F).frame, Frame::kBuildPlateZUp);
  EXPECT_EQ(placement_for(Format::kStl, 80.0F).longest_side, 80.0F);
  EXPECT_EQ(placement_for(Format::k3mf, 80.0F).frame, Frame::kBuildPlateZUp);
  EXPECT_EQ(placement_for(Format::k3mf, 80.0F).longest_side, 80.0F);
  EXPECT_EQ(placement_for(Format::kGlb, 80.0F).frame, Frame::kCentredYUp);
  EXPECT_FLOAT_EQ(placement_for(Format::kGlb, 80.0F).longest_side, 0.08F);
  EXPECT_EQ(placement_for(Format::kObj, 80.0F).longest_side, 80.0F);
  EXPECT_EQ(placement_for(Format::kPly, 80.0F).frame, Frame::kCentredYUp);
}

TEST(ExportPlacement, BuildPlateRotatesYUpToZUpAndRestsOnZeroPlane) {
  const mesh::Mesh model = make_octahedron(true, true);
  const mesh::Mesh placed = place_mesh(model, {Frame::kBuildPlateZUp, 100.0F}).value();
  ASSERT_EQ(placed.positions.size(), model.positions.size());
  // Scale 50 (longest side Y = 2); (x, y, z) -> (x, -z, y); X, Y centred; Z from 0.
  for (std::size_t i = 0; i < model.positions.size(); ++i) {
    const Vec3f p = model.positions[i];
    expect_near(placed.positions[i], octahedron_on_plate(p, 100.0F), kTolerance);
    expect_near(placed.normals[i], {model.normals[i].x, -model.normals[i].z, model.normals[i].y}, 0.0F);
  }
  const Bounds bounds = compute_bounds(placed.positions);
  EXPECT_EQ(bounds.min.z, 0.0F);
  EXPECT_NEAR(bounds.longest_side(), 100.0F, kTolerance);
  EXPECT_NEAR(bounds.max.z, 100.0F, kTolerance);
  EXPECT_NEAR(bounds.min.x + bounds.max.x, 0.0F, kTolerance);
  EXPECT_NEAR(bounds.min.y + bounds.max.y, 0.0F, kTolerance);
  EXPECT_EQ(placed.colors, model.colors);
  EXPECT_EQ(placed.triangles, model.triangles);
}

TEST(ExportPlacement, CentredKeepsYUp) {
  const mesh::Mesh model = make_octahedron(true, false);
  const mesh::Mesh placed = place_mesh(model, {Frame::kCentredYUp, 0.1F}).value();
  for (std::size_t i = 0; i < model.positions.size(); ++i) {
    const Vec3f p = model.positions[i];
    expect_near(placed.positions[i], octahedron_centred(p, 0.1F), 1e-7F);
    EXPECT_EQ(placed.normals[i], model.normals[i]);
  }
  const Bounds bounds = compute_bounds(placed.positions);
  EXPECT_NEAR(bounds.longest_side(), 0.1F, 1e-7F);
  expect_near(bounds.min + bounds.max, {}, 1e-7F);
}

TEST(ExportPlacement, RejectsBadSizeAndDegenerateMeshes) {
  const mesh::Mesh model = make_octahedron(false, false);
  for (const float size :
       {0.0F, -1.0F, std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity()}) {
    const Result<mesh::Mesh> placed = place_mesh(model, {Frame::kCentredYUp, size});
    ASSERT_FALSE(placed) << size;
    EXPECT_EQ(placed.error().code(), ErrorCode::kInvalidArgument);
  }
  mesh::Mesh point = model;
  for (Vec3f& p : point.positions) p = {0.5F, 0.5F, 0.5F};
  EXPECT_EQ(place_mesh(point, {}).error().code(), ErrorCode::kInvalidArgument);
  mesh::Mesh not_finite = model;
  not_finite.positions[3].y = std::numeric_limits<float>::quiet_NaN();
  EXPECT_EQ(place_mesh(not_finite, {}).error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(place_mesh(mesh::Mesh{}, {}).error().code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace orfeas::exporter
