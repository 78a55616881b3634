#include "orfeas/image/jpeg_decoder.h"

// jpeglib.h needs size_t and FILE declared before it.
#include <cstddef>
#include <cstdio>

#include <jerror.h>
#include <jpeglib.h>

#include <fmt/format.h>

#include <csetjmp>
#include <string>
#include <utility>

#include "orfeas/image/exif_orientation.h"

namespace orfeas::image {
namespace {

static_assert(sizeof(Rgba8) == 4, "decoders write RGBA bytes straight into ImageRgba8::pixels");

// Progressive files may hold any number of scans, each a full pass over the coefficients: a small
// file with thousands of scans is a CPU bomb. Real encoders write about ten.
constexpr int kMaxScans = 256;

// libjpeg's error manager plus what our callbacks need. Plain data: the callbacks longjmp out of
// libjpeg's frames, which never run destructors.
struct JpegErrorState {
  jpeg_error_mgr manager;  // first member: libjpeg hands callbacks a pointer to it
  std::jmp_buf jump;
  bool truncated;
  bool too_many_scans;
  char message[JMSG_LENGTH_MAX];
};

JpegErrorState& state_of(j_common_ptr cinfo) {
  return *reinterpret_cast<JpegErrorState*>(cinfo->err);
}

[[noreturn]] void fail(j_common_ptr cinfo) {
  JpegErrorState& state = state_of(cinfo);
  (*cinfo->err->format_message)(cinfo, state.message);
  std::longjmp(state.jump, 1);
}

void on_jpeg_error(j_common_ptr cinfo) {
  fail(cinfo);
}

// libjpeg only warns when the data ends early and decodes the rest as grey; an upload cut off in
// transit (JWRN_JPEG_EOF), or whose scan data stops short of what the header promises
// (JWRN_HIT_MARKER), must fail instead. Other warnings (stray bytes between markers, common from
// old cameras) leave a usable image and are ignored.
void on_jpeg_message(j_common_ptr cinfo, int level) {
  if (level >= 0) return;
  const int code = cinfo->err->msg_code;
  if (code == JWRN_JPEG_EOF) state_of(cinfo).truncated = true;
  if (code == JWRN_JPEG_EOF || code == JWRN_HIT_MARKER) fail(cinfo);
}

// The input: the whole file, already in memory. libjpeg asks for more only when the data ended
// before the image did; that is a truncated file, whatever the libjpeg build's warning codes
// (libjpeg-turbo built for the jpeg8 ABI decodes such files as grey without JWRN_JPEG_EOF).
void span_source_init(j_decompress_ptr /*cinfo*/) {}
void span_source_term(j_decompress_ptr /*cinfo*/) {}
boolean span_source_fill(j_decompress_ptr cinfo) {
  state_of(reinterpret_cast<j_common_ptr>(cinfo)).truncated = true;
  fail(reinterpret_cast<j_common_ptr>(cinfo));
}
void span_source_skip(j_decompress_ptr cinfo, long count) {
  if (count <= 0) return;
  jpeg_source_mgr* source = cinfo->src;
  if (static_cast<unsigned long>(count) > source->bytes_in_buffer) span_source_fill(cinfo);
  source->next_input_byte += count;
  source->bytes_in_buffer -= static_cast<std::size_t>(count);
}

void attach_span_source(j_decompress_ptr cinfo, jpeg_source_mgr* source, const std::uint8_t* data, std::size_t size) {
  source->init_source = span_source_init;
  source->fill_input_buffer = span_source_fill;
  source->skip_input_data = span_source_skip;
  source->resync_to_restart = jpeg_resync_to_restart;
  source->term_source = span_source_term;
  source->next_input_byte = data;
  source->bytes_in_buffer = size;
  cinfo->src = source;
}

void on_jpeg_progress(j_common_ptr cinfo) {
  if (cinfo->is_decompressor == 0) return;
  if (reinterpret_cast<j_decompress_ptr>(cinfo)->input_scan_number > kMaxScans) {
    JpegErrorState& state = state_of(cinfo);
    state.too_many_scans = true;
    *fmt::format_to_n(state.message, sizeof state.message - 1, "more than {} progressive scans", kMaxScans).out = '\0';
    std::longjmp(state.jump, 1);
  }
}

// The two functions below are the only frames the callbacks longjmp into. They hold nothing with
// a destructor and reach all state through pointers, so the jump is well-defined.

bool read_jpeg_header(j_decompress_ptr cinfo, JpegErrorState* errors, jpeg_source_mgr* source, const std::uint8_t* data,
                      std::size_t size) {
  if (setjmp(errors->jump) != 0) return false;
  jpeg_CreateDecompress(cinfo, JPEG_LIB_VERSION, sizeof(jpeg_decompress_struct));
  attach_span_source(cinfo, source, data, size);
  jpeg_save_markers(cinfo, JPEG_APP0 + 1, 0xFFFF);  // APP1 holds EXIF
  jpeg_read_header(cinfo, TRUE);
  return true;
}

// Decodes into `out`, which holds output_height rows of `row_bytes` each.
bool read_jpeg_pixels(j_decompress_ptr cinfo, JpegErrorState* errors, std::uint8_t* out, std::size_t row_bytes) {
  if (setjmp(errors->jump) != 0) return false;
  jpeg_start_decompress(cinfo);
  if (cinfo->output_components != 4 || cinfo->output_width != cinfo->image_width ||
      cinfo->output_height != cinfo->image_height) {
    *fmt::format_to_n(errors->message, sizeof errors->message - 1, "libjpeg produced an unexpected output layout").out =
        '\0';
    return false;
  }
  while (cinfo->output_scanline < cinfo->output_height) {
    JSAMPROW row = out + std::size_t{cinfo->output_scanline} * row_bytes;
    jpeg_read_scanlines(cinfo, &row, 1);
  }
  // Reading up to EOI catches a progressive file cut off in its last scan.
  jpeg_finish_decompress(cinfo);
  return true;
}

// Owns the decompressor; safe to destroy whether or not jpeg_CreateDecompress ran.
class JpegDecompressor {
 public:
  JpegDecompressor() {
    cinfo_.err = jpeg_std_error(&errors_.manager);
    errors_.manager.error_exit = on_jpeg_error;
    errors_.manager.emit_message = on_jpeg_message;
    progress_.progress_monitor = on_jpeg_progress;
  }
  ~JpegDecompressor() { jpeg_destroy_decompress(&cinfo_); }
  JpegDecompressor(const JpegDecompressor&) = delete;
  JpegDecompressor& operator=(const JpegDecompressor&) = delete;

