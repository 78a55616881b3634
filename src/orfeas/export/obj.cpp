#include "orfeas/export/obj.h"

#include <array>
#include <charconv>
#include <cstdint>
#include <system_error>

#include "orfeas/export/mesh_check.h"

namespace orfeas::exporter {
namespace {

// Flush the text to the file in pieces of about this size.
constexpr std::size_t kChunkChars = std::size_t{1} << 16;

void append_integer(std::string& text, std::uint64_t value) {
  std::array<char, 24> digits{};
  const auto [end, error] = std::to_chars(digits.data(), digits.data() + digits.size(), value);
  text.append(digits.data(), end);
}

void append_vec3(std::string& text, std::string_view tag, Vec3f v) {
  text.append(tag);
  for (const float component : {v.x, v.y, v.z}) {
    text.push_back(' ');
    append_decimal(text, component);
  }
}

Status flush_if_full(std::string& text, AtomicFile& out) {
  if (text.size() < kChunkChars) return ok();
  ORFEAS_RETURN_IF_ERROR(out.write(text));
  text.clear();
  return ok();
}

}  // namespace

void append_decimal(std::string& text, float value) {
  // Fixed notation of the smallest subnormal float needs ~50 characters; 64 is ample.
  std::array<char, 64> digits{};
  const auto [end, error] =
      std::to_chars(digits.data(), digits.data() + digits.size(), value, std::chars_format::fixed);
  if (error != std::errc{}) {
    text.append("0");  // unreachable for finite floats, which check_exportable() guarantees
    return;
  }
  text.append(digits.data(), end);
}

Status write_obj(const mesh::Mesh& mesh, AtomicFile& out) {
  ORFEAS_RETURN_IF_ERROR(check_exportable(mesh));
  const bool has_normals = !mesh.normals.empty();
  const bool has_colors = !mesh.colors.empty();
  std::string text;
  text.reserve(kChunkChars + 256);
  text.append("# ORFEAS OBJ: millimetres, Y-up\n# ");
  append_integer(text, mesh.positions.size());
  text.append(" vertices, ");
  append_integer(text, mesh.triangles.size());
  text.append(" triangles\no orfeas_mesh\n");

  for (std::size_t i = 0; i < mesh.positions.size(); ++i) {
    append_vec3(text, "v", mesh.positions[i]);
    if (has_colors) {
      const mesh::Rgb8 c = mesh.colors[i];
      for (const std::uint8_t channel : {c.r, c.g, c.b}) {
        text.push_back(' ');
        append_decimal(text, static_cast<float>(channel) / 255.0F);
      }
    }
    text.push_back('\n');
    ORFEAS_RETURN_IF_ERROR(flush_if_full(text, out));
  }
  for (const Vec3f n : mesh.normals) {
    append_vec3(text, "vn", n);
    text.push_back('\n');
    ORFEAS_RETURN_IF_ERROR(flush_if_full(text, out));
  }
  for (const mesh::Triangle& t : mesh.triangles) {
    text.push_back('f');
    for (const std::uint32_t v : t) {
      const std::uint64_t one_based = std::uint64_t{v} + 1;
      text.push_back(' ');
      append_integer(text, one_based);
      if (has_normals) {
        text.append("//");
        append_integer(text, one_based);
      }
    }
    text.push_back('\n');
    ORFEAS_RETURN_IF_ERROR(flush_if_full(text, out));
  }
  return out.write(text);
}

}  // namespace orfeas::exporter
