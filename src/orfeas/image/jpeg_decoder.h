// JPEG bytes → ImageRgba8. Internal to the image module: call decode_image (decode.h), which
// recognises the format first. Limits, errors and thread-safety are as documented there.
//
// Greyscale, YCbCr, RGB, CMYK and YCCK files are read (CMYK with the Adobe inverted convention
// when the APP14 marker says so, converted without a colour profile). EXIF orientation is applied.
// Truncated files and scans that stop short of the header's size fail instead of coming back
// partly grey; progressive files with more than 256 scans fail as kLimitExceeded (a CPU bomb).
#pragma once

#include <cstdint>
#include <span>

#include "orfeas/core/status.h"
#include "orfeas/image/decode.h"
#include "orfeas/image/image.h"

namespace orfeas::image {

// `bytes` (borrowed for the call) must start with the JPEG signature.
[[nodiscard]] Result<ImageRgba8> decode_jpeg(std::span<const std::uint8_t> bytes, const DecodeLimits& limits);

}  // namespace orfeas::image
