#include "orfeas/image/user_mask.h"

#include <gtest/gtest.h>

#include "orfeas/image/test_images.h"

namespace orfeas::image {
namespace {

TEST(UserMask, AnOpaqueMaskIsWhiteOnBlack) {
  ImageRgba8 file(8, 6, {0, 0, 0, 255});
  for (int y = 1; y < 4; ++y) {
    for (int x = 2; x < 7; ++x) file.at(x, y) = {255, 255, 255, 255};
  }
  file.at(0, 0) = {100, 100, 100, 255};  // dark grey: background
  file.at(7, 5) = {160, 160, 160, 255};  // light grey: object
  const auto mask = mask_from_image(file, 8, 6);
  ASSERT_TRUE(mask.has_value()) << mask.error().message();
  EXPECT_EQ(mask->count(), 3U * 5U + 1U);
  EXPECT_EQ(mask->at(2, 1), 1);
  EXPECT_EQ(mask->at(0, 0), 0);
  EXPECT_EQ(mask->at(7, 5), 1);
}

TEST(UserMask, AMaskWithTransparencyIsItsOpaquePixelsWhateverTheirColour) {
  ImageRgba8 file(4, 4, {255, 255, 255, 0});                   // white but transparent: background
  for (int x = 0; x < 4; ++x) file.at(x, 2) = {0, 0, 0, 200};  // black but opaque: object
  const auto mask = mask_from_image(file, 4, 4);
  ASSERT_TRUE(mask.has_value()) << mask.error().message();
  EXPECT_EQ(mask->count(), 4U);
  EXPECT_EQ(mask->at(1, 2), 1);
}

TEST(UserMask, ADifferentSizeOrAnEmptyMaskIsAClearError) {
  testing::expect_error(mask_from_image(ImageRgba8(4, 4, {255, 255, 255, 255}), 5, 4), ErrorCode::kInvalidArgument,
                        "the mask is 4x4 pixels but the image is 5x4");
  testing::expect_error(mask_from_image(ImageRgba8(4, 4, {0, 0, 0, 255}), 4, 4), ErrorCode::kNoForeground,
                        "white on black");
  testing::expect_error(mask_from_image(ImageRgba8(4, 4, {255, 255, 255, 0}), 4, 4), ErrorCode::kNoForeground,
                        "transparent");
}

}  // namespace
}  // namespace orfeas::image
