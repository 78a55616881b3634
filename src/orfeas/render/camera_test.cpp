#include "orfeas/render/camera.h"

#include <cmath>
#include <limits>
#include <vector>

#include <gtest/gtest.h>

namespace orfeas::render {
namespace {

void expect_near(Vec3f a, Vec3f b) {
  EXPECT_NEAR(a.x, b.x, 1e-6F);
  EXPECT_NEAR(a.y, b.y, 1e-6F);
  EXPECT_NEAR(a.z, b.z, 1e-6F);
}

TEST(Camera, ViewNamesRoundTrip) {
  for (const View view : {View::kFront, View::kSide, View::kBack, View::kTop}) {
    const Result<View> parsed = parse_view(view_name(view));
    ASSERT_TRUE(parsed);
    EXPECT_EQ(*parsed, view);
  }
  const Result<View> bad = parse_view("below");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(bad.error().message().find("front, side, back or top"), std::string::npos);
}

TEST(Camera, EveryViewIsOrthonormalAndRightHanded) {
  for (const View view : {View::kFront, View::kSide, View::kBack, View::kTop}) {
    SCOPED_TRACE(view_name(view));
    const Camera c = view_camera(view);
    EXPECT_NEAR(length(c.right), 1.0F, 1e-6F);
    EXPECT_NEAR(length(c.up), 1.0F, 1e-6F);
    EXPECT_NEAR(dot(c.right, c.up), 0.0F, 1e-6F);
    expect_near(cross(c.right, c.up), c.towards);
  }
}

TEST(Camera, ViewsStandWhereTheirNamesSay) {
  expect_near(view_camera(View::kFront).towards, {0, 0, 1});
  expect_near(view_camera(View::kBack).right, {-1, 0, 0});  // the object's right shows on the left
  expect_near(view_camera(View::kTop).towards, {0, 1, 0});
  expect_near(view_camera(View::kTop).up, {0, 0, -1});  // the front at the bottom
  const Camera side = view_camera(View::kSide);
  EXPECT_LT(side.towards.x, 0.0F) << "from the object's left";
  EXPECT_GT(side.towards.z, 0.0F) << "and its front";
  EXPECT_NEAR(side.towards.y, std::sin(20.0F * 3.14159265F / 180.0F), 1e-5F);
  EXPECT_NEAR(side.right.y, 0.0F, 1e-6F) << "level horizon";
}

TEST(Camera, FramingIsTheBoundingSphereAboutTheBoxCentre) {
  const std::vector<Vec3f> points{{0, 0, 0}, {4, 0, 0}, {0, 2, 0}, {1, 1, 6}};
  const Result<Framing> framing = frame_positions(points);
  ASSERT_TRUE(framing);
  expect_near(framing->centre, {2, 1, 3});
  EXPECT_NEAR(framing->radius, std::sqrt(4.0F + 1.0F + 9.0F), 1e-5F);
  const ScreenPoint p = project(view_camera(View::kBack), *framing, {4, 0, 0});
  EXPECT_NEAR(p.x, -2.0F, 1e-6F);
  EXPECT_NEAR(p.y, -1.0F, 1e-6F);
  EXPECT_NEAR(p.depth, 3.0F, 1e-6F);  // z = 0 is nearer a camera on −Z than the centre's z = 3

  EXPECT_FALSE(frame_positions({}));
  const std::vector<Vec3f> nan{{0, 0, 0}, {std::numeric_limits<float>::quiet_NaN(), 0, 0}};
  const Result<Framing> bad = frame_positions(nan);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace orfeas::render
