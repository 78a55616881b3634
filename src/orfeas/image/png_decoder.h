// PNG bytes → ImageRgba8. Internal to the image module: call decode_image (decode.h), which
// recognises the format first. Limits, errors and thread-safety are as documented there.
//
// Every colour type and bit depth is converted to 8-bit RGBA (palette and colour-key tRNS become
// alpha; 16-bit samples are rounded to 8 bits); interlaced files are reassembled. Text chunks and
// ICC profiles are skipped unread. APNG files give their default image.
//
// Work is bounded by the image, not by the file. libpng inflates only what each row needs, but
// after the last row it inflates whatever compressed data is left until the zlib stream ends: a
// valid 64 MB file can carry 64 GB of zeros there (90 s of CPU). So at most 64 KiB of IDAT data
// is read after the last row (deflate's 1:1032 ratio makes that ≤ 64 MiB inflated, about 0.1 s);
// more is refused as kLimitExceeded. Real encoders leave a few bytes there: the end code and the
// checksum.
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
