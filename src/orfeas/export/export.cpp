#include "orfeas/export/export.h"

#include <cmath>
#include <string>

#include <fmt/format.h>

#include "orfeas/core/atomic_file.h"
#include "orfeas/export/glb.h"
#include "orfeas/export/mesh_check.h"
#include "orfeas/export/obj.h"
#include "orfeas/export/placement.h"
#include "orfeas/export/ply.h"
#include "orfeas/export/stl.h"
#include "orfeas/export/threemf.h"

namespace orfeas::exporter {
namespace {

Status write_format(const mesh::Mesh& placed, Format format, AtomicFile& out) {
  switch (format) {
    case Format::kStl:
      return write_stl(placed, out);
    case Format::kGlb:
      return write_glb(placed, out);
    case Format::kObj:
      return write_obj(placed, out);
    case Format::kPly:
      return write_ply(placed, out);
    case Format::k3mf:
      return write_3mf(placed, out);
  }
  return make_error(ErrorCode::kInternal, "unhandled export format");
}

Status export_placed(const mesh::Mesh& mesh, const std::filesystem::path& path, Format format,
                     const ExportOptions& options) {
  if (!std::isfinite(options.size_mm) || options.size_mm <= 0.0F) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("size_mm must be finite and > 0, got {}", options.size_mm));
  }
  // Checked before placement so messages name the caller's indices, and before the temporary
  // file exists so a bad mesh never touches the disk.
  ORFEAS_RETURN_IF_ERROR(check_exportable(mesh));
  const Placement placement =
      options.keep_coordinates ? Placement{Frame::kUnchanged, 1.0F} : placement_for(format, options.size_mm);
  ORFEAS_ASSIGN_OR_RETURN(const mesh::Mesh placed, place_mesh(mesh, placement));
  ORFEAS_ASSIGN_OR_RETURN(AtomicFile out, AtomicFile::create(path));
  ORFEAS_RETURN_IF_ERROR(write_format(placed, format, out));
  return out.commit();
}

}  // namespace

Status export_mesh(const mesh::Mesh& mesh, const std::filesystem::path& path, Format format,
                   const ExportOptions& options) {
  return with_context(export_placed(mesh, path, format, options),
                      fmt::format("while exporting '{}' as {}", path.string(), format_name(format)));
}

Status export_mesh(const mesh::Mesh& mesh, const std::filesystem::path& path, const ExportOptions& options) {
  ORFEAS_ASSIGN_OR_RETURN_CTX(const Format format, format_from_path(path),
                              fmt::format("while exporting '{}'", path.string()));
  return export_mesh(mesh, path, format, options);
}

}  // namespace orfeas::exporter
