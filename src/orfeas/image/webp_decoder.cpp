#include "orfeas/image/webp_decoder.h"

#include <webp/decode.h>

#include <fmt/format.h>

#include <string>

namespace orfeas::image {
namespace {

static_assert(sizeof(Rgba8) == 4, "decoders write RGBA bytes straight into ImageRgba8::pixels");

tl::unexpected<Error> webp_failure(VP8StatusCode status) {
  switch (status) {
    case VP8_STATUS_NOT_ENOUGH_DATA:
      return make_error(ErrorCode::kCorruptData, "WebP truncated: the file ends inside the image data");
    case VP8_STATUS_UNSUPPORTED_FEATURE:
      return make_error(ErrorCode::kUnsupportedFormat, "WebP uses a feature libwebp does not support");
    case VP8_STATUS_OUT_OF_MEMORY:
      return make_error(ErrorCode::kInternal, "out of memory while decoding WebP");
    default:
      return make_error(ErrorCode::kCorruptData,
                        fmt::format("WebP damaged: libwebp status {}", static_cast<int>(status)));
  }
}

// Owns the decoder configuration; frees whatever libwebp attached to its output buffer.
class WebpDecoderConfig {
 public:
  WebpDecoderConfig() { initialised_ = WebPInitDecoderConfig(&config_) != 0; }
  ~WebpDecoderConfig() {
    if (initialised_) WebPFreeDecBuffer(&config_.output);
  }
  WebpDecoderConfig(const WebpDecoderConfig&) = delete;
  WebpDecoderConfig& operator=(const WebpDecoderConfig&) = delete;

  [[nodiscard]] bool initialised() const { return initialised_; }
  [[nodiscard]] WebPDecoderConfig& get() { return config_; }

 private:
  WebPDecoderConfig config_{};
  bool initialised_ = false;
};

}  // namespace

Result<ImageRgba8> decode_webp(std::span<const std::uint8_t> bytes, const DecodeLimits& limits) {
  WebpDecoderConfig config;
  if (!config.initialised()) return make_error(ErrorCode::kInternal, "libwebp version mismatch");

  // Reads only the RIFF and VP8/VP8L/VP8X headers: nothing is allocated before the limits pass.
  WebPBitstreamFeatures& features = config.get().input;
  const VP8StatusCode header_status = WebPGetFeatures(bytes.data(), bytes.size(), &features);
  if (header_status != VP8_STATUS_OK) return webp_failure(header_status);
  if (features.has_animation != 0) {
    return make_error(ErrorCode::kUnsupportedFormat, "animated WebP is not supported; upload a single frame");
  }
  if (features.width <= 0 || features.height <= 0) {
    return make_error(ErrorCode::kCorruptData, "WebP damaged: header gives an empty image");
  }
  ORFEAS_RETURN_IF_ERROR(check_image_dimensions(static_cast<std::uint64_t>(features.width),
                                                static_cast<std::uint64_t>(features.height), limits, "WebP"));

  ImageRgba8 image(features.width, features.height);
  WebPDecBuffer& output = config.get().output;
  output.colorspace = MODE_RGBA;  // straight alpha, as ImageRgba8 wants
  output.is_external_memory = 1;
  output.u.RGBA.rgba = reinterpret_cast<std::uint8_t*>(image.pixels.data());
  output.u.RGBA.stride = features.width * 4;
  output.u.RGBA.size = image.pixels.size() * sizeof(Rgba8);
  const VP8StatusCode status = WebPDecode(bytes.data(), bytes.size(), &config.get());
  if (status != VP8_STATUS_OK) return webp_failure(status);
  return image;
}

}  // namespace orfeas::image
