#include "orfeas/export/stl_reader.h"

#include <cstddef>
#include <cstdint>
#include <fstream>
#include <system_error>
#include <utility>

#include <fmt/format.h>

#include "orfeas/export/little_endian.h"

namespace orfeas::exporter {
namespace {

constexpr std::uint64_t kHeaderBytes = 80;
constexpr std::uint64_t kPreambleBytes = kHeaderBytes + 4;
constexpr std::uint64_t kTriangleRecordBytes = 50;

Error corrupt(const std::filesystem::path& path, std::string_view what) {
  return Error(ErrorCode::kCorruptData, fmt::format("'{}' is not a binary STL: {}", path.string(), what));
}

}  // namespace

Result<StlMesh> read_stl_binary(const std::filesystem::path& path) {
  std::error_code error;
  const std::uintmax_t file_bytes = std::filesystem::file_size(path, error);
  if (error) {
    return make_error(error == std::errc::no_such_file_or_directory ? ErrorCode::kNotFound : ErrorCode::kIoError,
                      fmt::format("cannot read '{}': {}", path.string(), error.message()));
  }
  if (file_bytes < kPreambleBytes) {
    return tl::unexpected(
        corrupt(path, fmt::format("truncated header ({} bytes, need at least {})", file_bytes, kPreambleBytes)));
  }
  std::ifstream in(path, std::ios::binary);
  std::vector<std::byte> bytes(static_cast<std::size_t>(file_bytes));
  if (!in || !in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()))) {
    return make_error(ErrorCode::kIoError, fmt::format("cannot read '{}'", path.string()));
  }
  const std::uint64_t count = detail::load_le<std::uint32_t>(bytes.data() + kHeaderBytes);
  const std::uint64_t expected = kPreambleBytes + kTriangleRecordBytes * count;
  if (file_bytes != expected) {
    return tl::unexpected(
        corrupt(path, fmt::format("size {} bytes does not match its {} triangles (expected {}{})", file_bytes, count,
                                  expected, file_bytes < expected ? ", truncated" : "")));
  }

  StlMesh stl;
  stl.header.assign(reinterpret_cast<const char*>(bytes.data()), kHeaderBytes);
  stl.triangles.resize(static_cast<std::size_t>(count));
  const std::byte* cursor = bytes.data() + kPreambleBytes;
  for (StlTriangle& triangle : stl.triangles) {
    triangle.normal = detail::load_le_vec3(cursor);
    for (std::size_t v = 0; v < 3; ++v) {
      triangle.vertices[v] = detail::load_le_vec3(cursor + 12 * (v + 1));
    }
    triangle.attribute = detail::load_le<std::uint16_t>(cursor + 48);
    cursor += kTriangleRecordBytes;
  }
  return stl;
}

}  // namespace orfeas::exporter
