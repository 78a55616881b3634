// `orfeas serve`: the HTTP service. Serves until SIGTERM or SIGINT, then stops gracefully (requests
// in flight finish) and exits 0.
#pragma once

#include <CLI/CLI.hpp>

namespace orfeas::cli {

void add_serve_command(CLI::App& app);
int run_serve();

}  // namespace orfeas::cli