  // After jpeg_CreateDecompress, which clears the progress pointer.
  void attach_progress_monitor() { cinfo_.progress = &progress_; }

  [[nodiscard]] jpeg_decompress_struct* cinfo() { return &cinfo_; }
  [[nodiscard]] JpegErrorState* errors() { return &errors_; }
  [[nodiscard]] jpeg_source_mgr* source() { return &source_; }

 private:
  // Zeroed: jpeg_destroy_decompress is a no-op on a struct that was never created.
  jpeg_decompress_struct cinfo_{};
  JpegErrorState errors_{};
  jpeg_progress_mgr progress_{};
  jpeg_source_mgr source_{};
};

tl::unexpected<Error> jpeg_failure(const JpegErrorState& state) {
  if (state.truncated)
    return make_error(ErrorCode::kCorruptData, "JPEG truncated: the file ends inside the image data");
  if (state.too_many_scans) return make_error(ErrorCode::kLimitExceeded, fmt::format("JPEG has {}", state.message));
  return make_error(ErrorCode::kCorruptData, fmt::format("JPEG damaged: {}", state.message));
}

int exif_orientation_of(const jpeg_decompress_struct& cinfo) {
  for (jpeg_saved_marker_ptr marker = cinfo.marker_list; marker != nullptr; marker = marker->next) {
    if (marker->marker != JPEG_APP0 + 1) continue;
    const int orientation = read_exif_orientation({marker->data, marker->data_length});
    if (orientation != 1) return orientation;
  }
  return 1;
}

// CMYK as Adobe writes it (the `inverted` case, flagged by its APP14 marker) stores 255 - ink;
// other writers store ink. Without a colour profile the usual approximation is R = (1-C)(1-K).
void cmyk_to_rgba_in_place(ImageRgba8& image, bool inverted) {
  for (Rgba8& pixel : image.pixels) {
    unsigned c = pixel.r;
    unsigned m = pixel.g;
    unsigned y = pixel.b;
    unsigned k = pixel.a;
    if (!inverted) {
      c = 255 - c;
      m = 255 - m;
      y = 255 - y;
      k = 255 - k;
    }
    pixel.r = static_cast<std::uint8_t>((c * k + 127) / 255);
    pixel.g = static_cast<std::uint8_t>((m * k + 127) / 255);
    pixel.b = static_cast<std::uint8_t>((y * k + 127) / 255);
    pixel.a = 255;
  }
}

}  // namespace

Result<ImageRgba8> decode_jpeg(std::span<const std::uint8_t> bytes, const DecodeLimits& limits) {
  JpegDecompressor decompressor;
  jpeg_decompress_struct* cinfo = decompressor.cinfo();
  if (!read_jpeg_header(cinfo, decompressor.errors(), decompressor.source(), bytes.data(), bytes.size())) {
    return jpeg_failure(*decompressor.errors());
  }
  decompressor.attach_progress_monitor();
  // Saved markers live in libjpeg's per-image pool, which jpeg_finish_decompress frees.
  const int orientation = exif_orientation_of(*cinfo);
  ORFEAS_RETURN_IF_ERROR(check_image_dimensions(cinfo->image_width, cinfo->image_height, limits, "JPEG"));

  bool cmyk = false;
  switch (cinfo->jpeg_color_space) {
    case JCS_GRAYSCALE:
    case JCS_YCbCr:
    case JCS_RGB:
      cinfo->out_color_space = JCS_EXT_RGBA;
      break;
    case JCS_CMYK:
    case JCS_YCCK:
      cinfo->out_color_space = JCS_CMYK;
      cmyk = true;
      break;
    default:
      return make_error(
          ErrorCode::kUnsupportedFormat,
          fmt::format("JPEG with {} colour components in an unknown colour space", cinfo->num_components));
  }

  ImageRgba8 image(static_cast<int>(cinfo->image_width), static_cast<int>(cinfo->image_height));
  auto* out = reinterpret_cast<std::uint8_t*>(image.pixels.data());
  if (!read_jpeg_pixels(cinfo, decompressor.errors(), out, std::size_t{cinfo->image_width} * 4)) {
    return jpeg_failure(*decompressor.errors());
  }
  if (cmyk) cmyk_to_rgba_in_place(image, cinfo->saw_Adobe_marker != 0);
  return apply_exif_orientation(std::move(image), orientation);
}

}  // namespace orfeas::image
