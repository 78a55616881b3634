// A mask the user gives (`orfeas generate --mask FILE`) instead of the detected foreground: any
// image the decoders read, the size of the photo it cuts.
//
//   ORFEAS_ASSIGN_OR_RETURN(ImageRgba8 file, load_image_file("cat_mask.png", limits));
//   ORFEAS_ASSIGN_OR_RETURN(Mask mask, mask_from_image(file, photo.width, photo.height));
//
// Which pixels are the object: when the mask image has transparent pixels (alpha < 128), the
// opaque ones (a cut-out used as a mask); otherwise the light ones (luminance ≥ 128: white on black,
// the usual matte).
//
// Errors: kInvalidArgument when the sizes differ (both named), kNoForeground when no pixel is object.
// Thread-safety: pure function.
#pragma once

#include "orfeas/core/status.h"
#include "orfeas/image/image.h"

namespace orfeas::image {

[[nodiscard]] Result<Mask> mask_from_image(const ImageRgba8& mask_image, int width, int height);

}  // namespace orfeas::image
