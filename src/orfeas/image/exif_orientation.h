// EXIF orientation: reading the tag from a JPEG APP1 segment, and turning the stored pixels upright.
//
// Cameras store the sensor's pixels as captured and record in tag 0x0112 how a viewer must turn
// them; values 1–8 as in EXIF 2.32 §4.6.4 (1 = as stored, 3 = 180°, 6 = 90° clockwise,
// 8 = 90° counter-clockwise, 2/4/5/7 the mirrored variants).
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <span>

#include "orfeas/image/image.h"

namespace orfeas::image {

// The orientation in an APP1 payload (starting with "Exif\0\0", borrowed for the call), or 1 when
// the payload is not EXIF, is damaged, has no orientation tag or holds a value outside 1–8.
[[nodiscard]] int read_exif_orientation(std::span<const std::uint8_t> app1_payload);

// The image as a viewer shows it for `orientation`; values outside 2–8 return the image unchanged.
// Orientations 5–8 swap width and height.
[[nodiscard]] ImageRgba8 apply_exif_orientation(ImageRgba8 image, int orientation);

}  // namespace orfeas::image
