#include "orfeas/profiling/profiler.h"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace orfeas::profiling {
namespace {

using namespace std::chrono_literals;

std::unique_ptr<Profiler> make_profiler(Profiler::Options options = {}) {
  auto profiler = Profiler::create(std::move(options));
  EXPECT_TRUE(profiler.has_value());
  return std::move(*profiler);
}

const StageProfile& find_stage(const PipelineProfile& profile, std::string_view name) {
  for (const StageProfile& stage : profile.stages) {
    if (stage.name == name) return stage;
  }
  ADD_FAILURE() << "no stage " << name;
  static const StageProfile kNone;
  return kNone;
}

TEST(ProfilerTest, CreateRejectsZeroHistory) {
  Profiler::Options options;
  options.history_capacity = 0;
  EXPECT_FALSE(Profiler::create(std::move(options)).has_value());
}

TEST(ProfilerTest, NestedStagesRecordParentDepthAndConsistentDurations) {
  auto profiler = make_profiler();
  const JobId job = profiler->begin_pipeline("cat.png");
  {
    const ActiveStageScope outer(profiler.get(), job, "mesh_extraction");
    {
      const ActiveStageScope first(profiler.get(), job, "marching_cubes");
      std::this_thread::sleep_for(5ms);
      {
        const ActiveStageScope leaf(profiler.get(), job, "table_lookup");
        std::this_thread::sleep_for(2ms);
      }
    }
    {
      const ActiveStageScope second(profiler.get(), job, "normals");
      std::this_thread::sleep_for(3ms);
    }
  }
  {
    const ActiveStageScope export_scope(profiler.get(), job, "export");
    std::this_thread::sleep_for(1ms);
  }
  auto profile = profiler->end_pipeline(job);
  ASSERT_TRUE(profile.has_value()) << profile.error().message();
  EXPECT_EQ(profile->job_name, "cat.png");
  ASSERT_EQ(profile->stages.size(), 5u);

  const auto& stages = profile->stages;
  EXPECT_EQ(stages[0].name, "mesh_extraction");
  EXPECT_EQ(stages[0].parent, -1);
  EXPECT_EQ(stages[0].depth, 0u);
  EXPECT_EQ(stages[1].parent, 0);
  EXPECT_EQ(stages[1].depth, 1u);
  EXPECT_EQ(stages[2].name, "table_lookup");
  EXPECT_EQ(stages[2].parent, 1);
  EXPECT_EQ(stages[2].depth, 2u);
  EXPECT_EQ(stages[3].name, "normals");
  EXPECT_EQ(stages[3].parent, 0);
  EXPECT_EQ(stages[4].parent, -1);

  // Sleeps are lower bounds only; no upper bound on time is asserted.
  EXPECT_GE(stages[1].wall_ms, 7.0);
  EXPECT_GE(stages[2].wall_ms, 2.0);
  EXPECT_GE(stages[3].wall_ms, 3.0);
  EXPECT_GE(stages[0].wall_ms, stages[1].wall_ms + stages[3].wall_ms);
  EXPECT_GE(stages[1].wall_ms, stages[2].wall_ms);
  for (std::size_t i = 1; i < stages.size(); ++i) {
    if (stages[i].parent < 0) continue;
    const StageProfile& parent = stages[static_cast<std::size_t>(stages[i].parent)];
    EXPECT_GE(stages[i].start_ms, parent.start_ms);
    EXPECT_LE(stages[i].start_ms + stages[i].wall_ms, parent.start_ms + parent.wall_ms + 1e-9);
  }
  EXPECT_GE(stages[4].start_ms, stages[0].start_ms + stages[0].wall_ms);
  EXPECT_GE(profile->total_seconds * 1000.0, stages[4].start_ms + stages[4].wall_ms);
  for (const StageProfile& s : stages) {
    EXPECT_FALSE(s.truncated);
    EXPECT_FALSE(s.gpu_ms.has_value());
    EXPECT_FALSE(s.peak_device_bytes.has_value());
  }
  EXPECT_EQ(profiler->recent_profiles().size(), 1u);
  EXPECT_EQ(profiler->running_pipelines(), 0u);
}

TEST(ProfilerTest, InterleavedJobsOnOneThreadDoNotNest) {
  auto profiler = make_profiler();
  const JobId a = profiler->begin_pipeline("a");
  const JobId b = profiler->begin_pipeline("b");
  EXPECT_NE(a, b);
  {
    const ActiveStageScope outer_a(profiler.get(), a, "outer");
    const ActiveStageScope outer_b(profiler.get(), b, "outer");  // another job: top-level there
    const ActiveStageScope inner_a(profiler.get(), a, "inner");  // child of outer_a, not outer_b
  }
  auto pa = profiler->end_pipeline(a);
  auto pb = profiler->end_pipeline(b);
  ASSERT_TRUE(pa && pb);
  ASSERT_EQ(pa->stages.size(), 2u);
  ASSERT_EQ(pb->stages.size(), 1u);
  EXPECT_EQ(pa->stages[1].parent, 0);
  EXPECT_EQ(pb->stages[0].parent, -1);
}

TEST(ProfilerTest, ScopesOnOtherThreadsAreTopLevelInTheirOwnSubtree) {
  auto profiler = make_profiler();
  const JobId job = profiler->begin_pipeline("threads");
  {
    const ActiveStageScope outer(profiler.get(), job, "outer");
    std::thread worker([&] { const ActiveStageScope s(profiler.get(), job, "worker"); });
    worker.join();
  }
  auto profile = profiler->end_pipeline(job);
  ASSERT_TRUE(profile);
  EXPECT_EQ(find_stage(*profile, "worker").parent, -1);
}

TEST(ProfilerTest, UnknownOrEndedJobsAreHarmless) {
  auto profiler = make_profiler();
  { const ActiveStageScope none(nullptr, JobId{1}, "x"); }
  { const ActiveStageScope no_job(profiler.get(), kNoJob, "x"); }
  { const ActiveStageScope unknown(profiler.get(), JobId{12345}, "x"); }
  const JobId job = profiler->begin_pipeline("once");
  ASSERT_TRUE(profiler->end_pipeline(job));
  auto again = profiler->end_pipeline(job);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code(), ErrorCode::kNotFound);
  { const ActiveStageScope late(profiler.get(), job, "late"); }
  EXPECT_EQ(profiler->recent_profiles().size(), 1u);
}

