#include "profile_command.h"

#include <cstdio>
#include <string>

#include "orfeas/profiling/report.h"

namespace orfeas::cli {
namespace {

struct ProfileArgs {
  std::string report;
  double threshold = -1.0;
};

ProfileArgs& args() {
  static ProfileArgs instance;
  return instance;
}

}  // namespace

void add_profile_command(CLI::App& app) {
  ProfileArgs& a = args();
  CLI::App* cmd = app.add_subcommand("profile", "Print the bottlenecks and recommendations of a saved profile report");
  cmd->add_option("report", a.report, "A report written by `orfeas generate --profile`")->required();
  cmd->add_option("--threshold", a.threshold, "Bottleneck threshold in percent (default: the report's)")
      ->check(CLI::Range(0.0, 100.0));
}

int run_profile() {
  const ProfileArgs& a = args();
  auto loaded = profiling::load_report(a.report);
  if (!loaded) {
    std::fprintf(stderr, "orfeas: error: %s\n", loaded.error().message().c_str());
    return 1;
  }
  profiling::AnalysisOptions options = loaded->options;
  if (a.threshold >= 0.0) options.bottleneck_threshold_percent = a.threshold;
  const profiling::Report report = profiling::make_report(std::move(loaded->profiles), options);
  std::fputs(profiling::report_text(report).c_str(), stdout);
  return 0;
}

}  // namespace orfeas::cli
