// PNG bytes → ImageRgba8. Internal to the image module: call decode_image (decode.h), which
// recognises the format first. Limits, errors and thread-safety are as documented there.
//
// Every colour type and bit depth is converted to 8-bit RGBA (palette and colour-key tRNS become
// alpha; 16-bit samples are rounded to 8 bits); interlaced files are reassembled. Text chunks and
// ICC profiles are skipped unread. APNG files give their default image.
#pragma once

#include <cstdint>
#include <span>

#include "orfeas/core/status.h"
#include "orfeas/image/decode.h"
#include "orfeas/image/image.h"

namespace orfeas::image {

// `bytes` (borrowed for the call) must start with the PNG signature.
[[nodiscard]] Result<ImageRgba8> decode_png(std::span<const std::uint8_t> bytes, const DecodeLimits& limits);

}  // namespace orfeas::image
