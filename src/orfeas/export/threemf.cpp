// The 3MF writer on lib3mf's plain C interface (lib3mf_handle.h). Built only with lib3mf; the twin
// without it is threemf_absent.cpp.
#include "orfeas/export/threemf.h"

#include <Common/NMR_Types.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <exception>
#include <limits>
#include <new>
#include <span>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "orfeas/export/lib3mf_handle.h"
#include "orfeas/export/mesh_check.h"

namespace orfeas::exporter {
namespace {

// The package as lib3mf writes it: appended, and patched where its ZIP writer seeks back. The
// callbacks never report failure to lib3mf (it may throw from a destructor then); a failed
// allocation is remembered and reported after the write.
struct MemoryPackage {
  std::vector<std::byte> bytes;
  std::uint64_t position = 0;
  bool out_of_memory = false;
};

NMR::nfUint32 write_to_memory(NMR::nfByte* data, NMR::nfUint32 count, void* user_data) {
  auto* package = static_cast<MemoryPackage*>(user_data);
  if (package->out_of_memory) return 0;
  try {
    const std::uint64_t end = package->position + count;
    if (end > package->bytes.size()) package->bytes.resize(end);
    std::memcpy(package->bytes.data() + package->position, data, count);
    package->position = end;
  } catch (const std::bad_alloc&) {
    package->out_of_memory = true;
  }
  return 0;
}

NMR::nfUint32 seek_in_memory(NMR::nfUint64 position, void* user_data) {
  static_cast<MemoryPackage*>(user_data)->position = position;  // lib3mf seeks only within what it wrote
  return 0;
}

struct Geometry {
  std::vector<NMR::MODELMESHVERTEX> vertices;
  std::vector<NMR::MODELMESHTRIANGLE> triangles;
  std::vector<NMR::MODELMESH_TRIANGLECOLOR_SRGB> colors;  // one per triangle when the mesh has colours
};

NMR::MODELMESHCOLOR_SRGB opaque(mesh::Rgb8 color) {
  return {color.r, color.g, color.b, 255};  // alpha 0 would mean "no colour" to lib3mf
}

Result<Geometry> to_lib3mf(const mesh::Mesh& mesh) {
  constexpr std::size_t kMaxCount = std::numeric_limits<DWORD>::max();
  if (mesh.positions.size() > kMaxCount || mesh.triangles.size() > kMaxCount) {
    return make_error(ErrorCode::kLimitExceeded,
                      fmt::format("3MF through lib3mf holds at most 2^32-1 vertices and triangles, mesh has {} and {}",
                                  mesh.positions.size(), mesh.triangles.size()));
  }
  Geometry geometry;
  geometry.vertices.reserve(mesh.positions.size());
  for (const Vec3f p : mesh.positions) geometry.vertices.push_back({{p.x, p.y, p.z}});
  const bool has_colors = !mesh.colors.empty();
  geometry.triangles.reserve(mesh.triangles.size());
  if (has_colors) geometry.colors.reserve(mesh.triangles.size());
  for (const mesh::Triangle& t : mesh.triangles) {
    if (t[0] == t[1] || t[1] == t[2] || t[2] == t[0]) continue;
    geometry.triangles.push_back({{t[0], t[1], t[2]}});
    if (has_colors) {
      geometry.colors.push_back({{opaque(mesh.colors[t[0]]), opaque(mesh.colors[t[1]]), opaque(mesh.colors[t[2]])}});
    }
  }
  if (geometry.triangles.empty()) {
    return make_error(ErrorCode::kInvalidArgument, "every triangle names one vertex twice (3MF has no such triangles)");
  }
  return geometry;
}

Status set_colors(NMR::PLib3MFModelMeshObject* object, const mesh::Mesh& mesh, Geometry& geometry) {
  NMR::PLib3MFPropertyHandler* raw_properties = nullptr;
  ORFEAS_RETURN_IF_ERROR(lib3mf_status(NMR::lib3mf_meshobject_createpropertyhandler(object, &raw_properties), object,
                                       "create a property handler"));
  const Lib3mfHandle properties(raw_properties);
  ORFEAS_RETURN_IF_ERROR(
      lib3mf_status(NMR::lib3mf_propertyhandler_setgradientcolorarray(properties.get(), geometry.colors.data()),
                    properties.get(), "set the corner colours"));
  // lib3mf refuses to write triangle properties without an object-level default.
  NMR::PLib3MFDefaultPropertyHandler* raw_default = nullptr;
  ORFEAS_RETURN_IF_ERROR(lib3mf_status(NMR::lib3mf_object_createdefaultpropertyhandler(object, &raw_default), object,
                                       "create a default property handler"));
  const Lib3mfHandle default_properties(raw_default);
  const mesh::Rgb8 first = mesh.colors.front();
  return lib3mf_status(
      NMR::lib3mf_defaultpropertyhandler_setcolorrgb(default_properties.get(), first.r, first.g, first.b),
      default_properties.get(), "set the default colour");
}

Result<std::vector<std::byte>> build_package(const mesh::Mesh& mesh) {
  ORFEAS_ASSIGN_OR_RETURN(Geometry geometry, to_lib3mf(mesh));

  NMR::PLib3MFModel* raw_model = nullptr;
  ORFEAS_RETURN_IF_ERROR(lib3mf_status(NMR::lib3mf_createmodel(&raw_model), nullptr, "create a model"));
  const Lib3mfHandle model(raw_model);
  ORFEAS_RETURN_IF_ERROR(
      lib3mf_status(NMR::lib3mf_model_setunit(model.get(), NMR::MODELUNIT_MILLIMETER), model.get(), "set the unit"));
  ORFEAS_RETURN_IF_ERROR(lib3mf_status(NMR::lib3mf_model_addmetadatautf8(model.get(), "Application", "ORFEAS"),
                                       model.get(), "add metadata"));

  NMR::PLib3MFModelMeshObject* raw_object = nullptr;
  ORFEAS_RETURN_IF_ERROR(
      lib3mf_status(NMR::lib3mf_model_addmeshobject(model.get(), &raw_object), model.get(), "add a mesh"));
  const Lib3mfHandle object(raw_object);
  ORFEAS_RETURN_IF_ERROR(lib3mf_status(
      NMR::lib3mf_meshobject_setgeometry(object.get(), geometry.vertices.data(),
                                         static_cast<DWORD>(geometry.vertices.size()), geometry.triangles.data(),
                                         static_cast<DWORD>(geometry.triangles.size())),
      object.get(), "set the geometry"));
  if (!geometry.colors.empty()) ORFEAS_RETURN_IF_ERROR(set_colors(object.get(), mesh, geometry));

  NMR::PLib3MFModelBuildItem* raw_item = nullptr;
  ORFEAS_RETURN_IF_ERROR(lib3mf_status(NMR::lib3mf_model_addbuilditem(model.get(), object.get(), nullptr, &raw_item),
                                       model.get(), "add a build item"));
  const Lib3mfHandle item(raw_item);

  NMR::PLib3MFModelWriter* raw_writer = nullptr;
  ORFEAS_RETURN_IF_ERROR(lib3mf_status(NMR::lib3mf_model_querywriter(model.get(), "3mf", &raw_writer), model.get(),
                                       "create a 3MF writer"));
  const Lib3mfHandle writer(raw_writer);
  MemoryPackage package;
  // lib3mf takes its callbacks as void*; a function pointer round-trips through it on every
  // platform lib3mf supports.
  ORFEAS_RETURN_IF_ERROR(
      lib3mf_status(NMR::lib3mf_writer_writetocallback(writer.get(), reinterpret_cast<void*>(&write_to_memory),
                                                       reinterpret_cast<void*>(&seek_in_memory), &package),
                    writer.get(), "write the package"));
  if (package.out_of_memory) {
    return make_error(ErrorCode::kOutOfMemory, "out of memory while building the 3MF package");
  }
  return std::move(package.bytes);
}

}  // namespace

bool threemf_available() {
  return true;
}

Status write_3mf(const mesh::Mesh& mesh, AtomicFile& out) {
  ORFEAS_RETURN_IF_ERROR(check_exportable(mesh));
  Result<std::vector<std::byte>> package = make_error(ErrorCode::kInternal, "3MF package not built");
  // Nothing thrown inside lib3mf (or by our allocations around it) may leave this module.
  try {
    package = build_package(mesh);
  } catch (const std::bad_alloc&) {
    return make_error(ErrorCode::kOutOfMemory, "out of memory while building the 3MF package");
  } catch (const std::exception& e) {
    return make_error(ErrorCode::kInternal, fmt::format("lib3mf failed: {}", e.what()));
  } catch (...) {
    return make_error(ErrorCode::kInternal, "lib3mf failed with an unknown exception");
  }
  if (!package) return tl::unexpected(package.error());
  return out.write(std::span<const std::byte>(*package));
}

}  // namespace orfeas::exporter
