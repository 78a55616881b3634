// PLY: the header (`ply`, `format ascii|binary_little_endian|binary_big_endian 1.0`, `element`,
// `property`, `property list`, `comment`, `obj_info`, `end_header`), then the elements in order.
// Of `vertex` x, y, z are kept, and red, green, blue when all three are there (uchar as they are,
// float or double as 0–1 scaled to 0–255); of `face` the first list property (vertex_indices or
// vertex_index); every other element and property is read past.
#include <algorithm>
#include <array>
#include <bit>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <fmt/format.h>

#include "orfeas/meshtools/mesh_readers.h"

namespace orfeas::meshtools::detail {
namespace {

enum class Encoding { kAscii, kBinaryLittle, kBinaryBig };
enum class Scalar { kInt8, kUint8, kInt16, kUint16, kInt32, kUint32, kFloat32, kFloat64 };

std::optional<Scalar> scalar_from_name(std::string_view name) {
  if (name == "char" || name == "int8") return Scalar::kInt8;
  if (name == "uchar" || name == "uint8") return Scalar::kUint8;
  if (name == "short" || name == "int16") return Scalar::kInt16;
  if (name == "ushort" || name == "uint16") return Scalar::kUint16;
  if (name == "int" || name == "int32") return Scalar::kInt32;
  if (name == "uint" || name == "uint32") return Scalar::kUint32;
  if (name == "float" || name == "float32") return Scalar::kFloat32;
  if (name == "double" || name == "float64") return Scalar::kFloat64;
  return std::nullopt;
}

std::size_t scalar_bytes(Scalar s) {
  switch (s) {
    case Scalar::kInt8:
    case Scalar::kUint8:
      return 1;
    case Scalar::kInt16:
    case Scalar::kUint16:
      return 2;
    case Scalar::kInt32:
    case Scalar::kUint32:
    case Scalar::kFloat32:
      return 4;
    case Scalar::kFloat64:
      return 8;
  }
  return 1;
}

bool is_integer(Scalar s) {
  return s != Scalar::kFloat32 && s != Scalar::kFloat64;
}

struct Property {
  std::string name;
  Scalar type = Scalar::kFloat32;
  bool is_list = false;
  Scalar count_type = Scalar::kUint8;  // lists only
};

struct Element {
  std::string name;
  std::uint64_t count = 0;
  std::vector<Property> properties;

  // The fewest bytes (binary) or tokens (ASCII) one instance can take: a list at least its count.
  [[nodiscard]] std::uint64_t min_units(Encoding encoding) const {
    std::uint64_t units = 0;
    for (const Property& p : properties) {
      const Scalar first = p.is_list ? p.count_type : p.type;
      units += encoding == Encoding::kAscii ? 1 : scalar_bytes(first);
    }
    return units;
  }
};

class PlyParser {
 public:
  PlyParser(std::span<const std::byte> bytes, const ReadLimits& limits) : bytes_(bytes), limits_(limits) {}

  Result<mesh::Mesh> parse() {
    ORFEAS_RETURN_IF_ERROR(parse_header());
    for (const Element& element : elements_) {
      if (element.name == "vertex") {
        mesh_.positions.reserve(static_cast<std::size_t>(element.count));
        has_colors_ = std::ranges::all_of(std::array{"red", "green", "blue"}, [&](std::string_view channel) {
          return std::ranges::any_of(element.properties,
                                     [&](const Property& p) { return p.name == channel && !p.is_list; });
        });
        if (has_colors_) mesh_.colors.reserve(static_cast<std::size_t>(element.count));
      }
      for (std::uint64_t i = 0; i < element.count; ++i) {
        ORFEAS_RETURN_IF_ERROR(read_instance(element, i));
      }
    }
    return std::move(mesh_);
  }

 private:
  static tl::unexpected<Error> corrupt(std::string_view what) {
    return make_error(ErrorCode::kCorruptData, fmt::format("PLY: {}", what));
  }

