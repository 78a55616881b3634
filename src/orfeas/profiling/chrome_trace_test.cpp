#include "orfeas/profiling/chrome_trace.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "orfeas/profiling/profiler.h"
#include "orfeas/profiling/test_profiles.h"

namespace orfeas::profiling {
namespace {

using testing::make_profile;

TEST(ProfilingChromeTraceTest, CompleteEventsOneTrackPerJob) {
  const std::vector<PipelineProfile> profiles = {
      make_profile("cat.png", {{"shape_generation", 2.0, std::nullopt, 1.5}, {"export", 1.0}}, 7, 0.5),
      make_profile("dog.png", {{"shape_generation", 4.0}}, 8, 0.25),
  };
  const nlohmann::json trace = nlohmann::json::parse(chrome_trace_json(profiles));
  ASSERT_TRUE(trace.contains("traceEvents"));
  const nlohmann::json& events = trace.at("traceEvents");

  std::map<int, std::string> track_names;
  std::map<int, std::vector<nlohmann::json>> complete_by_tid;
  for (const nlohmann::json& e : events) {
    EXPECT_EQ(e.at("pid"), 1);
    const std::string ph = e.at("ph");
    if (ph == "M") {
      if (e.at("name") == "thread_name") track_names[e.at("tid").get<int>()] = e.at("args").at("name");
      continue;
    }
    ASSERT_EQ(ph, "X");
    EXPECT_TRUE(e.at("ts").is_number());
    EXPECT_GE(e.at("dur").get<double>(), 0.0);
    complete_by_tid[e.at("tid").get<int>()].push_back(e);
  }
  ASSERT_EQ(track_names.size(), 2u);
  EXPECT_EQ(track_names.at(1), "cat.png (job 7)");
  EXPECT_EQ(track_names.at(2), "dog.png (job 8)");
  ASSERT_EQ(complete_by_tid.size(), 2u);
  // cat.png: the pipeline, 2 top-level stages and their 2 children.
  const std::vector<nlohmann::json>& cat = complete_by_tid.at(1);
  ASSERT_EQ(cat.size(), 5u);
  EXPECT_EQ(cat[0].at("name"), "cat.png");
  EXPECT_DOUBLE_EQ(cat[0].at("ts").get<double>(), 500000.0);  // 0.5 s in µs
  EXPECT_DOUBLE_EQ(cat[0].at("dur").get<double>(), 4000.0);   // 3 ms of stages + 1 ms of gaps
  EXPECT_EQ(cat[1].at("name"), "shape_generation");
  EXPECT_DOUBLE_EQ(cat[1].at("dur").get<double>(), 2000.0);
  EXPECT_DOUBLE_EQ(cat[1].at("args").at("gpu_ms").get<double>(), 1.5);
  EXPECT_EQ(cat[2].at("args").at("parent"), "shape_generation");
  EXPECT_EQ(cat[3].at("name"), "export");
  EXPECT_DOUBLE_EQ(cat[3].at("ts").get<double>(), 502000.0);
  // Children lie within their parents on the track.
  for (const auto& [tid, list] : complete_by_tid) {
    const double pipeline_end = list[0].at("ts").get<double>() + list[0].at("dur").get<double>();
    for (const nlohmann::json& e : list) {
      EXPECT_LE(e.at("ts").get<double>() + e.at("dur").get<double>(), pipeline_end + 1e-6);
    }
  }
}

TEST(ProfilingChromeTraceTest, ExportTraceOfALiveProfiler) {
  auto profiler = std::move(*Profiler::create({}));
  for (int i = 0; i < 3; ++i) {
    const JobId job = profiler->begin_pipeline("job" + std::to_string(i));
    { const ActiveStageScope stage(profiler.get(), job, "mesh_extraction"); }
    ASSERT_TRUE(profiler->end_pipeline(job));
  }
  const auto path =
      std::filesystem::temp_directory_path() /
      ("orfeas_profiling_trace_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + ".json");
  ASSERT_TRUE(profiler->export_trace(path));
  std::ifstream in(path);
  const nlohmann::json trace = nlohmann::json::parse(in);
  std::filesystem::remove(path);
  std::set<int> tids;
  for (const nlohmann::json& e : trace.at("traceEvents")) {
    if (e.at("ph") == "X") tids.insert(e.at("tid").get<int>());
  }
  EXPECT_EQ(tids.size(), 3u);
}

}  // namespace
}  // namespace orfeas::profiling
