// Pictures side by side: the panels of `orfeas render` (an input image beside views of its mesh)
// laid out in rows, and an image fitted into a panel.
//
//   ORFEAS_ASSIGN_OR_RETURN(const image::ImageRgba8 thumb, fit_image(input, 240, 0.06F, background));
//   ORFEAS_ASSIGN_OR_RETURN(const image::ImageRgba8 sheet, tile_panels(panels, 4));
//
// Thread-safety: pure functions.
#pragma once

#include <span>

#include "orfeas/core/status.h"
#include "orfeas/image/image.h"

namespace orfeas::render {

// `image` scaled (area-averaged down, nearest up) so that its longer side spans `size_px` less
// `margin` of the half-side on each side, centred on a square `size_px` panel of `background`;
// translucent pixels are blended over it (straight alpha). kInvalidArgument for an empty image,
// a size outside 8–4096 or a margin outside 0–0.9.
[[nodiscard]] Result<image::ImageRgba8> fit_image(const image::ImageRgba8& image, int size_px, float margin,
                                                  image::Rgba8 background);

// Panels of one size, left to right, `columns` to a row, rows top to bottom; a short last row is
// filled with the first panel's top-left colour. kInvalidArgument for no panels, panels of
// different sizes, or columns < 1.
[[nodiscard]] Result<image::ImageRgba8> tile_panels(std::span<const image::ImageRgba8> panels, int columns);

}  // namespace orfeas::render
