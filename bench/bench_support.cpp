#include "bench_support.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <limits>

namespace orfeas::bench {

void parse_or_exit(CLI::App& app, int argc, char** argv) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    const int code = app.exit(error);
    std::exit(code == 0 ? 0 : 2);  // usage errors: 2, like orfeas itself
  }
}

CLI::Validator at_least(long minimum) {
  return CLI::Range(minimum, std::numeric_limits<long>::max()).description(">= " + std::to_string(minimum));
}

CLI::Option* add_repeats_option(CLI::App& app, int& repeats) {
  return app.add_option("--repeats", repeats, "Timed runs after one warm-up")
      ->capture_default_str()
      ->check(at_least(1));
}

CLI::Option* add_list_option(CLI::App& app, const std::string& name, std::vector<int>& values,
                             const std::string& description) {
  return app.add_option(name, values, description + ", comma-separated")
      ->delimiter(',')
      ->allow_extra_args(false)  // one token per use: a positional argument may follow
      ->capture_default_str()
      ->check(at_least(1));
}

void die(const std::string& message) {
  std::fprintf(stderr, "%s: %s\n", program_invocation_short_name, message.c_str());
  std::exit(1);
}

void ok_or_die(const Status& status) {
  if (!status) die(status.error().message());
}

Summary summarize(std::vector<double> samples) {
  if (samples.empty()) return {};
  std::sort(samples.begin(), samples.end());
  return {samples.front(), samples[samples.size() / 2], samples.back()};
}

double median(std::vector<double> samples) {
  return summarize(std::move(samples)).median;
}

}  // namespace orfeas::bench
