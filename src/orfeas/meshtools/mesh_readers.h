// Internal: the per-format parsers behind mesh_io.h's parse_mesh. They check their own counts
// against the limits and the bytes; parse_mesh checks indices, finiteness and the face count of
// every result. Not part of the public API.
#pragma once

#include <cstddef>
#include <span>
#include <string_view>

#include "orfeas/core/status.h"
#include "orfeas/mesh/mesh.h"
#include "orfeas/meshtools/mesh_io.h"

namespace orfeas::meshtools::detail {

[[nodiscard]] Result<mesh::Mesh> parse_obj(std::string_view text, const ReadLimits& limits);
[[nodiscard]] Result<mesh::Mesh> parse_ply(std::span<const std::byte> bytes, const ReadLimits& limits);

}  // namespace orfeas::meshtools::detail
