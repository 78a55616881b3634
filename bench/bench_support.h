// What the benchmark programs share: command-line parsing (CLI11), timing, summaries of repeated
// measurements and the "print and exit" error handling a benchmark can afford.
#pragma once

#include <CLI/CLI.hpp>

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "orfeas/core/status.h"

namespace orfeas::bench {

// Parses the command line into `app`'s options. --help prints the usage and exits 0; a usage error
// prints CLI11's message and exits 2.
void parse_or_exit(CLI::App& app, int argc, char** argv);

// Option check: an integer no smaller than `minimum` (CLI::PositiveNumber's message names a
// floating-point range).
CLI::Validator at_least(long minimum);

// --repeats N (N >= 1): the timed runs after the warm-up one.
CLI::Option* add_repeats_option(CLI::App& app, int& repeats);

// A comma-separated list of positive integers, e.g. --resolutions 128,256,384; `values` holds the
// default.
CLI::Option* add_list_option(CLI::App& app, const std::string& name, std::vector<int>& values,
                             const std::string& description);

// "<program>: message" on stderr, exit code 1.
[[noreturn]] void die(const std::string& message);

template <class T>
T value_or_die(Result<T> result) {
  if (!result) die(result.error().message());
  return std::move(*result);
}
void ok_or_die(const Status& status);

// Wall time of one call of `fn`, in milliseconds.
template <class Fn>
double time_ms(Fn&& fn) {
  const auto start = std::chrono::steady_clock::now();
  std::forward<Fn>(fn)();
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

// Over a set of measurements: the smallest, the median (the upper one of an even count) and the
// largest; all 0 when there are none.
struct Summary {
  double min = 0.0;
  double median = 0.0;
  double max = 0.0;
};
Summary summarize(std::vector<double> samples);
double median(std::vector<double> samples);

}  // namespace orfeas::bench