TEST(ProfilerTest, StagesOpenAtEndPipelineAreTruncated) {
  auto profiler = make_profiler();
  const JobId job = profiler->begin_pipeline("early end");
  Result<PipelineProfile> profile = make_error(ErrorCode::kInternal, "unset");
  {
    const ActiveStageScope open(profiler.get(), job, "open");
    std::this_thread::sleep_for(1ms);
    profile = profiler->end_pipeline(job);
  }  // closing after the end must not touch the finished profile
  ASSERT_TRUE(profile);
  ASSERT_EQ(profile->stages.size(), 1u);
  EXPECT_TRUE(profile->stages[0].truncated);
  EXPECT_GE(profile->stages[0].wall_ms, 1.0);
}

TEST(ProfilerTest, HistoryIsBounded) {
  Profiler::Options options;
  options.history_capacity = 3;
  auto profiler = make_profiler(std::move(options));
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(profiler->end_pipeline(profiler->begin_pipeline("job" + std::to_string(i))));
  }
  const auto recent = profiler->recent_profiles();
  ASSERT_EQ(recent.size(), 3u);
  EXPECT_EQ(recent.front().job_name, "job2");
  EXPECT_EQ(recent.back().job_name, "job4");
  profiler->clear_history();
  EXPECT_TRUE(profiler->recent_profiles().empty());
}

#if !defined(ORFEAS_PROFILING_DISABLED)
TEST(ProfilerTest, MacroRecordsWhenEnabled) {
  static_assert(kProfilingEnabled);
  auto profiler = make_profiler();
  const JobId job = profiler->begin_pipeline("macro");
  {
    ORFEAS_PROFILE_SCOPE(profiler.get(), job, "outer");
    ORFEAS_PROFILE_SCOPE(profiler.get(), job, "inner");
  }
  auto profile = profiler->end_pipeline(job);
  ASSERT_TRUE(profile);
  ASSERT_EQ(profile->stages.size(), 2u);
  EXPECT_EQ(profile->stages[1].parent, 0);
}
#endif

// --- GPU time: collected at end_pipeline, never inside a scope ---------------------------------

struct FakeGpuLog {
  std::atomic<int> begins{0};
  std::atomic<int> ends{0};
  std::atomic<int> queries{0};
  std::atomic<bool> device_done{false};  // elapsed_ms "blocks" (fails the test) until the device is done
};

