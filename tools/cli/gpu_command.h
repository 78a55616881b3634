// `orfeas gpu`: the device memory profile, the batch recommendation for a configuration, and the
// optimizer's advice; `--json` for machines.
#pragma once

#include <CLI/CLI.hpp>

namespace orfeas::cli {

void add_gpu_command(CLI::App& app);
int run_gpu();

}  // namespace orfeas::cli
