// `orfeas render`: pictures of meshes, drawn in software (no GPU, no window), as one PNG.
//   orfeas render MESH... -o OUT.png [--views front,side,back] [--image IMAGE]... [--size PX]
// Each mesh is a row of square panels: its input image first when --image gives one (one per
// mesh, in order), then the views. STL is taken as Z-up (as ORFEAS and slicers write it), OBJ and
// PLY as Y-up; the front is the side the picture was taken from.
#pragma once

#include <CLI/CLI.hpp>

namespace orfeas::cli {

void add_render_command(CLI::App& app);
int run_render();

}  // namespace orfeas::cli