class FakeInterval final : public GpuInterval {
 public:
  FakeInterval(FakeGpuLog* log, double ms) : log_(log), ms_(ms) {}
  void end(void* stream) override {
    EXPECT_NE(stream, nullptr);
    ++log_->ends;
  }
  std::optional<double> elapsed_ms() override {
    ++log_->queries;
    EXPECT_TRUE(log_->device_done.load()) << "GPU time read before end_pipeline";
    return ms_;
  }

 private:
  FakeGpuLog* log_;  // borrowed
  double ms_;
};

class FakeGpuTimer final : public GpuTimer {
 public:
  explicit FakeGpuTimer(FakeGpuLog* log) : log_(log) {}
  std::unique_ptr<GpuInterval> begin(void* /*stream*/) override {
    const int n = ++log_->begins;
    return std::make_unique<FakeInterval>(log_, 10.0 * n);
  }

 private:
  FakeGpuLog* log_;  // borrowed
};

TEST(ProfilerTest, GpuTimeIsCollectedAtEndPipelineNotInScopes) {
  FakeGpuLog log;
  Profiler::Options options;
  options.gpu_timer = std::make_unique<FakeGpuTimer>(&log);
  auto profiler = make_profiler(std::move(options));
  int fake_stream = 0;
  const JobId job = profiler->begin_pipeline("gpu");
  {
    const ActiveStageScope shape(profiler.get(), job, "shape_generation", &fake_stream);
    const ActiveStageScope kernel(profiler.get(), job, "sample_kernel", &fake_stream);
  }
  { const ActiveStageScope cpu_only(profiler.get(), job, "export"); }
  EXPECT_EQ(log.begins.load(), 2);
  EXPECT_EQ(log.ends.load(), 2);
  EXPECT_EQ(log.queries.load(), 0);  // scopes are closed, nothing has been read yet
  log.device_done = true;
  auto profile = profiler->end_pipeline(job);
  ASSERT_TRUE(profile);
  EXPECT_EQ(log.queries.load(), 2);
  EXPECT_EQ(find_stage(*profile, "shape_generation").gpu_ms, 10.0);
  EXPECT_EQ(find_stage(*profile, "sample_kernel").gpu_ms, 20.0);
  EXPECT_FALSE(find_stage(*profile, "export").gpu_ms.has_value());
}

class FakeWatermark final : public MemoryWatermark {
 public:
  void reset_peak() override {
    ++resets;
    peak = current;
  }
  std::uint64_t peak_bytes() override { return peak; }
  void allocate(std::uint64_t bytes) {
    current += bytes;
    peak = std::max(peak, current);
  }
  void free(std::uint64_t bytes) { current -= bytes; }

  int resets = 0;
  std::uint64_t current = 0;
  std::uint64_t peak = 0;
};

TEST(ProfilerTest, TopLevelStagesRecordPeakDeviceMemory) {
  auto watermark = std::make_shared<FakeWatermark>();
  Profiler::Options options;
  options.memory_watermark = watermark;
  auto profiler = make_profiler(std::move(options));
  const JobId job = profiler->begin_pipeline("memory");
  {
    const ActiveStageScope shape(profiler.get(), job, "shape_generation");
    watermark->allocate(1000);
    {
      const ActiveStageScope nested(profiler.get(), job, "nested");
      watermark->allocate(500);
      watermark->free(500);
    }
    watermark->free(1000);
  }
  {
    const ActiveStageScope mesh(profiler.get(), job, "mesh_extraction");
    watermark->allocate(200);
    watermark->free(200);
  }
  auto profile = profiler->end_pipeline(job);
  ASSERT_TRUE(profile);
  EXPECT_EQ(watermark->resets, 2);  // once per top-level stage
  EXPECT_EQ(find_stage(*profile, "shape_generation").peak_device_bytes, 1500u);
  EXPECT_FALSE(find_stage(*profile, "nested").peak_device_bytes.has_value());
  EXPECT_EQ(find_stage(*profile, "mesh_extraction").peak_device_bytes, 200u);
}

class AtomicWatermark final : public MemoryWatermark {
 public:
  void reset_peak() override { peak_.store(0); }
  std::uint64_t peak_bytes() override { return peak_.fetch_add(1) + 1; }

 private:
  std::atomic<std::uint64_t> peak_{0};
};

