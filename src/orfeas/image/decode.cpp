#include "orfeas/image/decode.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <system_error>
#include <vector>

#include "orfeas/image/jpeg_decoder.h"
#include "orfeas/image/png_decoder.h"
#include "orfeas/image/webp_decoder.h"

namespace orfeas::image {
namespace {

// Bytes that must stand at `offset`.
struct MagicPart {
  std::size_t offset;
  std::string_view bytes;
};

struct KnownFormat {
  std::string_view description;  // for messages: "a GIF image"
  MagicPart first;
  MagicPart second;  // empty bytes when one part identifies the format
};

constexpr std::string_view kPngMagic{"\x89PNG\r\n\x1a\n", 8};
constexpr std::string_view kJpegMagic{"\xff\xd8\xff", 3};

// Formats people upload by mistake, so the error can say what the file is.
constexpr KnownFormat kUnsupportedFormats[] = {
    {"a GIF image", {0, "GIF87a"}, {}},
    {"a GIF image", {0, "GIF89a"}, {}},
    {"a BMP image", {0, "BM"}, {}},
    {"a TIFF image", {0, {"II*\0", 4}}, {}},
    {"a TIFF image", {0, {"MM\0*", 4}}, {}},
    {"an ICO icon", {0, {"\0\0\1\0", 4}}, {}},
    {"a Photoshop document", {0, "8BPS"}, {}},
    {"an AVIF image", {4, "ftypavif"}, {}},
    {"an AVIF image", {4, "ftypavis"}, {}},
    {"a HEIC image", {4, "ftypheic"}, {}},
    {"a HEIC image", {4, "ftypheix"}, {}},
    {"a HEIF image", {4, "ftypmif1"}, {}},
    {"a JPEG XL image", {0, {"\xff\x0a", 2}}, {}},
    {"a JPEG XL image", {4, "JXL \r\n\x87\n"}, {}},
    {"a JPEG 2000 image", {4, "jP  \r\n\x87\n"}, {}},
    {"a QOI image", {0, "qoif"}, {}},
    {"a PDF document", {0, "%PDF"}, {}},
    {"an SVG or XML document", {0, "<?xml"}, {}},
    {"an SVG document", {0, "<svg"}, {}},
    {"a RIFF file that is not WebP", {0, "RIFF"}, {}},
};

bool matches(std::span<const std::uint8_t> bytes, MagicPart part) {
  if (part.bytes.empty()) return true;
  if (bytes.size() < part.offset + part.bytes.size()) return false;
  return std::memcmp(bytes.data() + part.offset, part.bytes.data(), part.bytes.size()) == 0;
}

// True when `bytes` is too short to hold `part` but agrees with it as far as it goes: a file of a
// format we read that was cut off inside its signature.
bool truncated_inside(std::span<const std::uint8_t> bytes, MagicPart part) {
  if (bytes.size() >= part.offset + part.bytes.size()) return false;
  if (bytes.size() <= part.offset) return true;
  return std::memcmp(bytes.data() + part.offset, part.bytes.data(), bytes.size() - part.offset) == 0;
}

// A file descriptor, closed on destruction.
class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  [[nodiscard]] int get() const { return fd_; }

