#include "orfeas/image/png_encoder.h"

#include <png.h>

#include <fmt/format.h>

#include <algorithm>
#include <csetjmp>
#include <cstddef>
#include <new>

namespace orfeas::image {
namespace {

// Everything libpng's callbacks touch. Plain data, because a longjmp unwinds the frames that
// write it without running destructors.
struct PngWriteState {
  std::vector<std::uint8_t>* out = nullptr;  // borrowed
  char message[256] = {};
};

PngWriteState& state_of(png_structp png) {
  return *static_cast<PngWriteState*>(png_get_error_ptr(png));
}

[[noreturn]] void on_png_error(png_structp png, png_const_charp message) {
  PngWriteState& state = state_of(png);
  *fmt::format_to_n(state.message, sizeof state.message - 1, "{}", message).out = '\0';
  png_longjmp(png, 1);
}

void on_png_warning(png_structp /*png*/, png_const_charp /*message*/) {}

void append_to_vector(png_structp png, png_bytep data, std::size_t length) {
  std::vector<std::uint8_t>& out = *state_of(png).out;
  bool out_of_memory = false;
  try {
    out.insert(out.end(), data, data + length);
  } catch (const std::bad_alloc&) {
    out_of_memory = true;  // no exception may cross libpng's C frames; its error path longjmps instead
  }
  if (out_of_memory) png_error(png, "out of memory");
}

void flush_nothing(png_structp /*png*/) {}

// The only frame libpng may longjmp into: it holds nothing with a destructor.
bool write_png(png_structp png, png_infop info, int width, int height, bool opaque, png_bytepp rows) {
  if (setjmp(png_jmpbuf(png)) != 0) return false;
  png_set_IHDR(png, info, static_cast<png_uint_32>(width), static_cast<png_uint_32>(height), 8,
               opaque ? PNG_COLOR_TYPE_RGB : PNG_COLOR_TYPE_RGBA, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  png_set_compression_level(png, 9);
  png_write_info(png, info);
  if (opaque) png_set_filler(png, 0, PNG_FILLER_AFTER);  // drops the alpha byte of each RGBA pixel
  png_write_image(png, rows);
  png_write_end(png, nullptr);
  return true;
}

// Owns libpng's write and info structs.
class PngWriter {
 public:
  explicit PngWriter(PngWriteState* state) {  // state: borrowed, must outlive the writer
    png_ = png_create_write_struct(PNG_LIBPNG_VER_STRING, state, on_png_error, on_png_warning);
    if (png_ != nullptr) info_ = png_create_info_struct(png_);
  }
  ~PngWriter() { png_destroy_write_struct(&png_, info_ != nullptr ? &info_ : nullptr); }
  PngWriter(const PngWriter&) = delete;
  PngWriter& operator=(const PngWriter&) = delete;

  [[nodiscard]] bool valid() const { return png_ != nullptr && info_ != nullptr; }
  [[nodiscard]] png_structp png() const { return png_; }
  [[nodiscard]] png_infop info() const { return info_; }

 private:
  png_structp png_ = nullptr;
  png_infop info_ = nullptr;
};

}  // namespace

Result<std::vector<std::uint8_t>> encode_png(const ImageRgba8& image) {
  static_assert(sizeof(Rgba8) == 4, "rows are handed to libpng as RGBA bytes");
  if (image.width <= 0 || image.height <= 0 ||
      image.pixels.size() != static_cast<std::size_t>(image.width) * static_cast<std::size_t>(image.height)) {
    return make_error(ErrorCode::kInvalidArgument, fmt::format("cannot encode a {}x{} image holding {} pixels as PNG",
                                                               image.width, image.height, image.pixels.size()));
  }
  const bool opaque = std::all_of(image.pixels.begin(), image.pixels.end(), [](Rgba8 p) { return p.a == 255; });
  std::vector<std::uint8_t> out;
  PngWriteState state;
  state.out = &out;
  PngWriter writer(&state);
  if (!writer.valid()) return make_error(ErrorCode::kInternal, "libpng could not create a writer");
  png_set_write_fn(writer.png(), nullptr, append_to_vector, flush_nothing);
  // libpng takes non-const rows; it only reads them.
  std::vector<png_bytep> rows(static_cast<std::size_t>(image.height));
  auto* base = reinterpret_cast<png_bytep>(const_cast<Rgba8*>(image.pixels.data()));
  for (std::size_t y = 0; y < rows.size(); ++y) rows[y] = base + y * static_cast<std::size_t>(image.width) * 4;
  if (!write_png(writer.png(), writer.info(), image.width, image.height, opaque, rows.data())) {
    return make_error(ErrorCode::kInternal, fmt::format("PNG encoding failed: {}", state.message));
  }
  return out;
}

}  // namespace orfeas::image
