#include "orfeas/export/stl_reader.h"

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <string_view>
#include <system_error>
#include <utility>

#include <fmt/format.h>

#include "orfeas/export/little_endian.h"

namespace orfeas::exporter {
namespace {

constexpr std::uint64_t kHeaderBytes = 80;
constexpr std::uint64_t kPreambleBytes = kHeaderBytes + 4;
constexpr std::uint64_t kTriangleRecordBytes = 50;

Error corrupt(std::string_view what) {
  return Error(ErrorCode::kCorruptData, fmt::format("not a binary STL: {}", what));
}

// Whitespace-separated tokens with line numbers, for the ASCII reader.
class Tokens {
 public:
  explicit Tokens(std::string_view text) : text_(text) {}

  // Empty at the end of the text.
  std::string_view next() {
    while (pos_ < text_.size() && is_space(text_[pos_])) {
      if (text_[pos_] == '\n') ++line_;
      ++pos_;
    }
    const std::size_t start = pos_;
    while (pos_ < text_.size() && !is_space(text_[pos_])) ++pos_;
    return text_.substr(start, pos_ - start);
  }
  // The rest of the current line (the solid's name).
  std::string_view rest_of_line() {
    const std::size_t start = pos_;
    while (pos_ < text_.size() && text_[pos_] != '\n') ++pos_;
    return text_.substr(start, pos_ - start);
  }
  [[nodiscard]] std::size_t line() const { return line_; }

 private:
  static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'; }
  std::string_view text_;
  std::size_t pos_ = 0;
  std::size_t line_ = 1;
};

class AsciiParser {
 public:
  AsciiParser(std::string_view text, std::size_t max_triangles) : tokens_(text), max_triangles_(max_triangles) {}

  Result<StlMesh> parse() {
    StlMesh stl;
    ORFEAS_RETURN_IF_ERROR(expect("solid"));
    const std::string_view name = tokens_.rest_of_line();
    stl.header.assign(name.substr(0, std::min<std::size_t>(name.size(), 80)));
    for (;;) {
      const std::string_view word = tokens_.next();
      if (word == "endsolid") break;
      if (word != "facet") return error(fmt::format("expected 'facet' or 'endsolid', found '{}'", shown(word)));
      if (stl.triangles.size() >= max_triangles_) {
        return make_error(ErrorCode::kLimitExceeded,
                          fmt::format("ASCII STL has more than {} triangles (the limit)", max_triangles_));
      }
      StlTriangle triangle;
      ORFEAS_RETURN_IF_ERROR(expect("normal"));
      ORFEAS_ASSIGN_OR_RETURN(triangle.normal, vec3());
      ORFEAS_RETURN_IF_ERROR(expect("outer"));
      ORFEAS_RETURN_IF_ERROR(expect("loop"));
      for (Vec3f& v : triangle.vertices) {
        ORFEAS_RETURN_IF_ERROR(expect("vertex"));
        ORFEAS_ASSIGN_OR_RETURN(v, vec3());
      }
      ORFEAS_RETURN_IF_ERROR(expect("endloop"));
      ORFEAS_RETURN_IF_ERROR(expect("endfacet"));
      stl.triangles.push_back(triangle);
    }
    return stl;
  }

 private:
  static std::string_view shown(std::string_view word) {
    return word.empty() ? std::string_view("end of file") : word.substr(0, std::min<std::size_t>(word.size(), 40));
  }
  tl::unexpected<Error> error(std::string_view what) const {
    return make_error(ErrorCode::kCorruptData, fmt::format("ASCII STL line {}: {}", tokens_.line(), what));
  }
  Status expect(std::string_view keyword) {
    const std::string_view word = tokens_.next();
    if (word != keyword) return error(fmt::format("expected '{}', found '{}'", keyword, shown(word)));
    return {};
  }
  Result<float> number() {
    const std::string_view word = tokens_.next();
    float value = 0.0F;
    const auto [end, ec] = std::from_chars(word.data(), word.data() + word.size(), value);
    if (word.empty() || ec != std::errc() || end != word.data() + word.size()) {
      return error(fmt::format("expected a number, found '{}'", shown(word)));
    }
    return value;
  }
  Result<Vec3f> vec3() {
    Vec3f v;
    ORFEAS_ASSIGN_OR_RETURN(v.x, number());
    ORFEAS_ASSIGN_OR_RETURN(v.y, number());
    ORFEAS_ASSIGN_OR_RETURN(v.z, number());
    return v;
  }

  Tokens tokens_;
  std::size_t max_triangles_;
};

bool starts_with_solid(std::span<const std::byte> bytes) {
  std::size_t i = 0;
  while (i < bytes.size() && (bytes[i] == std::byte{' '} || bytes[i] == std::byte{'\t'})) ++i;
  const std::string_view solid = "solid";
  if (bytes.size() - i < solid.size()) return false;
  return std::string_view(reinterpret_cast<const char*>(bytes.data() + i), solid.size()) == solid;
}

}  // namespace

Result<StlMesh> parse_stl_binary(std::span<const std::byte> bytes) {
  const std::uint64_t file_bytes = bytes.size();
  if (file_bytes < kPreambleBytes) {
    return tl::unexpected(
        corrupt(fmt::format("truncated header ({} bytes, need at least {})", file_bytes, kPreambleBytes)));
  }
  const std::uint64_t count = detail::load_le<std::uint32_t>(bytes.data() + kHeaderBytes);
  const std::uint64_t expected = kPreambleBytes + kTriangleRecordBytes * count;
  if (file_bytes != expected) {
    return tl::unexpected(
        corrupt(fmt::format("size {} bytes does not match its {} triangles (expected {}{})", file_bytes, count,
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

Result<StlMesh> parse_stl_ascii(std::string_view text, std::size_t max_triangles) {
  return AsciiParser(text, max_triangles).parse();
}

Result<StlMesh> parse_stl(std::span<const std::byte> bytes, std::size_t max_triangles) {
  Result<StlMesh> binary = parse_stl_binary(bytes);
  if (binary) {
    if (binary->triangles.size() > max_triangles) {
      return make_error(ErrorCode::kLimitExceeded, fmt::format("binary STL has {} triangles, more than the limit {}",
                                                               binary->triangles.size(), max_triangles));
    }
    return binary;
  }
  if (starts_with_solid(bytes)) {
    return parse_stl_ascii(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()), max_triangles);
  }
  return binary;
}

Result<StlMesh> read_stl_binary(const std::filesystem::path& path) {
  std::error_code error;
  const std::uintmax_t file_bytes = std::filesystem::file_size(path, error);
  if (error) {
    return make_error(error == std::errc::no_such_file_or_directory ? ErrorCode::kNotFound : ErrorCode::kIoError,
                      fmt::format("cannot read '{}': {}", path.string(), error.message()));
  }
  if (file_bytes < kPreambleBytes) {
    return tl::unexpected(
        corrupt(fmt::format("truncated header ({} bytes, need at least {})", file_bytes, kPreambleBytes))
            .with_context(fmt::format("'{}'", path.string())));
  }
  std::ifstream in(path, std::ios::binary);
  std::vector<std::byte> bytes(static_cast<std::size_t>(file_bytes));
  if (!in || !in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()))) {
    return make_error(ErrorCode::kIoError, fmt::format("cannot read '{}'", path.string()));
  }
  Result<StlMesh> stl = parse_stl_binary(bytes);
  if (!stl) return tl::unexpected(stl.error().with_context(fmt::format("'{}'", path.string())));
  return stl;
}

}  // namespace orfeas::exporter
