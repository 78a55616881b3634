#include "orfeas/render/contact_sheet.h"

#include <vector>

#include <gtest/gtest.h>

namespace orfeas::render {
namespace {

constexpr image::Rgba8 kBackground{240, 240, 240, 255};

TEST(ContactSheet, ImageIsScaledToFitAndCentred) {
  // 40×20, red on the left half and blue on the right, into a 10 px panel without margin.
  image::ImageRgba8 wide(40, 20, {255, 0, 0, 255});
  for (int y = 0; y < 20; ++y) {
    for (int x = 20; x < 40; ++x) wide.at(x, y) = {0, 0, 255, 255};
  }
  const Result<image::ImageRgba8> panel = fit_image(wide, 10, 0.0F, kBackground);
  ASSERT_TRUE(panel) << panel.error().message();
  ASSERT_EQ(panel->width, 10);
  ASSERT_EQ(panel->height, 10);
  // 10×5, rows 2–6; rows 0–1 and 7–9 are background.
  for (int x = 0; x < 10; ++x) {
    EXPECT_EQ(panel->at(x, 1), kBackground);
    EXPECT_EQ(panel->at(x, 7), kBackground);
    EXPECT_EQ(panel->at(x, 2), x < 5 ? (image::Rgba8{255, 0, 0, 255}) : (image::Rgba8{0, 0, 255, 255}));
  }
}

TEST(ContactSheet, ShrinkingAveragesAndAlphaBlendsOverTheBackground) {
  // A 16×16 checkerboard of black and white into 8 px: every pixel averages two of each.
  image::ImageRgba8 checker(16, 16);
  for (int y = 0; y < 16; ++y) {
    for (int x = 0; x < 16; ++x) {
      const std::uint8_t v = (x + y) % 2 == 0 ? 0 : 255;
      checker.at(x, y) = {v, v, v, 255};
    }
  }
  const Result<image::ImageRgba8> shrunk = fit_image(checker, 8, 0.0F, kBackground);
  ASSERT_TRUE(shrunk);
  for (const image::Rgba8 p : shrunk->pixels) EXPECT_EQ(p, (image::Rgba8{128, 128, 128, 255}));

  image::ImageRgba8 translucent(8, 8, {0, 0, 0, 0});
  translucent.at(0, 0) = {0, 0, 0, 255};
  translucent.at(1, 0) = {100, 0, 200, 128};
  const Result<image::ImageRgba8> blended = fit_image(translucent, 8, 0.0F, kBackground);
  ASSERT_TRUE(blended);
  EXPECT_EQ(blended->at(0, 0), (image::Rgba8{0, 0, 0, 255}));
  EXPECT_EQ(blended->at(1, 0), (image::Rgba8{170, 120, 220, 255}));  // half over 240
  EXPECT_EQ(blended->at(5, 5), kBackground) << "transparent shows the background";
}

TEST(ContactSheet, PanelsAreTiledInRows) {
  std::vector<image::ImageRgba8> panels;
  for (std::uint8_t i = 0; i < 3; ++i) panels.emplace_back(4, 3, image::Rgba8{i, 0, 0, 255});
  const Result<image::ImageRgba8> sheet = tile_panels(panels, 2);
  ASSERT_TRUE(sheet) << sheet.error().message();
  ASSERT_EQ(sheet->width, 8);
  ASSERT_EQ(sheet->height, 6);
  EXPECT_EQ(sheet->at(0, 0).r, 0);
  EXPECT_EQ(sheet->at(7, 2).r, 1);
  EXPECT_EQ(sheet->at(3, 5).r, 2);
  EXPECT_EQ(sheet->at(7, 5).r, 0) << "the short row's gap takes the first panel's corner colour";

  const Result<image::ImageRgba8> one_row = tile_panels(panels, 5);
  ASSERT_TRUE(one_row);
  EXPECT_EQ(one_row->width, 12);
  EXPECT_EQ(one_row->height, 3);
}

TEST(ContactSheet, BadInputsAreErrors) {
  EXPECT_FALSE(fit_image(image::ImageRgba8{}, 10, 0.0F, kBackground));
  EXPECT_FALSE(fit_image(image::ImageRgba8(2, 2), 4, 0.0F, kBackground));
  EXPECT_FALSE(fit_image(image::ImageRgba8(2, 2), 10, 0.95F, kBackground));
  std::vector<image::ImageRgba8> mixed;
  mixed.emplace_back(4, 4);
  mixed.emplace_back(4, 5);
  const Result<image::ImageRgba8> sheet = tile_panels(mixed, 2);
  ASSERT_FALSE(sheet);
  EXPECT_EQ(sheet.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_FALSE(tile_panels({}, 2));
  EXPECT_FALSE(tile_panels(mixed, 0));
}

}  // namespace
}  // namespace orfeas::render
