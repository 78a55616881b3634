// glTF 2.0 binary (.glb) writer.
//
// One buffer, one mesh with one triangle primitive, one node, one scene. Attributes:
//   POSITION  FLOAT VEC3 with min/max (metres once placed: glTF's unit is the metre, +Y up);
//   NORMAL    FLOAT VEC3, when the mesh has normals — renormalised, and a zero normal replaced by
//             the area-weighted normal of its triangles, because the validator requires unit length;
//   COLOR_0   FLOAT VEC3, when the mesh has colours — glTF vertex colours are linear, so the
//             mesh's sRGB bytes go through srgb_to_linear();
//   indices   UNSIGNED_SHORT when every index fits (< 65535, the restart value), else
//             UNSIGNED_INT.
// A single default material (white, non-metallic, rough, doubleSided false) multiplies the
// vertex colours. asset.generator is "ORFEAS". The JSON chunk is padded with spaces and the BIN
// chunk with zeros to 4 bytes; every bufferView starts 4-byte aligned. The output passes the
// Khronos glTF-Validator with no errors and no warnings (tests run it).
//
// Positions are written as given: call place_mesh() (or export_mesh()) first. The caller owns
// `out` and commits it. Thread-safety: no shared state.
#pragma once

#include <cstdint>

#include "orfeas/core/atomic_file.h"
#include "orfeas/core/status.h"
#include "orfeas/mesh/mesh.h"

namespace orfeas::exporter {

inline constexpr std::uint32_t kGlbMagic = 0x46546C67;  // "glTF"
inline constexpr std::uint32_t kGlbVersion = 2;
inline constexpr std::uint32_t kGlbChunkJson = 0x4E4F534A;  // "JSON"
inline constexpr std::uint32_t kGlbChunkBin = 0x004E4942;   // "BIN\0"

// kInvalidArgument for a mesh failing check_exportable(); kLimitExceeded when the file would
// pass 4 GiB (GLB lengths are uint32); kIoError from `out`.
[[nodiscard]] Status write_glb(const mesh::Mesh& mesh, AtomicFile& out);

// The sRGB electro-optical transfer function (IEC 61966-2-1) of an 8-bit value, in [0, 1].
[[nodiscard]] float srgb_to_linear(std::uint8_t srgb);

}  // namespace orfeas::exporter
