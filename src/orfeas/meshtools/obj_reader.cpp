// OBJ: `v x y z [w]` and `f a b c ...` with a, b, c each `i`, `i/t`, `i//n` or `i/t/n`; indices
// start at 1, negative ones count back from the last vertex read so far. Everything else (vt, vn,
// g, o, s, usemtl, mtllib, comments) is skipped.
#include <charconv>
#include <cstdint>
#include <limits>
#include <string_view>
#include <system_error>
#include <vector>

#include <fmt/format.h>

#include "orfeas/meshtools/mesh_readers.h"

namespace orfeas::meshtools::detail {
namespace {

bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

std::string_view next_token(std::string_view& line) {
  std::size_t start = 0;
  while (start < line.size() && is_blank(line[start])) ++start;
  std::size_t end = start;
  while (end < line.size() && !is_blank(line[end])) ++end;
  const std::string_view token = line.substr(start, end - start);
  line.remove_prefix(end);
  return token;
}

class ObjParser {
 public:
  ObjParser(std::string_view text, const ReadLimits& limits) : text_(text), limits_(limits) {}

  Result<mesh::Mesh> parse() {
    std::size_t pos = 0;
    while (pos < text_.size()) {
      ++line_number_;
      std::size_t end = text_.find('\n', pos);
      if (end == std::string_view::npos) end = text_.size();
      std::string_view line = text_.substr(pos, end - pos);
      pos = end + 1;
      const std::string_view keyword = next_token(line);
      if (keyword == "v") {
        ORFEAS_RETURN_IF_ERROR(vertex(line));
      } else if (keyword == "f") {
        ORFEAS_RETURN_IF_ERROR(face(line));
      }
    }
    return std::move(mesh_);
  }

 private:
  tl::unexpected<Error> error(std::string_view what) const {
    return make_error(ErrorCode::kCorruptData, fmt::format("OBJ line {}: {}", line_number_, what));
  }

  Status vertex(std::string_view line) {
    if (mesh_.positions.size() >= limits_.max_vertices) {
      return make_error(ErrorCode::kLimitExceeded,
                        fmt::format("OBJ has more than {} vertices (the limit)", limits_.max_vertices));
    }
    Vec3f p;
    for (float* c : {&p.x, &p.y, &p.z}) {
      const std::string_view token = next_token(line);
      const auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), *c);
      if (token.empty() || ec != std::errc() || end != token.data() + token.size()) {
        return error(fmt::format("vertex coordinate '{}' is not a number", token.substr(0, 40)));
      }
    }
    mesh_.positions.push_back(p);
    return {};
  }

  Result<std::uint32_t> index(std::string_view token) {
    const std::string_view number = token.substr(0, token.find('/'));
    std::int64_t value = 0;
    const auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
    if (number.empty() || ec != std::errc() || end != number.data() + number.size() || value == 0) {
      return error(fmt::format("face index '{}' is not a non-zero integer", token.substr(0, 40)));
    }
    const auto count = static_cast<std::int64_t>(mesh_.positions.size());
    // Positive indices may name vertices defined later (parse_mesh checks the range at the end);
    // negative ones are relative to the vertices read so far.
    const std::int64_t zero_based = value > 0 ? value - 1 : count + value;
    if (zero_based < 0 || zero_based > std::numeric_limits<std::uint32_t>::max()) {
      return error(fmt::format("face index {} is out of range ({} vertices so far)", value, count));
    }
    return static_cast<std::uint32_t>(zero_based);
  }

  Status face(std::string_view line) {
    corners_.clear();
    for (std::string_view token = next_token(line); !token.empty(); token = next_token(line)) {
      ORFEAS_ASSIGN_OR_RETURN(const std::uint32_t v, index(token));
      if (corners_.size() > limits_.max_faces + 2) {
        return make_error(ErrorCode::kLimitExceeded,
                          fmt::format("OBJ has more than {} faces (the limit)", limits_.max_faces));
      }
      corners_.push_back(v);
    }
    if (corners_.size() < 3) return error(fmt::format("a face needs 3 vertices, this one has {}", corners_.size()));
    if (mesh_.triangles.size() + (corners_.size() - 2) > limits_.max_faces) {
      return make_error(ErrorCode::kLimitExceeded,
                        fmt::format("OBJ has more than {} faces (the limit)", limits_.max_faces));
    }
    for (std::size_t i = 1; i + 1 < corners_.size(); ++i) {
      mesh_.triangles.push_back({corners_[0], corners_[i], corners_[i + 1]});
    }
    return {};
  }

  std::string_view text_;
  const ReadLimits& limits_;
  std::size_t line_number_ = 0;
  std::vector<std::uint32_t> corners_;
  mesh::Mesh mesh_;
};

}  // namespace

Result<mesh::Mesh> parse_obj(std::string_view text, const ReadLimits& limits) {
  return ObjParser(text, limits).parse();
}

}  // namespace orfeas::meshtools::detail
