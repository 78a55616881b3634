#include "orfeas/profiling/batch_scope.h"

#include <array>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "orfeas/profiling/profiler.h"

namespace orfeas::profiling {
namespace {

std::unique_ptr<Profiler> make_profiler() {
  auto profiler = Profiler::create({});
  EXPECT_TRUE(profiler);
  return std::move(*profiler);
}

std::vector<std::string> names(const PipelineProfile& profile) {
  std::vector<std::string> out;
  for (const StageProfile& stage : profile.stages) out.push_back(stage.name);
  return out;
}

#if !defined(ORFEAS_PROFILING_DISABLED)
TEST(BatchScope, OpensTheSubStageOnEveryJobAsAChildOfItsOpenStage) {
  const auto profiler = make_profiler();
  const JobId a = profiler->begin_pipeline("a.png");
  const JobId b = profiler->begin_pipeline("b.png");
  const std::array<ScopeTarget, 2> jobs{{{profiler.get(), a}, {profiler.get(), b}}};
  {
    const BatchScope stage(jobs, "shape_generation");
    { const BatchScope first(jobs, "diffusion_step"); }
    { const BatchScope second(jobs, "diffusion_step"); }
  }
  for (const JobId job : {a, b}) {
    auto profile = profiler->end_pipeline(job);
    ASSERT_TRUE(profile);
    EXPECT_EQ(names(*profile), (std::vector<std::string>{"shape_generation", "diffusion_step", "diffusion_step"}));
    EXPECT_TRUE(profile->stages[0].top_level());
    for (std::size_t i = 1; i < 3; ++i) {
      EXPECT_EQ(profile->stages[i].parent, 0);
      EXPECT_EQ(profile->stages[i].depth, 1U);
      EXPECT_FALSE(profile->stages[i].truncated);
    }
    EXPECT_LE(profile->stages[1].start_ms + profile->stages[1].wall_ms, profile->stages[2].start_ms + 1e-9);
  }
}

TEST(BatchScope, CloseEndsTheScopesBeforeTheNextOpens) {
  const auto profiler = make_profiler();
  const JobId job = profiler->begin_pipeline("a.png");
  const std::array<ScopeTarget, 1> jobs{{{profiler.get(), job}}};
  {
    BatchScope first(jobs, "marching_cubes");
    first.close();
    first.close();  // a second close does nothing
    const BatchScope second(jobs, "normals");
  }
  auto profile = profiler->end_pipeline(job);
  ASSERT_TRUE(profile);
  ASSERT_EQ(names(*profile), (std::vector<std::string>{"marching_cubes", "normals"}));
  EXPECT_TRUE(profile->stages[1].top_level()) << "closed before `normals` opened: a sibling, not a parent";
}

TEST(BatchScope, TargetsWithoutAProfilerOrJobAndEmptySpansRecordNothing) {
  const auto profiler = make_profiler();
  const JobId job = profiler->begin_pipeline("a.png");
  const std::array<ScopeTarget, 3> jobs{{{nullptr, job}, {profiler.get(), kNoJob}, {profiler.get(), job}}};
  { const BatchScope scope(jobs, "conditioning"); }
  { const BatchScope nobody({}, "conditioning"); }
  auto profile = profiler->end_pipeline(job);
  ASSERT_TRUE(profile);
  EXPECT_EQ(names(*profile), (std::vector<std::string>{"conditioning"}));
}

#else
TEST(BatchScope, RecordsNothingWhenTheProfilerIsCompiledOut) {
  const auto profiler = make_profiler();
  const JobId job = profiler->begin_pipeline("a.png");
  const std::array<ScopeTarget, 1> jobs{{{profiler.get(), job}}};
  { const BatchScope scope(jobs, "conditioning"); }
  auto profile = profiler->end_pipeline(job);
  ASSERT_TRUE(profile);
  EXPECT_TRUE(names(*profile).empty());
}
#endif

}  // namespace
}  // namespace orfeas::profiling
