#include "orfeas/image/components.h"

#include <gtest/gtest.h>

namespace orfeas::image {
namespace {

// 5 × 4:   1 1 0 0 1
//          0 0 0 1 0
//          0 0 0 0 0
//          0 0 1 0 0
const std::vector<std::uint8_t> kGrid = {1, 1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0};

TEST(ImageComponentsTest, FourConnectivityKeepsDiagonalsApart) {
  const Components parts = label_components(kGrid, 5, 4, Connectivity::kFour);
  ASSERT_EQ(parts.sizes.size(), 4U);
  EXPECT_EQ(parts.sizes[0], 2U);
  EXPECT_EQ(parts.labels[0], parts.labels[1]);
  EXPECT_NE(parts.labels[4], parts.labels[8]);
  EXPECT_EQ(parts.labels[2], Components::kNone);
  EXPECT_EQ(parts.on_border[static_cast<std::size_t>(parts.labels[8])], 0);   // (3, 1) is interior
  EXPECT_EQ(parts.on_border[static_cast<std::size_t>(parts.labels[17])], 1);  // bottom row
}

TEST(ImageComponentsTest, EightConnectivityJoinsDiagonals) {
  const Components parts = label_components(kGrid, 5, 4, Connectivity::kEight);
  ASSERT_EQ(parts.sizes.size(), 3U);
  EXPECT_EQ(parts.labels[4], parts.labels[8]);
  EXPECT_EQ(parts.sizes[static_cast<std::size_t>(parts.labels[4])], 2U);
}

TEST(ImageComponentsTest, LargeRegionNeedsNoRecursion) {
  const std::vector<std::uint8_t> all(2000 * 2000, 1);
  const Components parts = label_components(all, 2000, 2000, Connectivity::kFour);
  ASSERT_EQ(parts.sizes.size(), 1U);
  EXPECT_EQ(parts.sizes[0], all.size());
}

}  // namespace
}  // namespace orfeas::image
