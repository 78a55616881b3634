// orfeas: the command-line front end. Each subcommand lives in its own *_command.cpp.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>
#include <new>

#include "generate_command.h"
#include "gpu_command.h"
#include "mesh_command.h"
#include "profile_command.h"
#include "render_command.h"
#include "serve_command.h"

namespace {

int run(int argc, char** argv) {
  CLI::App app{"ORFEAS: one image in, a 3D mesh out (STL, GLB, OBJ, PLY)", "orfeas"};
  app.set_version_flag("--version", "orfeas 0.1.0");
  app.require_subcommand(1);
  orfeas::cli::add_generate_command(app);
  orfeas::cli::add_gpu_command(app);
  orfeas::cli::add_mesh_command(app);
  orfeas::cli::add_profile_command(app);
  orfeas::cli::add_render_command(app);
  orfeas::cli::add_serve_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    const int code = app.exit(error);
    return code == 0 ? 0 : 2;  // usage errors: 2, like other command-line tools
  }
  if (app.got_subcommand("generate")) return orfeas::cli::run_generate();
  if (app.got_subcommand("gpu")) return orfeas::cli::run_gpu();
  if (app.got_subcommand("mesh")) return orfeas::cli::run_mesh();
  if (app.got_subcommand("profile")) return orfeas::cli::run_profile();
  if (app.got_subcommand("render")) return orfeas::cli::run_render();
  if (app.got_subcommand("serve")) return orfeas::cli::run_serve();
  return 2;
}

}  // namespace

// Nothing thrown ends the process with an abort: what escapes the library's error values (it
// should be nothing) is one line and exit code 1, like any other failure.
int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::bad_alloc&) {
    std::fputs("orfeas: error: out of host memory\n", stderr);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "orfeas: error: %s\n", e.what());
  }
  return 1;
}
