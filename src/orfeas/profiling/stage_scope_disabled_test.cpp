// The compile-time switch: this translation unit is built as if ORFEAS_WITH_PROFILING were OFF.
// StageScope and the macros must then be free (an empty class, nothing recorded) while keeping the
// signatures the enabled build uses, so the same calling code compiles both ways.
#ifndef ORFEAS_PROFILING_DISABLED
#define ORFEAS_PROFILING_DISABLED 1
#endif

#include <string>
#include <type_traits>

#include <gtest/gtest.h>

#include "orfeas/profiling/profiler.h"

namespace orfeas::profiling {
namespace {

static_assert(!kProfilingEnabled);
static_assert(std::is_same_v<StageScope, NullStageScope>);
static_assert(std::is_empty_v<StageScope>);
static_assert(std::is_trivially_destructible_v<StageScope>);
static_assert(!std::is_copy_constructible_v<StageScope> && !std::is_move_constructible_v<StageScope>);
static_assert(std::is_constructible_v<StageScope, Profiler*, JobId, std::string_view>);
static_assert(std::is_constructible_v<StageScope, Profiler*, JobId, std::string_view, void*>);
static_assert(std::is_nothrow_constructible_v<StageScope, Profiler*, JobId, const char*>);
// The same constructor signatures as the enabled scope.
static_assert(std::is_constructible_v<ActiveStageScope, Profiler*, JobId, std::string_view, void*>);
// Usable in constant expressions: nothing runs at run time.
constexpr bool constant_construction() {
  const NullStageScope scope(nullptr, kNoJob, "x");
  static_cast<void>(scope);
  return true;
}
static_assert(constant_construction());

// The macros evaluate none of their arguments: checked at compile time...
constexpr int macro_argument_evaluations() {
  int evaluations = 0;
  ORFEAS_PROFILE_SCOPE((++evaluations, nullptr), static_cast<JobId>(++evaluations), (++evaluations, "x"));
  ORFEAS_PROFILE_SCOPE_GPU((++evaluations, nullptr), kNoJob, "x", (++evaluations, nullptr));
  return evaluations;
}
static_assert(macro_argument_evaluations() == 0);

TEST(ProfilingDisabledTest, MacrosRecordNothing) {
  auto profiler = std::move(*Profiler::create({}));
  const JobId job = profiler->begin_pipeline("disabled");
  int stream = 0;
  {
    ORFEAS_PROFILE_SCOPE(profiler.get(), job, "shape_generation");
    ORFEAS_PROFILE_SCOPE_GPU(profiler.get(), job, "kernel", &stream);
    const StageScope explicit_scope(profiler.get(), job, "explicit");
  }
  auto profile = profiler->end_pipeline(job);
  ASSERT_TRUE(profile);
  EXPECT_TRUE(profile->stages.empty());
}

// ...and at run time, with arguments that would call into the profiler.
TEST(ProfilingDisabledTest, MacroArgumentsAreNotEvaluated) {
  auto profiler = std::move(*Profiler::create({}));
  int evaluations = 0;
  const auto begin = [&] {
    ++evaluations;
    return profiler->begin_pipeline("never");
  };
  const auto name = [&] {
    ++evaluations;
    return std::string("stage");
  };
  {
    ORFEAS_PROFILE_SCOPE(profiler.get(), begin(), name());
    ORFEAS_PROFILE_SCOPE_GPU(profiler.get(), begin(), name(), nullptr);
  }
  EXPECT_EQ(evaluations, 0);
  EXPECT_EQ(profiler->running_pipelines(), 0u);
}

}  // namespace
}  // namespace orfeas::profiling