  // Header lines up to and including `end_header`; the body starts after its newline.
  Status parse_header() {
    const std::string_view text(reinterpret_cast<const char*>(bytes_.data()), bytes_.size());
    const std::size_t end = text.find("end_header");
    if (text.substr(0, 3) != "ply") return corrupt("the file does not start with 'ply'");
    if (end == std::string_view::npos || end > 64 * 1024) return corrupt("no 'end_header' in the first 64 KiB");
    std::size_t body = text.find('\n', end);
    if (body == std::string_view::npos) return corrupt("truncated after 'end_header'");
    pos_ = body + 1;

    std::size_t line_start = 0;
    bool have_format = false;
    while (line_start < end) {
      std::size_t line_end = text.find('\n', line_start);
      std::string_view line = text.substr(line_start, line_end - line_start);
      line_start = line_end + 1;
      std::vector<std::string_view> words;
      for (std::size_t i = 0; i < line.size();) {
        while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
        const std::size_t start = i;
        while (i < line.size() && line[i] != ' ' && line[i] != '\t' && line[i] != '\r') ++i;
        if (i > start) words.push_back(line.substr(start, i - start));
      }
      if (words.empty() || words[0] == "ply" || words[0] == "comment" || words[0] == "obj_info") continue;
      if (words[0] == "format" && words.size() >= 2) {
        if (words[1] == "ascii") {
          encoding_ = Encoding::kAscii;
        } else if (words[1] == "binary_little_endian") {
          encoding_ = Encoding::kBinaryLittle;
        } else if (words[1] == "binary_big_endian") {
          encoding_ = Encoding::kBinaryBig;
        } else {
          return make_error(ErrorCode::kUnsupportedFormat, fmt::format("PLY format '{}' is not supported", words[1]));
        }
        have_format = true;
      } else if (words[0] == "element" && words.size() == 3) {
        std::uint64_t count = 0;
        const auto [ptr, ec] = std::from_chars(words[2].data(), words[2].data() + words[2].size(), count);
        if (ec != std::errc() || ptr != words[2].data() + words[2].size()) {
          return corrupt(fmt::format("element count '{}' is not a number", words[2].substr(0, 40)));
        }
        elements_.push_back({std::string(words[1]), count, {}});
      } else if (words[0] == "property" && !elements_.empty()) {
        Property property;
        if (words.size() == 5 && words[1] == "list") {
          const auto count_type = scalar_from_name(words[2]);
          const auto type = scalar_from_name(words[3]);
          if (!count_type || !type || !is_integer(*count_type)) return corrupt("bad list property types");
          property = {std::string(words[4]), *type, true, *count_type};
        } else if (words.size() == 3) {
          const auto type = scalar_from_name(words[1]);
          if (!type) return corrupt(fmt::format("unknown property type '{}'", words[1].substr(0, 40)));
          property = {std::string(words[2]), *type, false, Scalar::kUint8};
        } else {
          return corrupt("malformed property line");
        }
        elements_.back().properties.push_back(property);
      } else {
        return corrupt(fmt::format("unexpected header line '{}'", line.substr(0, 60)));
      }
    }
    if (!have_format) return corrupt("no 'format' line");
    return check_counts();
  }

  // Counts must fit the limits and the bytes that follow before anything is allocated.
  Status check_counts() {
    const std::uint64_t remaining = bytes_.size() - pos_;
    std::uint64_t needed = 0;
    bool have_vertex = false;
    bool have_face = false;
    for (const Element& element : elements_) {
      if (element.name == "vertex") {
        have_vertex = true;
        if (element.count > limits_.max_vertices) {
          return make_error(ErrorCode::kLimitExceeded, fmt::format("PLY claims {} vertices, more than the limit {}",
                                                                   element.count, limits_.max_vertices));
        }
        for (const char* axis : {"x", "y", "z"}) {
          const bool found = std::any_of(element.properties.begin(), element.properties.end(),
                                         [&](const Property& p) { return p.name == axis && !p.is_list; });
          if (!found) return corrupt(fmt::format("vertex element has no '{}' property", axis));
        }
      } else if (element.name == "face") {
        have_face = true;
        if (element.count > limits_.max_faces) {
          return make_error(ErrorCode::kLimitExceeded, fmt::format("PLY claims {} faces, more than the limit {}",
                                                                   element.count, limits_.max_faces));
        }
        if (std::none_of(element.properties.begin(), element.properties.end(),
                         [](const Property& p) { return p.is_list; })) {
          return corrupt("face element has no index list");
        }
      }
    }
    if (!have_vertex || !have_face) return corrupt("needs a 'vertex' and a 'face' element");
    // Limits first (a claim of 2 billion faces is over the limit whatever follows), then the bytes.
    for (const Element& element : elements_) {
      const std::uint64_t units = std::max<std::uint64_t>(element.min_units(encoding_), 1);
      if (element.count > remaining / units) {
        return corrupt(fmt::format("element '{}' claims {} entries but only {} bytes follow (truncated or lying)",
                                   element.name.substr(0, 40), element.count, remaining));
      }
      needed += element.count * units;
      if (needed > remaining) return corrupt("the elements claimed do not fit in the file (truncated or lying)");
    }
    return {};
  }

