// Cost of a profiler scope (open + close), flat and nested, on one thread and on many at once.
//
//   build/release/bin/orfeas_profiler_bench [--repeats N] [--scopes N] [--threads 1,16]
//                                           [--scopes-per-job N]
//
// Every thread runs jobs of `scopes-per-job` scopes (begin_pipeline, the scopes, end_pipeline)
// until it has opened `scopes` scopes; a repeat's time runs from the moment all threads are
// released to the moment the last one is done. The figure is core-nanoseconds per scope:
// wall × min(threads, cores) / scopes of all threads, so it includes begin/end_pipeline amortized
// over a job, and any contention between threads. Modes:
//   flat    top-level scopes one after another
//   nested  inside one open scope per job, a "step" scope holding an "attention" scope
//           (both counted: the shape of per-step scopes in a diffusion loop)
// One warm-up repeat, then min / median / max over the repeats, as Markdown for docs/benchmarks.md.
#include <algorithm>
#include <barrier>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "orfeas/profiling/profiler.h"
#include "orfeas/profiling/stage_scope.h"

namespace {

using namespace orfeas;
using Clock = std::chrono::steady_clock;

enum class Mode { kFlat, kNested };

struct Config {
  int repeats = 7;
  long scopes_per_thread = 200'000;
  long scopes_per_job = 1'000;
  std::vector<int> threads = {1, 16};
};

[[noreturn]] void die(const std::string& message) {
  std::fprintf(stderr, "profiler_bench: %s\n", message.c_str());
  std::exit(1);
}

// One job's scopes; returns how many were opened.
long run_job(profiling::Profiler* profiler, Mode mode, long scopes) {
  const profiling::JobId job = profiler->begin_pipeline("bench");
  long opened = 0;
  if (mode == Mode::kFlat) {
    for (; opened < scopes; ++opened) {
      const profiling::StageScope scope(profiler, job, "step");
    }
  } else {
    const profiling::StageScope outer(profiler, job, "denoise");
    for (; opened + 2 <= scopes; opened += 2) {
      const profiling::StageScope step(profiler, job, "step");
      const profiling::StageScope attention(profiler, job, "attention");
    }
  }
  if (!profiler->end_pipeline(job)) die("end_pipeline failed");
  return opened;
}

// Core-nanoseconds per scope for one repeat.
double run_repeat(profiling::Profiler* profiler, Mode mode, int threads, const Config& config) {
  std::barrier start(threads + 1);
  std::vector<long> opened(static_cast<std::size_t>(threads), 0);
  std::vector<Clock::time_point> done(static_cast<std::size_t>(threads));
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      start.arrive_and_wait();
      long total = 0;
      while (total < config.scopes_per_thread) {
        total += run_job(profiler, mode, std::min(config.scopes_per_job, config.scopes_per_thread - total));
      }
      opened[static_cast<std::size_t>(t)] = total;
      done[static_cast<std::size_t>(t)] = Clock::now();
    });
  }
  start.arrive_and_wait();
  const Clock::time_point begin = Clock::now();
  for (std::thread& worker : workers) worker.join();
  const Clock::time_point end = *std::max_element(done.begin(), done.end());
  long scopes = 0;
  for (const long n : opened) scopes += n;
  const int cores = std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  const double wall_ns = std::chrono::duration<double, std::nano>(end - begin).count();
  return wall_ns * std::min(threads, cores) / static_cast<double>(scopes);
}

std::vector<int> parse_list(const std::string& text) {
  std::vector<int> values;
  std::stringstream list(text);
  for (std::string item; std::getline(list, item, ',');) values.push_back(std::atoi(item.c_str()));
  return values;
}

}  // namespace

int main(int argc, char** argv) {
  Config config;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const auto next = [&]() -> std::string {
      if (i + 1 >= argc) die("missing value for " + arg);
      return argv[++i];
    };
    if (arg == "--repeats") {
      config.repeats = std::max(1, std::atoi(next().c_str()));
    } else if (arg == "--scopes") {
      config.scopes_per_thread = std::max(2L, std::atol(next().c_str()));
    } else if (arg == "--scopes-per-job") {
      config.scopes_per_job = std::max(2L, std::atol(next().c_str()));
    } else if (arg == "--threads") {
      config.threads = parse_list(next());
    } else {
      die("unknown argument " + arg);
    }
  }

  profiling::Profiler::Options options;
  options.history_capacity = 1;  // the history is not what is measured
  auto created = profiling::Profiler::create(std::move(options));
  if (!created) die(created.error().message());
  const std::unique_ptr<profiling::Profiler> profiler = std::move(*created);

  std::printf("profiling %s, repeats: %d (+1 warm-up), scopes per thread: %ld, scopes per job: %ld, cores: %u\n\n",
              profiling::kProfilingEnabled ? "on" : "off", config.repeats, config.scopes_per_thread,
              config.scopes_per_job, std::thread::hardware_concurrency());
  std::printf("| mode | threads | min ns/scope | median ns/scope | max ns/scope |\n|---|---|---|---|---|\n");
  for (const Mode mode : {Mode::kFlat, Mode::kNested}) {
    for (const int threads : config.threads) {
      if (threads < 1) die("thread counts must be positive");
      static_cast<void>(run_repeat(profiler.get(), mode, threads, config));  // warm-up
      std::vector<double> ns;
      for (int r = 0; r < config.repeats; ++r) ns.push_back(run_repeat(profiler.get(), mode, threads, config));
      std::sort(ns.begin(), ns.end());
      std::printf("| %s | %d | %.1f | %.1f | %.1f |\n", mode == Mode::kFlat ? "flat" : "nested", threads, ns.front(),
                  ns[ns.size() / 2], ns.back());
    }
  }
  return 0;
}
