// JPEG bytes → ImageRgba8. Internal to the image module: call decode_image (decode.h), which
// recognises the format first. Limits, errors and thread-safety are as documented there.
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
