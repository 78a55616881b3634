#include "orfeas/image/png_decoder.h"

#include <png.h>

#include <fmt/format.h>

#include <csetjmp>
#include <cstring>
#include <vector>

namespace orfeas::image {
namespace {

static_assert(sizeof(Rgba8) == 4, "decoders write RGBA bytes straight into ImageRgba8::pixels");

// Ancillary chunks we never use; libpng skips them unread instead of inflating them, which takes
// compressed text and ICC profiles (both can be bombs) off the attack surface.
constexpr png_byte kIgnoredChunks[] = {'i', 'C', 'C', 'P', 0, 'i', 'T', 'X', 't', 0, 't', 'E', 'X', 't', 0,
                                       'z', 'T', 'X', 't', 0, 's', 'P', 'L', 'T', 0, 'e', 'X', 'I', 'f', 0};
constexpr unsigned kIgnoredChunkCount = sizeof(kIgnoredChunks) / 5;

// Bounds on what libpng may keep for the ancillary chunks it still reads.
constexpr png_uint_32 kMaxAncillaryChunks = 256;
constexpr png_alloc_size_t kMaxChunkBytes = png_alloc_size_t{4} << 20U;

// libpng inflates whatever compressed data follows the last row until the zlib stream ends
// (png_read_finish_IDAT, inside the last png_read_row), at about 1 s per GiB of output. A real
// encoder leaves only the end code and checksum there, perhaps in one more small IDAT; deflate
// expands a byte to at most 1032, so this margin bounds that work to about 64 MiB of output.
constexpr std::size_t kMaxIdatBytesAfterImage = std::size_t{64} << 10U;
constexpr png_uint_32 kIdatChunk = 0x49444154;  // "IDAT", as png_get_io_chunk_type returns it

// Everything libpng's callbacks touch. Plain data, because it is written from frames that a
// longjmp unwinds without running destructors.
struct PngReadState {
  const std::uint8_t* data = nullptr;  // borrowed
  std::size_t size = 0;
  std::size_t offset = 0;
  bool truncated = false;
  // Set once libpng is asked for the pixels; counts IDAT data read after their last row.
  bool reading_pixels = false;
  bool interlaced = false;
  png_uint_32 height = 0;
  std::size_t idat_bytes_after_image = 0;
  bool too_much_data = false;
  char message[256] = {};
};

PngReadState& state_of(png_structp png) {
  return *static_cast<PngReadState*>(png_get_error_ptr(png));
}

// True once libpng has produced every row: the last pass ended (interlaced), or the row counter
// reached the height.
bool all_rows_read(png_structp png, const PngReadState& state) {
  if (!state.reading_pixels) return false;
  if (state.interlaced) return png_get_current_pass_number(png) > 6;
  return png_get_current_row_number(png) >= state.height;
}

void read_from_memory(png_structp png, png_bytep out, std::size_t length) {
  PngReadState& state = state_of(png);
  if (length > state.size - state.offset) {
    state.truncated = true;
    png_error(png, "unexpected end of data");
  }
  if ((png_get_io_state(png) & PNG_IO_CHUNK_DATA) != 0 && png_get_io_chunk_type(png) == kIdatChunk &&
      all_rows_read(png, state)) {
    state.idat_bytes_after_image += length;
    if (state.idat_bytes_after_image > kMaxIdatBytesAfterImage) {
      state.too_much_data = true;
      png_error(png, "compressed image data goes on after the last row");
    }
  }
  std::memcpy(out, state.data + state.offset, length);
  state.offset += length;
}

[[noreturn]] void on_png_error(png_structp png, png_const_charp message) {
  PngReadState& state = state_of(png);
  *fmt::format_to_n(state.message, sizeof state.message - 1, "{}", message).out = '\0';
  png_longjmp(png, 1);
}

// Warnings are about problems libpng has already worked around (a bad CRC on an ancillary chunk,
// which it then drops); the pixels are still right, so they are not worth failing an upload for.
void on_png_warning(png_structp /*png*/, png_const_charp /*message*/) {}

// The three functions below are the only frames libpng may longjmp into. Each holds nothing with a
// destructor and reads nothing after the jump except through pointers, so the jump is well-defined.

bool read_png_info(png_structp png, png_infop info) {
  if (setjmp(png_jmpbuf(png)) != 0) return false;
  png_read_info(png, info);
  return true;
}

// Asks libpng for 8-bit RGBA whatever the stored colour type, bit depth, tRNS and interlacing.
bool set_rgba8_transforms(png_structp png, png_infop info) {
  if (setjmp(png_jmpbuf(png)) != 0) return false;
  const int colour_type = png_get_color_type(png, info);
  const int bit_depth = png_get_bit_depth(png, info);
  const bool has_trns = png_get_valid(png, info, PNG_INFO_tRNS) != 0;
  if (colour_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
  if (colour_type == PNG_COLOR_TYPE_GRAY && bit_depth < 8) png_set_expand_gray_1_2_4_to_8(png);
  if (has_trns) png_set_tRNS_to_alpha(png);
  if (bit_depth == 16) png_set_scale_16(png);
  if ((colour_type & PNG_COLOR_MASK_COLOR) == 0) png_set_gray_to_rgb(png);
  if ((colour_type & PNG_COLOR_MASK_ALPHA) == 0 && !has_trns) png_set_add_alpha(png, 0xFF, PNG_FILLER_AFTER);
  png_set_interlace_handling(png);
  png_read_update_info(png, info);
  return true;
}

bool read_png_pixels(png_structp png, png_bytepp rows) {
  if (setjmp(png_jmpbuf(png)) != 0) return false;
  png_read_image(png, rows);
  // Reading through IEND catches files cut off after the last image row.
  png_read_end(png, nullptr);
  return true;
}

// Owns libpng's read and info structs.
class PngReader {
 public:
  explicit PngReader(PngReadState* state) {  // state: borrowed, must outlive the reader
    png_ = png_create_read_struct(PNG_LIBPNG_VER_STRING, state, on_png_error, on_png_warning);
    if (png_ != nullptr) info_ = png_create_info_struct(png_);
  }
  ~PngReader() { png_destroy_read_struct(&png_, info_ != nullptr ? &info_ : nullptr, nullptr); }
  PngReader(const PngReader&) = delete;
  PngReader& operator=(const PngReader&) = delete;

  [[nodiscard]] bool valid() const { return png_ != nullptr && info_ != nullptr; }
  [[nodiscard]] png_structp png() const { return png_; }
  [[nodiscard]] png_infop info() const { return info_; }

 private:
  png_structp png_ = nullptr;
  png_infop info_ = nullptr;
};

std::uint32_t read_be32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24U) | (std::uint32_t{p[1]} << 16U) | (std::uint32_t{p[2]} << 8U) | p[3];
}

// The dimensions in IHDR, which the PNG format requires as the very first chunk. Reading them
// here, before libpng, turns an oversized header into a clean kLimitExceeded.
Status check_ihdr_dimensions(std::span<const std::uint8_t> bytes, const DecodeLimits& limits) {
  constexpr std::size_t kIhdrEnd = 8 + 8 + 8;  // signature, chunk length + type, width + height
  if (bytes.size() < kIhdrEnd || std::memcmp(bytes.data() + 12, "IHDR", 4) != 0) return ok();  // libpng reports it
  return check_image_dimensions(read_be32(bytes.data() + 16), read_be32(bytes.data() + 20), limits, "PNG");
}

tl::unexpected<Error> png_failure(const PngReadState& state) {
  if (state.truncated) return make_error(ErrorCode::kCorruptData, "PNG truncated: the file ends inside the image data");
  if (state.too_much_data) {
    return make_error(ErrorCode::kLimitExceeded,
                      fmt::format("PNG has more than {} bytes of compressed data after its last row, "
                                  "which would take long to inflate; refused",
                                  kMaxIdatBytesAfterImage));
  }
  return make_error(ErrorCode::kCorruptData, fmt::format("PNG damaged: {}", state.message));
}

}  // namespace

