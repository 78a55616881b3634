#include "orfeas/meshtools/mesh_io.h"

#include <cmath>
#include <fstream>
#include <string>
#include <system_error>
#include <vector>

#include <fmt/format.h>

#include "orfeas/export/stl_reader.h"
#include "orfeas/meshtools/mesh_readers.h"
#include "orfeas/meshtools/weld.h"

namespace orfeas::meshtools {
namespace {

Result<mesh::Mesh> mesh_from_stl(std::span<const std::byte> bytes, const ReadLimits& limits) {
  ORFEAS_ASSIGN_OR_RETURN(const exporter::StlMesh stl, exporter::parse_stl(bytes, limits.max_faces));
  mesh::Mesh mesh;
  mesh.positions.reserve(stl.triangles.size() * 3);
  mesh.triangles.reserve(stl.triangles.size());
  for (const exporter::StlTriangle& t : stl.triangles) {
    const auto first = static_cast<std::uint32_t>(mesh.positions.size());
    for (const Vec3f& v : t.vertices) mesh.positions.push_back(v);
    mesh.triangles.push_back({first, first + 1, first + 2});
  }
  // Non-finite positions are rejected before welding, which compares bit patterns.
  for (std::size_t i = 0; i < mesh.positions.size(); ++i) {
    const Vec3f p = mesh.positions[i];
    if (!std::isfinite(p.x) || !std::isfinite(p.y) || !std::isfinite(p.z)) {
      return make_error(ErrorCode::kCorruptData,
                        fmt::format("triangle {} has a coordinate that is not a finite number", i / 3));
    }
  }
  ORFEAS_RETURN_IF_ERROR(weld_vertices(mesh, 0.0));
  return mesh;
}

Status validate(const mesh::Mesh& mesh, const ReadLimits& limits) {
  if (mesh.triangles.empty()) return make_error(ErrorCode::kCorruptData, "the file holds no faces");
  if (mesh.triangles.size() > limits.max_faces) {
    return make_error(ErrorCode::kLimitExceeded,
                      fmt::format("{} faces, more than the limit {}", mesh.triangles.size(), limits.max_faces));
  }
  if (mesh.positions.size() > limits.max_vertices) {
    return make_error(ErrorCode::kLimitExceeded,
                      fmt::format("{} vertices, more than the limit {}", mesh.positions.size(), limits.max_vertices));
  }
  for (std::size_t i = 0; i < mesh.positions.size(); ++i) {
    const Vec3f p = mesh.positions[i];
    if (!std::isfinite(p.x) || !std::isfinite(p.y) || !std::isfinite(p.z)) {
      return make_error(ErrorCode::kCorruptData, fmt::format("vertex {} is not a finite number", i));
    }
  }
  const Status indices = mesh::check_indices(mesh);
  if (!indices) return make_error(ErrorCode::kCorruptData, indices.error().message());
  return {};
}

}  // namespace

Result<exporter::Format> mesh_format_from_path(const std::filesystem::path& path) {
  const std::string extension = path.extension().string();
  if (extension.size() > 1) {
    const Result<exporter::Format> format = exporter::parse_format(std::string_view(extension).substr(1));
    if (format && *format != exporter::Format::kGlb && *format != exporter::Format::k3mf) return format;
  }
  return make_error(ErrorCode::kUnsupportedFormat,
                    fmt::format("cannot read '{}' meshes (expected .stl, .obj or .ply)", extension));
}

Result<mesh::Mesh> parse_mesh(std::span<const std::byte> bytes, exporter::Format format, const ReadLimits& limits) {
  if (bytes.size() > limits.max_file_bytes) {
    return make_error(ErrorCode::kLimitExceeded,
                      fmt::format("{} bytes, more than the limit {}", bytes.size(), limits.max_file_bytes));
  }
  Result<mesh::Mesh> mesh = make_error(ErrorCode::kInternal, "unhandled mesh format");
  switch (format) {
    case exporter::Format::kStl:
      mesh = mesh_from_stl(bytes, limits);
      break;
    case exporter::Format::kObj:
      mesh = detail::parse_obj(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()), limits);
      break;
    case exporter::Format::kPly:
      mesh = detail::parse_ply(bytes, limits);
      break;
    case exporter::Format::kGlb:
      mesh = make_error(ErrorCode::kUnsupportedFormat, "GLB files are not read (expected STL, OBJ or PLY)");
      break;
    case exporter::Format::k3mf:
      mesh = make_error(ErrorCode::kUnsupportedFormat, "3MF files are not read (expected STL, OBJ or PLY)");
      break;
  }
  if (!mesh) return mesh;
  ORFEAS_RETURN_IF_ERROR(validate(*mesh, limits));
  return mesh;
}

Result<mesh::Mesh> read_mesh(const std::filesystem::path& path, const ReadLimits& limits) {
  const std::string context = fmt::format("while reading '{}'", path.string());
  ORFEAS_ASSIGN_OR_RETURN_CTX(const exporter::Format format, mesh_format_from_path(path), context);
  std::error_code error;
  const std::uintmax_t file_bytes = std::filesystem::file_size(path, error);
  if (error) {
    return make_error(error == std::errc::no_such_file_or_directory ? ErrorCode::kNotFound : ErrorCode::kIoError,
                      fmt::format("{}: {}", context, error.message()));
  }
  if (file_bytes > limits.max_file_bytes) {
    return make_error(ErrorCode::kLimitExceeded,
                      fmt::format("{}: {} bytes, more than the limit {}", context, file_bytes, limits.max_file_bytes));
  }
  std::ifstream in(path, std::ios::binary);
  std::vector<std::byte> bytes(static_cast<std::size_t>(file_bytes));
  if (!in || !in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()))) {
    return make_error(ErrorCode::kIoError, fmt::format("{}: cannot read the file", context));
  }
  return with_context(parse_mesh(bytes, format, limits), context);
}

}  // namespace orfeas::meshtools
