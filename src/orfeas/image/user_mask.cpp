#include "orfeas/image/user_mask.h"

#include <algorithm>
#include <string>

#include <fmt/format.h>

namespace orfeas::image {

Result<Mask> mask_from_image(const ImageRgba8& mask_image, int width, int height) {
  if (mask_image.width != width || mask_image.height != height) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("the mask is {}x{} pixels but the image is {}x{}: they must be the same size",
                                  mask_image.width, mask_image.height, width, height));
  }
  constexpr std::uint8_t kHalf = 128;
  const bool transparent = std::any_of(mask_image.pixels.begin(), mask_image.pixels.end(),
                                       [](const Rgba8& pixel) { return pixel.a < kHalf; });
  Mask mask(width, height);
  for (std::size_t i = 0; i < mask.values.size(); ++i) {
    const Rgba8& p = mask_image.pixels[i];
    // Rec. 601 luma, in integers: (299 R + 587 G + 114 B) / 1000.
    const int luma = (299 * p.r + 587 * p.g + 114 * p.b) / 1000;
    mask.values[i] = (transparent ? p.a >= kHalf : luma >= kHalf) ? 1 : 0;
  }
  if (mask.count() == 0) {
    return make_error(ErrorCode::kNoForeground,
                      transparent ? "the mask marks no object: every pixel is transparent"
                                  : "the mask marks no object: every pixel is dark (the object is white on black)");
  }
  return mask;
}

}  // namespace orfeas::image
