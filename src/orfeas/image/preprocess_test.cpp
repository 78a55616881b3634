#include "orfeas/image/preprocess.h"

#include <filesystem>

#include <gtest/gtest.h>

#include "orfeas/image/decode.h"
#include "orfeas/image/recenter.h"
#include "orfeas/image/test_images.h"
#include "orfeas/testing/temp_dir.h"

namespace orfeas::image {
namespace {

using orfeas::testing::TempDir;
using testing::Bytes;

constexpr Rgba8 kInk{30, 60, 150, 255};

// An off-centre ellipse-ish object (a 60 × 30 box with a disc on top) on white.
ImageRgba8 drawing() {
  ImageRgba8 image(200, 120, {255, 255, 255, 255});
  testing::fill_rect(image, 20, 70, 80, 100, kInk);
  testing::fill_disc(image, 50, 60, 20, kInk);
  return image;
}

TEST(ImagePreprocessTest, DrawingOnWhiteEndsUpCentredOnTheCanvas) {
  for (const auto& encoded :
       {testing::encode_png(drawing()), testing::encode_jpeg(drawing()), testing::encode_webp_lossless(drawing())}) {
    const auto pre = preprocess_image(encoded, {.border_ratio = 0.2F, .canvas_size = 128});
    ASSERT_TRUE(pre.has_value()) << pre.error().message();
    ASSERT_EQ(pre->canvas.width, 128);
    ASSERT_EQ(pre->mask.height, 128);
    const auto box = mask_bounds(pre->mask);
    ASSERT_TRUE(box.has_value());
    // The object is 60 wide and 60 tall (disc top at y = 40, box bottom at y = 100).
    EXPECT_NEAR(std::max(box->width(), box->height()), 0.8 * 128, 1.5);
    EXPECT_NEAR(box->x0, 128 - box->x1, 1);
    EXPECT_NEAR(box->y0, 128 - box->y1, 1);
    EXPECT_PRED3(testing::near, pre->canvas.at(64, 64), kInk, 8);
    EXPECT_EQ(pre->canvas.at(1, 1), (Rgba8{0, 0, 0, 0}));
  }
}

TEST(ImagePreprocessTest, TheCutoutIsKeptOnlyWhenAskedWithTheMaskAsAlpha) {
  const auto without = preprocess_image(testing::encode_png(drawing()), {.canvas_size = 64});
  ASSERT_TRUE(without.has_value()) << without.error().message();
  EXPECT_EQ(without->cutout.width, 0);
  const auto with = preprocess_image(testing::encode_png(drawing()), {.canvas_size = 64, .keep_cutout = true});
  ASSERT_TRUE(with.has_value()) << with.error().message();
  ASSERT_EQ(with->cutout.width, 200);
  ASSERT_EQ(with->cutout.height, 120);
  EXPECT_EQ(with->cutout.at(50, 85), kInk);                        // inside the box: as decoded
  EXPECT_EQ(with->cutout.at(150, 20), (Rgba8{255, 255, 255, 0}));  // the white background: transparent
}

TEST(ImagePreprocessTest, TransparentCutOutUsesAlpha) {
  ImageRgba8 image(64, 64, {255, 255, 255, 0});
  testing::fill_disc(image, 20, 20, 10, {250, 250, 250, 255});  // white object: only alpha can find it
  const auto pre = preprocess_image(testing::encode_png(image), {.canvas_size = 64});
  ASSERT_TRUE(pre.has_value()) << pre.error().message();
  EXPECT_EQ(pre->mask.at(32, 32), 1);
}

TEST(ImagePreprocessTest, ADoubtfulMaskStopsTheRunOrIsReportedWhenAskedToGoOn) {
  auto landscape = load_image_file(std::filesystem::path(ORFEAS_SOURCE_DIR) / "tests/data/photos/aero3.jpg", {});
  ASSERT_TRUE(landscape.has_value()) << landscape.error().message();
  const Bytes png = testing::encode_png(*landscape);
  const auto refused = preprocess_image(png, {.canvas_size = 64});
  testing::expect_error(refused, ErrorCode::kNoForeground, "runs into 4 borders");
  testing::expect_error(refused, ErrorCode::kNoForeground, "--on-uncertain-mask warn");
  const auto kept = preprocess_image(png, {.canvas_size = 64, .refuse_doubtful_mask = false});
  ASSERT_TRUE(kept.has_value()) << kept.error().message();
  EXPECT_NE(kept->mask_doubt.find("runs into 4 borders"), std::string::npos) << kept->mask_doubt;
  EXPECT_GT(kept->mask.count(), 0U);
  const auto trusted = preprocess_image(testing::encode_png(drawing()), {.canvas_size = 64});
  ASSERT_TRUE(trusted.has_value());
  EXPECT_EQ(trusted->mask_doubt, "");
}

TEST(ImagePreprocessTest, ErrorsCarryTheStage) {
  const auto garbage = preprocess_image(Bytes{'n', 'o', 'p', 'e', '!', '!'}, {});
  testing::expect_error(garbage, ErrorCode::kUnsupportedFormat);
  EXPECT_EQ(garbage.error().message().rfind("while decoding the image: ", 0), 0U) << garbage.error().message();

  const auto blank = preprocess_image(testing::encode_png(ImageRgba8(32, 32, {7, 7, 7, 255})), {});
  testing::expect_error(blank, ErrorCode::kNoForeground, "while separating the object");
}

TEST(ImagePreprocessTest, BadOptionsFailBeforeDecoding) {
  const auto result = preprocess_image(Bytes{}, {.canvas_size = 8});
  testing::expect_error(result, ErrorCode::kInvalidArgument);
}

TEST(ImagePreprocessTest, ReadsFiles) {
  const TempDir temp;
  const std::filesystem::path& dir = temp.path();
  testing::write_file(dir / "drawing.webp", testing::encode_webp_lossless(drawing()));
  const auto pre = preprocess_image_file(dir / "drawing.webp", {.canvas_size = 96});
  ASSERT_TRUE(pre.has_value()) << pre.error().message();
  EXPECT_EQ(pre->canvas.width, 96);

  const auto missing = preprocess_image_file(dir / "missing.png", {});
  testing::expect_error(missing, ErrorCode::kNotFound, "missing.png");
}

}  // namespace
}  // namespace orfeas::image
