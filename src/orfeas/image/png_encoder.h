// ImageRgba8 → PNG bytes, for pictures the project makes (orfeas render). Not a general encoder:
// 8-bit samples only, no metadata chunks (no time stamp), so the same pixels give the same bytes.
//
//   ORFEAS_ASSIGN_OR_RETURN(const std::vector<std::uint8_t> png, encode_png(picture));
//   ORFEAS_RETURN_IF_ERROR(write_file_atomically(path, std::as_bytes(std::span(png))));
//
// An image whose every pixel is opaque is stored as RGB (a quarter smaller), any other as RGBA;
// decode_image gives the same pixels back either way. Rows are filtered adaptively and deflated
// at level 9. kInvalidArgument for an empty image or one whose pixel count does not match its
// size; kInternal if libpng fails (out of memory).
//
// Thread-safety: no shared state.
#pragma once

#include <cstdint>
#include <vector>

#include "orfeas/core/status.h"
#include "orfeas/image/image.h"

namespace orfeas::image {

[[nodiscard]] Result<std::vector<std::uint8_t>> encode_png(const ImageRgba8& image);

}  // namespace orfeas::image
