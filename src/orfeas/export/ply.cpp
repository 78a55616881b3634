#include "orfeas/export/ply.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <limits>
#include <string>

#include <fmt/format.h>

#include "orfeas/export/little_endian.h"
#include "orfeas/export/mesh_check.h"

namespace orfeas::exporter {
namespace {

// Largest vertex record: xyz + normal (float32) + rgb (uint8).
constexpr std::size_t kMaxVertexRecordBytes = 12 + 12 + 3;
constexpr std::size_t kFaceRecordBytes = 1 + 3 * 4;

std::string ply_header(const mesh::Mesh& mesh) {
  std::string header = fmt::format(
      "ply\n"
      "format binary_little_endian 1.0\n"
      "comment ORFEAS PLY: millimetres, Y-up\n"
      "element vertex {}\n"
      "property float x\n"
      "property float y\n"
      "property float z\n",
      mesh.positions.size());
  if (!mesh.normals.empty()) {
    header += "property float nx\nproperty float ny\nproperty float nz\n";
  }
  if (!mesh.colors.empty()) {
    header += "property uchar red\nproperty uchar green\nproperty uchar blue\n";
  }
  fmt::format_to(std::back_inserter(header),
                 "element face {}\n"
                 "property list uchar int vertex_indices\n"
                 "end_header\n",
                 mesh.triangles.size());
  return header;
}

}  // namespace

Status write_ply(const mesh::Mesh& mesh, AtomicFile& out) {
  ORFEAS_RETURN_IF_ERROR(check_exportable(mesh));
  if (mesh.positions.size() > static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max())) {
    return make_error(
        ErrorCode::kLimitExceeded,
        fmt::format("PLY int indices address at most 2^31-1 vertices, mesh has {}", mesh.positions.size()));
  }
  ORFEAS_RETURN_IF_ERROR(out.write(ply_header(mesh)));

  const bool has_normals = !mesh.normals.empty();
  const bool has_colors = !mesh.colors.empty();
  std::array<std::byte, kMaxVertexRecordBytes> vertex{};
  for (std::size_t i = 0; i < mesh.positions.size(); ++i) {
    std::byte* cursor = detail::store_le(vertex.data(), mesh.positions[i]);
    if (has_normals) cursor = detail::store_le(cursor, mesh.normals[i]);
    if (has_colors) {
      cursor = detail::store_le(cursor, mesh.colors[i].r);
      cursor = detail::store_le(cursor, mesh.colors[i].g);
      cursor = detail::store_le(cursor, mesh.colors[i].b);
    }
    ORFEAS_RETURN_IF_ERROR(out.write(std::span(vertex.data(), cursor)));
  }
  std::array<std::byte, kFaceRecordBytes> face{};
  face[0] = std::byte{3};
  for (const mesh::Triangle& t : mesh.triangles) {
    std::byte* cursor = face.data() + 1;
    for (const std::uint32_t v : t) cursor = detail::store_le(cursor, static_cast<std::int32_t>(v));
    ORFEAS_RETURN_IF_ERROR(out.write(face));
  }
  return ok();
}

}  // namespace orfeas::exporter
