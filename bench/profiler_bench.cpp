// Cost of a profiler scope (open + close), flat and nested, on one thread and on many at once.
//
//   build/release/bin/orfeas_profiler_bench [--repeats N] [--scopes N] [--threads 1,16]
//                                           [--scopes-per-job N]
//
// Every thread runs jobs of `scopes-per-job` scopes (begin_pipeline, the scopes, end_pipeline)
// until it has opened `scopes` scopes. Two figures per repeat:
//   scope  the CPU time the threads spent inside their scope loops (CLOCK_THREAD_CPUTIME_ID, so
//          time a thread waits descheduled is not counted, time it spins or locks is) divided by
//          the scopes opened: the cost of one scope, open + close;
//   job    wall time from the first thread's start (all are released at once) to the last one's end,
//          × min(threads, cores) / scopes: core-nanoseconds per scope with begin/end_pipeline
//          (merging, copying into the history) amortized over a job.
// Modes:
//   flat    top-level scopes one after another
//   nested  inside one open scope per job, a "step" scope holding an "attention" scope
//           (both counted: the shape of per-step scopes in a diffusion loop)
//   clock floor  no scope, only the two steady_clock reads any scope needs
// One warm-up repeat, then min / median / max over the repeats, as Markdown for docs/benchmarks.md.
#include <algorithm>
#include <barrier>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <memory>
#include <thread>
#include <vector>

#include "bench_support.h"
#include "orfeas/profiling/profiler.h"
#include "orfeas/profiling/stage_scope.h"

namespace {

using namespace orfeas;
using namespace orfeas::bench;
using Clock = std::chrono::steady_clock;

enum class Mode { kClock, kFlat, kNested };

const char* mode_name(Mode mode) {
  switch (mode) {
    case Mode::kClock:
      return "clock floor";
    case Mode::kFlat:
      return "flat";
    case Mode::kNested:
      return "nested";
  }
  return "?";
}

struct Config {
  int repeats = 7;
  long scopes_per_thread = 200'000;
  long scopes_per_job = 1'000;
  std::vector<int> threads = {1, 16};
};

double thread_cpu_ns() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) * 1e9 + static_cast<double>(now.tv_nsec);
}

struct Work {
  long scopes = 0;
  double scope_cpu_ns = 0.0;  // inside the scope loops
};

// One job's scopes, added to `work`.
void run_job(profiling::Profiler* profiler, Mode mode, long scopes, Work& work) {
  const profiling::JobId job = profiler->begin_pipeline("bench");
  const double cpu_start = thread_cpu_ns();
  long opened = 0;
  if (mode == Mode::kClock) {
    for (; opened < scopes; ++opened) {
      const Clock::time_point start = Clock::now();
      const Clock::time_point end = Clock::now();
      asm volatile("" : : "r"(start.time_since_epoch().count()), "r"(end.time_since_epoch().count()));
    }
  } else if (mode == Mode::kFlat) {
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
  work.scope_cpu_ns += thread_cpu_ns() - cpu_start;
  work.scopes += opened;
  if (!profiler->end_pipeline(job)) die("end_pipeline failed");
}

struct Figures {
  double scope_ns = 0.0;
  double job_ns = 0.0;
};

Figures run_repeat(profiling::Profiler* profiler, Mode mode, int threads, const Config& config) {
  std::barrier start(threads + 1);
  std::vector<Work> work(static_cast<std::size_t>(threads));
  std::vector<Clock::time_point> began(static_cast<std::size_t>(threads));
  std::vector<Clock::time_point> done(static_cast<std::size_t>(threads));
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      Work& mine = work[static_cast<std::size_t>(t)];
      start.arrive_and_wait();
      began[static_cast<std::size_t>(t)] = Clock::now();
      while (mine.scopes < config.scopes_per_thread) {
        run_job(profiler, mode, std::min(config.scopes_per_job, config.scopes_per_thread - mine.scopes), mine);
      }
      done[static_cast<std::size_t>(t)] = Clock::now();
    });
  }
  start.arrive_and_wait();
  for (std::thread& worker : workers) worker.join();
  const Clock::time_point begin = *std::min_element(began.begin(), began.end());
  const Clock::time_point end = *std::max_element(done.begin(), done.end());
  Work total;
  for (const Work& w : work) {
    total.scopes += w.scopes;
    total.scope_cpu_ns += w.scope_cpu_ns;
  }
  const int cores = std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  const double wall_ns = std::chrono::duration<double, std::nano>(end - begin).count();
  const auto scopes = static_cast<double>(total.scopes);
  return {total.scope_cpu_ns / scopes, wall_ns * std::min(threads, cores) / scopes};
}

}  // namespace

int main(int argc, char** argv) {
  Config config;
  CLI::App app{"Cost of a profiler scope (open + close), flat and nested, on one thread and on many",
               "orfeas_profiler_bench"};
  add_repeats_option(app, config.repeats);
  app.add_option("--scopes", config.scopes_per_thread, "Scopes each thread opens per repeat")
      ->capture_default_str()
      ->check(at_least(2));
  app.add_option("--scopes-per-job", config.scopes_per_job, "Scopes per job (between begin and end_pipeline)")
      ->capture_default_str()
      ->check(at_least(2));
  add_list_option(app, "--threads", config.threads, "Thread counts");
  parse_or_exit(app, argc, argv);

  profiling::Profiler::Options options;
  options.history_capacity = 1;  // the history is not what is measured
  const std::unique_ptr<profiling::Profiler> profiler = value_or_die(profiling::Profiler::create(std::move(options)));

  std::printf("profiling %s, repeats: %d (+1 warm-up), scopes per thread: %ld, scopes per job: %ld, cores: %u\n\n",
              profiling::kProfilingEnabled ? "on" : "off", config.repeats, config.scopes_per_thread,
              config.scopes_per_job, std::thread::hardware_concurrency());
  std::printf(
      "| mode | threads | scope ns: min | median | max | job ns/scope: min | median | max |\n"
      "|---|---|---|---|---|---|---|---|\n");
  for (const Mode mode : {Mode::kClock, Mode::kFlat, Mode::kNested}) {
    for (const int threads : config.threads) {
      static_cast<void>(run_repeat(profiler.get(), mode, threads, config));  // warm-up
      std::vector<double> scope_ns;
      std::vector<double> job_ns;
      for (int r = 0; r < config.repeats; ++r) {
        const Figures figures = run_repeat(profiler.get(), mode, threads, config);
        scope_ns.push_back(figures.scope_ns);
        job_ns.push_back(figures.job_ns);
      }
      const Summary scope = summarize(std::move(scope_ns));
      const Summary job = summarize(std::move(job_ns));
      std::printf("| %s | %d | %.1f | **%.1f** | %.1f | %.1f | %.1f | %.1f |\n", mode_name(mode), threads, scope.min,
                  scope.median, scope.max, job.min, job.median, job.max);
    }
  }
  return 0;
}
