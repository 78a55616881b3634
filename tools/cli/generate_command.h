// `orfeas generate IMAGE -o OUT.{stl,glb,obj,ply}`: the CLI's adapter onto pipeline::Pipeline.
#pragma once

#include <CLI/CLI.hpp>

namespace orfeas::cli {

// Adds the `generate` subcommand to `app`; when it is selected, run_generate() does the work.
void add_generate_command(CLI::App& app);

// Runs the selected `generate` command; returns the process exit code.
int run_generate();

}  // namespace orfeas::cli
