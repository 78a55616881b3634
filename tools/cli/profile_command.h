// `orfeas profile REPORT.json`: the bottlenecks and recommendations of a saved profiling report.
#pragma once

#include <CLI/CLI.hpp>

namespace orfeas::cli {

void add_profile_command(CLI::App& app);
int run_profile();

}  // namespace orfeas::cli