// Many jobs at once: run under the tsan preset for the data-race check.
TEST(ProfilerConcurrencyTest, ManyConcurrentPipelinesKeepTheirOwnStages) {
  constexpr int kThreads = 16;
  constexpr int kJobsPerThread = 200;
  Profiler::Options options;
  options.history_capacity = kThreads * kJobsPerThread;
  FakeGpuLog log;
  log.device_done = true;
  options.gpu_timer = std::make_unique<FakeGpuTimer>(&log);
  options.memory_watermark = std::make_shared<AtomicWatermark>();
  auto profiler = make_profiler(std::move(options));
  int stream = 0;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int j = 0; j < kJobsPerThread; ++j) {
        const std::string name = "t" + std::to_string(t) + "j" + std::to_string(j);
        const JobId job = profiler->begin_pipeline(name);
        {
          const ActiveStageScope outer(profiler.get(), job, "shape_generation", &stream);
          { const ActiveStageScope inner(profiler.get(), job, "inner"); }
          { const ActiveStageScope inner2(profiler.get(), job, "inner2"); }
        }
        { const ActiveStageScope last(profiler.get(), job, "export"); }
        auto profile = profiler->end_pipeline(job);
        const bool good = profile && profile->job_name == name && profile->stages.size() == 4 &&
                          profile->stages[1].parent == 0 && profile->stages[2].parent == 0 &&
                          profile->stages[3].parent == -1 && profile->stages[0].gpu_ms.has_value() &&
                          profile->stages[0].peak_device_bytes.has_value();
        if (!good) ++failures;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(profiler->running_pipelines(), 0u);
  EXPECT_EQ(profiler->recent_profiles().size(), static_cast<std::size_t>(kThreads * kJobsPerThread));
  EXPECT_EQ(profiler->summary().pipeline_count, static_cast<std::size_t>(kThreads * kJobsPerThread));
}

// end_pipeline while other threads open and close scopes on the job: every stage it returns is
// whole (valid parent, GPU time exactly for the closed GPU stages), and the late closes leave it
// alone. Run under the tsan preset for the data-race check of the lock-free hand-over.
TEST(ProfilerConcurrencyTest, EndPipelineWhileOtherThreadsRecord) {
  constexpr int kRounds = 20;
  constexpr int kThreads = 3;
  constexpr int kMaxScopesPerThread = 5000;
  FakeGpuLog log;
  log.device_done = true;
  Profiler::Options options;
  options.gpu_timer = std::make_unique<FakeGpuTimer>(&log);
  options.memory_watermark = std::make_shared<AtomicWatermark>();
  auto profiler = make_profiler(std::move(options));
  int stream = 0;
  for (int round = 0; round < kRounds; ++round) {
    const JobId job = profiler->begin_pipeline("racing");
    std::atomic<bool> stop{false};
    std::atomic<int> started{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&] {
        ++started;
        for (int i = 0; i < kMaxScopesPerThread && !stop.load(); ++i) {
          const ActiveStageScope outer(profiler.get(), job, "outer", &stream);
          const ActiveStageScope inner(profiler.get(), job, "inner");
        }
      });
    }
    while (started.load() < kThreads) std::this_thread::yield();
    std::this_thread::sleep_for(1ms);
    auto profile = profiler->end_pipeline(job);
    stop = true;
    for (std::thread& thread : threads) thread.join();
    ASSERT_TRUE(profile);
    const auto& stages = profile->stages;
    for (std::size_t i = 0; i < stages.size(); ++i) {
      const StageProfile& stage = stages[i];
      if (stage.name == "outer") {
        EXPECT_EQ(stage.parent, -1);
        EXPECT_EQ(stage.truncated, !stage.gpu_ms.has_value());
        EXPECT_EQ(stage.truncated, !stage.peak_device_bytes.has_value());
      } else {
        ASSERT_EQ(stage.name, "inner");
        ASSERT_GE(stage.parent, 0);
        ASSERT_LT(static_cast<std::size_t>(stage.parent), i);
        EXPECT_EQ(stages[static_cast<std::size_t>(stage.parent)].name, "outer");
        EXPECT_EQ(stage.depth, 1u);
      }
      EXPECT_GE(stage.wall_ms, 0.0);
    }
  }
  EXPECT_EQ(profiler->running_pipelines(), 0u);
}

}  // namespace
}  // namespace orfeas::profiling
