// `orfeas mesh`: tools for meshes that users bring (STL, OBJ, PLY), in the file's own units.
//   orfeas mesh analyze FILE [--json]            watertight, edges, components, volume, self-intersections
//   orfeas mesh repair FILE -o OUT               weld, drop bad faces, fill holes, orient, drop specks
//   orfeas mesh simplify FILE --faces N -o OUT   decimate to N faces, keeping a closed surface closed
#pragma once

#include <CLI/CLI.hpp>

namespace orfeas::cli {

void add_mesh_command(CLI::App& app);
int run_mesh();

}  // namespace orfeas::cli
