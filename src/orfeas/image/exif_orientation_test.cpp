#include "orfeas/image/exif_orientation.h"

#include <gtest/gtest.h>

#include "orfeas/image/test_images.h"

namespace orfeas::image {
namespace {

using testing::Bytes;

TEST(ImageExifTest, ReadsOrientationInBothByteOrders) {
  for (int orientation = 1; orientation <= 8; ++orientation) {
    EXPECT_EQ(read_exif_orientation(testing::exif_orientation_payload(orientation, true)), orientation);
    EXPECT_EQ(read_exif_orientation(testing::exif_orientation_payload(orientation, false)), orientation);
  }
}

TEST(ImageExifTest, AnythingElseMeansUpright) {
  EXPECT_EQ(read_exif_orientation({}), 1);
  EXPECT_EQ(read_exif_orientation(Bytes{'h', 't', 't', 'p', ':', '/', '/'}), 1);  // XMP lives in APP1 too
  EXPECT_EQ(read_exif_orientation(testing::exif_orientation_payload(0, true)), 1);
  EXPECT_EQ(read_exif_orientation(testing::exif_orientation_payload(42, false)), 1);
  Bytes cut = testing::exif_orientation_payload(6, true);
  cut.resize(14);
  EXPECT_EQ(read_exif_orientation(cut), 1);
}

// Stored 3 × 2:  a b c
//                d e f
TEST(ImageExifTest, AppliesAllEightOrientations) {
  ImageRgba8 stored(3, 2);
  for (std::uint8_t i = 0; i < 6; ++i) stored.pixels[i] = {static_cast<std::uint8_t>('a' + i), 0, 0, 255};
  const auto letters = [](const ImageRgba8& image) {
    std::string text;
    for (int y = 0; y < image.height; ++y) {
      for (int x = 0; x < image.width; ++x) text += static_cast<char>(image.at(x, y).r);
      text += '/';
    }
    return text;
  };
  EXPECT_EQ(letters(apply_exif_orientation(stored, 1)), "abc/def/");
  EXPECT_EQ(letters(apply_exif_orientation(stored, 2)), "cba/fed/");
  EXPECT_EQ(letters(apply_exif_orientation(stored, 3)), "fed/cba/");
  EXPECT_EQ(letters(apply_exif_orientation(stored, 4)), "def/abc/");
  EXPECT_EQ(letters(apply_exif_orientation(stored, 5)), "ad/be/cf/");
  EXPECT_EQ(letters(apply_exif_orientation(stored, 6)), "da/eb/fc/");
  EXPECT_EQ(letters(apply_exif_orientation(stored, 7)), "fc/eb/da/");
  EXPECT_EQ(letters(apply_exif_orientation(stored, 8)), "cf/be/ad/");
  EXPECT_EQ(letters(apply_exif_orientation(stored, 0)), "abc/def/");
}

}  // namespace
}  // namespace orfeas::image
