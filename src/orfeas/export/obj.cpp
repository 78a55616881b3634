#include "orfeas/export/obj.h"

#include <array>
#include <charconv>
#include <cstdint>
#include <iterator>
#include <system_error>

#include <fmt/format.h>

#include "orfeas/export/mesh_check.h"

namespace orfeas::exporter {
namespace {

// Flush the text to the file in pieces of about this size.
constexpr std::size_t kChunkChars = std::size_t{1} << 16;

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

// std::to_chars rather than fmt: fmt 9 has no shortest round-trip presentation in fixed notation
// ("{}" switches to exponents below 1e-4, which not every OBJ reader takes).
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
  fmt::format_to(std::back_inserter(text),
                 "# ORFEAS OBJ: millimetres, Y-up\n# {} vertices, {} triangles\no orfeas_mesh\n", mesh.positions.size(),
                 mesh.triangles.size());

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
    const std::uint64_t a = std::uint64_t{t[0]} + 1;  // OBJ indices are 1-based
    const std::uint64_t b = std::uint64_t{t[1]} + 1;
    const std::uint64_t c = std::uint64_t{t[2]} + 1;
    if (has_normals) {
      fmt::format_to(std::back_inserter(text), "f {0}//{0} {1}//{1} {2}//{2}\n", a, b, c);
    } else {
      fmt::format_to(std::back_inserter(text), "f {} {} {}\n", a, b, c);
    }
    ORFEAS_RETURN_IF_ERROR(flush_if_full(text, out));
  }
  return out.write(text);
}

}  // namespace orfeas::exporter