  Result<double> read_scalar(Scalar type) {
    if (encoding_ == Encoding::kAscii) {
      const std::string_view text(reinterpret_cast<const char*>(bytes_.data()), bytes_.size());
      while (pos_ < text.size() && std::isspace(static_cast<unsigned char>(text[pos_]))) ++pos_;
      const std::size_t start = pos_;
      while (pos_ < text.size() && !std::isspace(static_cast<unsigned char>(text[pos_]))) ++pos_;
      const std::string_view token = text.substr(start, pos_ - start);
      if (token.empty()) return corrupt("truncated body");
      double value = 0.0;
      const auto [ptr, ec] = std::from_chars(token.data(), token.data() + token.size(), value);
      if (ec != std::errc() || ptr != token.data() + token.size()) {
        return corrupt(fmt::format("'{}' is not a number", token.substr(0, 40)));
      }
      return value;
    }
    const std::size_t size = scalar_bytes(type);
    if (bytes_.size() - pos_ < size) return corrupt("truncated body");
    std::array<std::byte, 8> raw{};
    std::memcpy(raw.data(), bytes_.data() + pos_, size);
    pos_ += size;
    if ((encoding_ == Encoding::kBinaryBig) == (std::endian::native == std::endian::little)) {
      std::reverse(raw.begin(), raw.begin() + static_cast<std::ptrdiff_t>(size));
    }
    const auto load = [&raw]<class T>(T) {
      T value;
      std::memcpy(&value, raw.data(), sizeof(T));
      return static_cast<double>(value);
    };
    switch (type) {
      case Scalar::kInt8:
        return load(std::int8_t{});
      case Scalar::kUint8:
        return load(std::uint8_t{});
      case Scalar::kInt16:
        return load(std::int16_t{});
      case Scalar::kUint16:
        return load(std::uint16_t{});
      case Scalar::kInt32:
        return load(std::int32_t{});
      case Scalar::kUint32:
        return load(std::uint32_t{});
      case Scalar::kFloat32:
        return load(float{});
      case Scalar::kFloat64:
        return load(double{});
    }
    return 0.0;
  }

  Status read_instance(const Element& element, std::uint64_t number) {
    const bool is_vertex = element.name == "vertex";
    const bool is_face = element.name == "face";
    bool face_read = false;
    Vec3f p;
    mesh::Rgb8 colour;
    for (const Property& property : element.properties) {
      if (!property.is_list) {
        ORFEAS_ASSIGN_OR_RETURN(const double value, read_scalar(property.type));
        if (is_vertex) {
          if (property.name == "x") p.x = static_cast<float>(value);
          if (property.name == "y") p.y = static_cast<float>(value);
          if (property.name == "z") p.z = static_cast<float>(value);
          if (property.name == "red") colour.r = channel_value(value, property.type);
          if (property.name == "green") colour.g = channel_value(value, property.type);
          if (property.name == "blue") colour.b = channel_value(value, property.type);
        }
        continue;
      }
      ORFEAS_ASSIGN_OR_RETURN(const double count, read_scalar(property.count_type));
      if (!(count >= 0.0) || count != std::floor(count) || count > static_cast<double>(bytes_.size() - pos_)) {
        return corrupt(fmt::format("{} {} has a list length {} that does not fit the file", element.name.substr(0, 40),
                                   number, count));
      }
      const bool keep = is_face && !face_read;
      face_read = face_read || is_face;
      if (keep) corners_.clear();
      for (std::uint64_t k = 0; k < static_cast<std::uint64_t>(count); ++k) {
        ORFEAS_ASSIGN_OR_RETURN(const double value, read_scalar(property.type));
        if (!keep) continue;
        if (!(value >= 0.0) || value > std::numeric_limits<std::uint32_t>::max() || value != std::floor(value)) {
          return corrupt(fmt::format("face {} has an invalid vertex index {}", number, value));
        }
        corners_.push_back(static_cast<std::uint32_t>(value));
      }
      if (keep) {
        if (corners_.size() < 3) {
          return corrupt(fmt::format("face {} has {} vertices, needs at least 3", number, corners_.size()));
        }
        if (mesh_.triangles.size() + (corners_.size() - 2) > limits_.max_faces) {
          return make_error(ErrorCode::kLimitExceeded,
                            fmt::format("PLY has more than {} triangles (the limit)", limits_.max_faces));
        }
        for (std::size_t i = 1; i + 1 < corners_.size(); ++i) {
          mesh_.triangles.push_back({corners_[0], corners_[i], corners_[i + 1]});
        }
      }
    }
    if (is_vertex) mesh_.positions.push_back(p);
    if (is_vertex && has_colors_) mesh_.colors.push_back(colour);
    return {};
  }

  // A colour channel: integers are 0–255 already, floating point is 0–1; out of range is clamped
  // (NaN gives 0).
  static std::uint8_t channel_value(double value, Scalar type) {
    const double scaled = is_integer(type) ? value : value * 255.0;
    return static_cast<std::uint8_t>(std::lround(std::clamp(std::isnan(scaled) ? 0.0 : scaled, 0.0, 255.0)));
  }

  std::span<const std::byte> bytes_;
  const ReadLimits& limits_;
  std::size_t pos_ = 0;
  Encoding encoding_ = Encoding::kAscii;
  std::vector<Element> elements_;
  std::vector<std::uint32_t> corners_;
  bool has_colors_ = false;  // the vertex element has red, green and blue
  mesh::Mesh mesh_;
};

}  // namespace

Result<mesh::Mesh> parse_ply(std::span<const std::byte> bytes, const ReadLimits& limits) {
  return PlyParser(bytes, limits).parse();
}

}  // namespace orfeas::meshtools::detail