Result<ImageRgba8> decode_png(std::span<const std::uint8_t> bytes, const DecodeLimits& limits) {
  ORFEAS_RETURN_IF_ERROR(check_ihdr_dimensions(bytes, limits));

  PngReadState state;
  state.data = bytes.data();
  state.size = bytes.size();
  PngReader reader(&state);
  if (!reader.valid()) return make_error(ErrorCode::kInternal, "libpng could not create a reader");
  png_structp png = reader.png();
  png_set_read_fn(png, nullptr, read_from_memory);
  // Backstops behind check_ihdr_dimensions; png_set_user_limits takes unsigned 31-bit values.
  const auto max_side = static_cast<png_uint_32>(limits.max_dimension > 0 ? limits.max_dimension : 1);
  png_set_user_limits(png, max_side, max_side);
  png_set_chunk_cache_max(png, kMaxAncillaryChunks);
  png_set_chunk_malloc_max(png, kMaxChunkBytes);
  png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_NEVER, kIgnoredChunks, kIgnoredChunkCount);

  if (!read_png_info(png, reader.info())) return png_failure(state);
  const png_uint_32 width = png_get_image_width(png, reader.info());
  const png_uint_32 height = png_get_image_height(png, reader.info());
  ORFEAS_RETURN_IF_ERROR(check_image_dimensions(width, height, limits, "PNG"));

  if (!set_rgba8_transforms(png, reader.info())) return png_failure(state);
  const std::size_t row_bytes = std::size_t{width} * 4;
  if (png_get_rowbytes(png, reader.info()) != row_bytes) {
    return make_error(ErrorCode::kInternal, "libpng did not convert the PNG to 8-bit RGBA");
  }

  ImageRgba8 image(static_cast<int>(width), static_cast<int>(height));
  std::vector<png_bytep> rows(height);
  auto* base = reinterpret_cast<png_bytep>(image.pixels.data());
  for (png_uint_32 y = 0; y < height; ++y) rows[y] = base + std::size_t{y} * row_bytes;
  state.reading_pixels = true;
  state.interlaced = png_get_interlace_type(png, reader.info()) != PNG_INTERLACE_NONE;
  state.height = height;
  if (!read_png_pixels(png, rows.data())) return png_failure(state);
  return image;
}

}  // namespace orfeas::image