 private:
  int fd_;
};

std::string errno_text(int error) {
  return std::system_category().message(error);
}

Result<std::vector<std::uint8_t>> read_whole_file(const std::filesystem::path& path, const DecodeLimits& limits) {
  const std::string name = path.string();
  // O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below as not regular.
  const FileDescriptor file(::open(name.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
  if (file.get() < 0) {
    const int error = errno;
    if (error == ENOENT || error == ENOTDIR) return make_error(ErrorCode::kNotFound, "no such file: " + name);
    return make_error(ErrorCode::kIoError, "cannot open " + name + ": " + errno_text(error));
  }
  struct stat info {};
  if (::fstat(file.get(), &info) != 0) {
    return make_error(ErrorCode::kIoError, "cannot stat " + name + ": " + errno_text(errno));
  }
  if (S_ISDIR(info.st_mode))
    return make_error(ErrorCode::kInvalidArgument, name + " is a directory, not an image file");
  if (!S_ISREG(info.st_mode)) return make_error(ErrorCode::kInvalidArgument, name + " is not a regular file");
  const auto size = static_cast<std::uint64_t>(info.st_size);
  if (size > limits.max_file_bytes) {
    return make_error(ErrorCode::kLimitExceeded,
                      fmt::format("{} is {} bytes, more than the limit of {}", name, size, limits.max_file_bytes));
  }

  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(size));
  std::size_t filled = 0;
  while (filled < bytes.size()) {
    const ssize_t got = ::read(file.get(), bytes.data() + filled, bytes.size() - filled);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return make_error(ErrorCode::kIoError, "cannot read " + name + ": " + errno_text(errno));
    if (got == 0) break;  // the file shrank since fstat: decode what is there, the decoder judges it
    filled += static_cast<std::size_t>(got);
  }
  bytes.resize(filled);
  return bytes;
}

}  // namespace

std::string_view image_format_name(ImageFormat format) {
  switch (format) {
    case ImageFormat::kPng:
      return "PNG";
    case ImageFormat::kJpeg:
      return "JPEG";
    case ImageFormat::kWebp:
      return "WebP";
  }
  return "unknown";
}

Result<ImageFormat> sniff_image_format(std::span<const std::uint8_t> bytes) {
  if (bytes.empty()) return make_error(ErrorCode::kCorruptData, "file is empty");

  struct Supported {
    ImageFormat format = ImageFormat::kPng;
    MagicPart first;
    MagicPart second;
  };
  const Supported supported[] = {
      {ImageFormat::kPng, {0, kPngMagic}, {}},
      {ImageFormat::kJpeg, {0, kJpegMagic}, {}},
      {ImageFormat::kWebp, {0, "RIFF"}, {8, "WEBP"}},
  };
  for (const Supported& candidate : supported) {
    if (matches(bytes, candidate.first) && matches(bytes, candidate.second)) return candidate.format;
    // Every supported signature is at most 12 bytes long, so only a tiny file gets here.
    if (truncated_inside(bytes, candidate.first) ||
        (matches(bytes, candidate.first) && truncated_inside(bytes, candidate.second))) {
      return make_error(ErrorCode::kCorruptData,
                        fmt::format("{} truncated: only {} bytes", image_format_name(candidate.format), bytes.size()));
    }
  }
  for (const KnownFormat& known : kUnsupportedFormats) {
    if (matches(bytes, known.first) && matches(bytes, known.second)) {
      return make_error(
          ErrorCode::kUnsupportedFormat,
          fmt::format("the file is {}, which is not supported; use PNG, JPEG or WebP", known.description));
    }
  }
  return make_error(ErrorCode::kUnsupportedFormat, "not a PNG, JPEG or WebP image");
}

Status check_image_dimensions(std::uint64_t width, std::uint64_t height, const DecodeLimits& limits,
                              std::string_view format) {
  if (width == 0 || height == 0) {
    return make_error(ErrorCode::kCorruptData,
                      fmt::format("{} header gives an empty image ({}x{})", format, width, height));
  }
  const auto max_dimension = static_cast<std::uint64_t>(std::max(limits.max_dimension, 0));
  if (width > max_dimension || height > max_dimension) {
    return make_error(ErrorCode::kLimitExceeded, fmt::format("{} is {}x{} pixels; each side may be at most {}", format,
                                                             width, height, max_dimension));
  }
  // Both sides are at most INT_MAX here, so the product cannot overflow 64 bits.
  if (width * height > limits.max_pixels) {
    return make_error(ErrorCode::kLimitExceeded, fmt::format("{} is {}x{} = {} pixels, more than the limit of {}",
                                                             format, width, height, width * height, limits.max_pixels));
  }
  return ok();
}

Result<ImageRgba8> decode_image(std::span<const std::uint8_t> bytes, const DecodeLimits& limits) {
  if (bytes.size() > limits.max_file_bytes) {
    return make_error(ErrorCode::kLimitExceeded,
                      fmt::format("image is {} bytes, more than the limit of {}", bytes.size(), limits.max_file_bytes));
  }
  ORFEAS_ASSIGN_OR_RETURN(const ImageFormat format, sniff_image_format(bytes));
  switch (format) {
    case ImageFormat::kPng:
      return decode_png(bytes, limits);
    case ImageFormat::kJpeg:
      return decode_jpeg(bytes, limits);
    case ImageFormat::kWebp:
      return decode_webp(bytes, limits);
  }
  return make_error(ErrorCode::kInternal, "unhandled image format");
}

Result<ImageRgba8> load_image_file(const std::filesystem::path& path, const DecodeLimits& limits) {
  ORFEAS_ASSIGN_OR_RETURN(const std::vector<std::uint8_t> bytes, read_whole_file(path, limits));
  return with_context(decode_image(bytes, limits), "while decoding " + path.string());
}

}  // namespace orfeas::image
