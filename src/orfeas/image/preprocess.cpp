#include "orfeas/image/preprocess.h"

#include <span>
#include <string>
#include <utility>

#include "orfeas/image/recenter.h"
#include "orfeas/image/user_mask.h"

namespace orfeas::image {
namespace {

RecenterOptions recenter_options(const PreprocessOptions& options) {
  return {.border_ratio = options.border_ratio, .canvas_size = options.canvas_size};
}

// Centring (and the cut-out) of `image` whose object is `mask`; `source` names the input in error
// messages ("the upload", a path).
Result<PreprocessedImage> recenter_masked(const ImageRgba8& image, const Mask& mask, const PreprocessOptions& options,
                                          const std::string& source, std::span<const std::uint8_t> edge_weights = {}) {
  ORFEAS_ASSIGN_OR_RETURN_CTX(RecenteredImage recentered,
                              recenter(image, mask, recenter_options(options), edge_weights),
                              "while centring the object of " + source);
  PreprocessedImage result{std::move(recentered.canvas), std::move(recentered.mask), std::move(recentered.coverage)};
  if (options.keep_cutout) {
    result.cutout = image;
    for (std::size_t i = 0; i < result.cutout.pixels.size(); ++i)
      if (mask.values[i] == 0) result.cutout.pixels[i].a = 0;
  }
  return result;
}

// The stages after decoding, with the detected foreground.
Result<PreprocessedImage> mask_and_recenter(const ImageRgba8& image, const PreprocessOptions& options,
                                            const std::string& source) {
  const std::string doing = "while separating the object from the background in " + source;
  ORFEAS_ASSIGN_OR_RETURN_CTX(const Foreground foreground, detect_foreground(image, options.foreground), doing);
  if (!foreground.doubt.empty() && options.refuse_doubtful_mask) {
    const Error doubtful(ErrorCode::kNoForeground,
                         foreground.doubt +
                             ". Give a cut-out (a PNG with transparency), the object's mask (--mask FILE), or "
                             "--on-uncertain-mask warn to go on with this mask");
    return tl::unexpected(doubtful.with_context(doing));
  }
  ORFEAS_ASSIGN_OR_RETURN(PreprocessedImage result,
                          recenter_masked(image, foreground.mask, options, source, foreground.edge_weights));
  result.mask_doubt = foreground.doubt;
  return result;
}

}  // namespace

Result<PreprocessedImage> preprocess_image(std::span<const std::uint8_t> bytes, const PreprocessOptions& options) {
  // Bad options are the caller's mistake; say so before spending time on decoding.
  ORFEAS_RETURN_IF_ERROR(validate_recenter_options(recenter_options(options)));
  ORFEAS_ASSIGN_OR_RETURN_CTX(const ImageRgba8 image, decode_image(bytes, options.limits), "while decoding the image");
  return mask_and_recenter(image, options, "the image");
}

Result<PreprocessedImage> preprocess_image_file(const std::filesystem::path& path, const PreprocessOptions& options) {
  ORFEAS_RETURN_IF_ERROR(validate_recenter_options(recenter_options(options)));
  // load_image_file's errors already name the path.
  ORFEAS_ASSIGN_OR_RETURN(const ImageRgba8 image, load_image_file(path, options.limits));
  return mask_and_recenter(image, options, path.string());
}

Result<PreprocessedImage> preprocess_image_file(const std::filesystem::path& path,
                                                const std::filesystem::path& mask_file,
                                                const PreprocessOptions& options) {
  ORFEAS_RETURN_IF_ERROR(validate_recenter_options(recenter_options(options)));
  ORFEAS_ASSIGN_OR_RETURN(const ImageRgba8 image, load_image_file(path, options.limits));
  ORFEAS_ASSIGN_OR_RETURN(const ImageRgba8 mask_image, load_image_file(mask_file, options.limits));
  ORFEAS_ASSIGN_OR_RETURN_CTX(const Mask mask, mask_from_image(mask_image, image.width, image.height),
                              "mask " + mask_file.string());
  return recenter_masked(image, mask, options, path.string());
}

}  // namespace orfeas::image
