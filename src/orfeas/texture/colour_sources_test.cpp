#include "orfeas/texture/colour_sources.h"

#include <gtest/gtest.h>

namespace orfeas::texture {
namespace {

// 40×40: a 30×30 object square (5..34) with a 2-pixel dark frame, a light blue left half and a
// yellow right half, and a 3×3 black dot in the blue half.
struct Picture {
  image::ImageRgba8 canvas{40, 40, {0, 0, 0, 0}};
  image::Mask mask{40, 40};
  Picture() {
    for (int y = 5; y < 35; ++y) {
      for (int x = 5; x < 35; ++x) {
        mask.at(x, y) = 1;
        const bool frame = x < 7 || y < 7 || x >= 33 || y >= 33;
        canvas.at(x, y) = frame ? image::Rgba8{20, 20, 20, 255}
                                : (x < 20 ? image::Rgba8{120, 160, 240, 255} : image::Rgba8{240, 220, 40, 255});
      }
    }
    for (int y = 18; y < 21; ++y) {
      for (int x = 10; x < 13; ++x) canvas.at(x, y) = {0, 0, 0, 255};
    }
  }
};

TEST(ColourSources, InsetColoursReplaceTheFrameWithWhatLiesInsideIt) {
  const Picture p;
  const image::ImageRgba8 inset = inset_colours(p.canvas, p.mask, 3);
  EXPECT_EQ(inset.at(5, 10), (image::Rgba8{120, 160, 240, 255}));  // frame, blue side
  EXPECT_EQ(inset.at(34, 10), (image::Rgba8{240, 220, 40, 255}));  // frame, yellow side
  EXPECT_EQ(inset.at(15, 25), p.canvas.at(15, 25));                // deep inside: itself
  EXPECT_EQ(inset.at(0, 0), p.canvas.at(0, 0));                    // outside the mask: untouched
  // An object thinner than the inset is returned as it is.
  EXPECT_EQ(inset_colours(p.canvas, p.mask, 40).pixels, p.canvas.pixels);
}

TEST(ColourSources, RegionsKeepLargeAreasInTheirOwnColoursAndDropDetails) {
  const Picture p;
  const image::ImageRgba8 regions = colour_regions(inset_colours(p.canvas, p.mask, 3), p.mask, 0.02F);
  EXPECT_EQ(regions.at(11, 19), (image::Rgba8{120, 160, 240, 255})) << "the 9-pixel dot (1 % of 900) is a detail";
  EXPECT_EQ(regions.at(15, 25), (image::Rgba8{120, 160, 240, 255}));
  EXPECT_EQ(regions.at(25, 25), (image::Rgba8{240, 220, 40, 255}));
  // With no minimum size, the dot is a region of its own.
  EXPECT_EQ(colour_regions(p.canvas, p.mask, 0.0F).at(11, 19), (image::Rgba8{0, 0, 0, 255}));
}

}  // namespace
}  // namespace orfeas::texture
