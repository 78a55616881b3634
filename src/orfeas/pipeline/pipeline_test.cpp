#include "orfeas/pipeline/pipeline.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numbers>

#include "orfeas/export/placement.h"
#include "orfeas/export/stl_reader.h"
#include "orfeas/mesh/topology.h"
#include "orfeas/profiling/profiler.h"
#include "orfeas/testing/temp_dir.h"

namespace orfeas::pipeline {
namespace {

namespace fs = std::filesystem;
using orfeas::testing::TempDir;

// A preprocessed image whose mask holds the pixels with centres between `inner` and `outer`
// model units from the centre: a disc (inner 0) or an annulus, coloured by quadrant.
image::PreprocessedImage ring_image(int size, float inner, float outer) {
  image::PreprocessedImage pre{image::ImageRgba8(size, size), image::Mask(size, size)};
  for (int y = 0; y < size; ++y) {
    for (int x = 0; x < size; ++x) {
      const float mx = (static_cast<float>(x) + 0.5F) / static_cast<float>(size) * 2.0F - 1.0F;
      const float my = 1.0F - (static_cast<float>(y) + 0.5F) / static_cast<float>(size) * 2.0F;
      const float r = std::hypot(mx, my);
      if (r < inner || r > outer) continue;
      pre.mask.at(x, y) = 1;
      pre.canvas.at(x, y) = mx < 0 ? image::Rgba8{255, 0, 0, 255} : image::Rgba8{0, 0, 255, 255};
    }
  }
  return pre;
}

std::unique_ptr<Pipeline> make_pipeline(int resolution, std::size_t target_faces = 0) {
  PipelineOptions options;
  options.shape.resolution = resolution;
  options.post.target_faces = target_faces;
  auto pipeline = Pipeline::create(options);
  EXPECT_TRUE(pipeline.has_value()) << pipeline.error().message();
  return std::move(*pipeline);
}

// The stages in order, from a preprocessed image to a coloured mesh.
mesh::Mesh run_stages(const Pipeline& pipeline, const image::PreprocessedImage& pre) {
  const image::PreprocessedImage* images[] = {&pre};
  auto volumes = pipeline.shape_generation(images);
  EXPECT_TRUE(volumes.has_value() && volumes->size() == 1 && volumes->front().has_value());
  const gpu::DeviceScalarVolume* volume[] = {&*volumes->front()};
  auto meshes = pipeline.mesh_extraction(volume);
  EXPECT_TRUE(meshes.has_value() && meshes->size() == 1);
  auto& mesh = meshes->front();
  EXPECT_TRUE(mesh.has_value()) << mesh.error().message();
  EXPECT_TRUE(pipeline.post_processing(*mesh).has_value());
  EXPECT_TRUE(pipeline.texture_synthesis(*mesh, pre).has_value());
  return std::move(*mesh);
}

void expect_closed_and_clean(const mesh::TopologyReport& topology) {
  EXPECT_TRUE(topology.watertight());
  EXPECT_EQ(topology.boundary_edges, 0U);
  EXPECT_EQ(topology.nonmanifold_edges, 0U);
  EXPECT_EQ(topology.inconsistently_oriented_edges, 0U);
  EXPECT_EQ(topology.degenerate_faces, 0U);
  EXPECT_GT(topology.signed_volume, 0.0);
}

TEST(PipelineTest, DiscInflatesToASphereOfGenusZero) {
  constexpr double kRadius = 0.6;
  const auto pipeline = make_pipeline(128);
  const mesh::Mesh mesh = run_stages(*pipeline, ring_image(512, 0.0F, static_cast<float>(kRadius)));
  const mesh::TopologyReport topology = mesh::analyze_topology(mesh).value();
  expect_closed_and_clean(topology);
  EXPECT_EQ(topology.euler_characteristic, 2);
  EXPECT_EQ(topology.components, 1U);
  const double sphere = 4.0 / 3.0 * std::numbers::pi * kRadius * kRadius * kRadius;
  EXPECT_NEAR(topology.signed_volume / sphere, 1.0, 0.03);
  Vec3f lo{1, 1, 1};
  Vec3f hi{-1, -1, -1};
  for (const Vec3f& p : mesh.positions) {
    lo = {std::min(lo.x, p.x), std::min(lo.y, p.y), std::min(lo.z, p.z)};
    hi = {std::max(hi.x, p.x), std::max(hi.y, p.y), std::max(hi.z, p.z)};
  }
  for (float extent : {hi.x, hi.y, hi.z, -lo.x, -lo.y, -lo.z}) EXPECT_NEAR(extent, kRadius, 0.03 * kRadius);
  ASSERT_EQ(mesh.normals.size(), mesh.positions.size());
  ASSERT_EQ(mesh.colors.size(), mesh.positions.size());
}

TEST(PipelineTest, AnnulusInflatesToATorus) {
  const auto pipeline = make_pipeline(96);
  const mesh::Mesh mesh = run_stages(*pipeline, ring_image(384, 0.3F, 0.8F));
  const mesh::TopologyReport topology = mesh::analyze_topology(mesh).value();
  expect_closed_and_clean(topology);
  EXPECT_EQ(topology.euler_characteristic, 0);
  // The Poisson inflation of 0.3 < r < 0.8: u = −r²/4 + A·ln r + B, zero on both circles, and the
  // volume 2·∫ sqrt(4u)·2πr dr (≈ 0.966: 1.42 times the round-section torus the distance-based
  // inflation made).
  const double a = (0.64 - 0.09) / (4.0 * std::log(0.8 / 0.3));
  const double b = 0.64 / 4.0 - a * std::log(0.8);
  double torus = 0.0;
  constexpr int kSteps = 10000;
  for (int i = 0; i < kSteps; ++i) {
    const double dr = 0.5 / kSteps;
    const double r = 0.3 + (i + 0.5) * dr;
    const double u = -r * r / 4.0 + a * std::log(r) + b;
    torus += 2.0 * std::sqrt(std::max(4.0 * u, 0.0)) * 2.0 * std::numbers::pi * r * dr;
  }
  EXPECT_NEAR(topology.signed_volume / torus, 1.0, 0.03);
}

TEST(PipelineTest, SimplificationMeetsTheFaceBudgetWithoutOpeningTheSurface) {
  const auto pipeline = make_pipeline(128, 5000);
  const mesh::Mesh mesh = run_stages(*pipeline, ring_image(256, 0.0F, 0.7F));
  EXPECT_LE(mesh.triangles.size(), 5000U);
  EXPECT_GE(mesh.triangles.size(), 4000U);
  const mesh::TopologyReport topology = mesh::analyze_topology(mesh).value();
  expect_closed_and_clean(topology);
  EXPECT_EQ(topology.euler_characteristic, 2);
}

TEST(PipelineTest, ColoursComeFromTheImageFrontAndBack) {
  const auto pipeline = make_pipeline(64);
  const mesh::Mesh mesh = run_stages(*pipeline, ring_image(256, 0.0F, 0.7F));
  for (std::size_t i = 0; i < mesh.positions.size(); ++i) {
    const Vec3f p = mesh.positions[i];
    if (std::abs(p.x) < 0.05F) continue;  // the seam between the halves blends
    const mesh::Rgb8 expected = p.x < 0 ? mesh::Rgb8{255, 0, 0} : mesh::Rgb8{0, 0, 255};
    ASSERT_EQ(mesh.colors[i], expected) << "vertex " << i << " at x=" << p.x << " z=" << p.z;
  }
}

TEST(PipelineTest, FloatingSpecksAreRemoved) {
  image::PreprocessedImage pre = ring_image(256, 0.0F, 0.6F);
  // A separate small blob in a corner: inflated, it becomes a tiny floating component.
  for (int y = 10; y < 16; ++y) {
    for (int x = 10; x < 16; ++x) pre.mask.at(x, y) = 1;
  }
  const auto pipeline = make_pipeline(96);
  const mesh::Mesh mesh = run_stages(*pipeline, pre);
  EXPECT_EQ(mesh::analyze_topology(mesh).value().components, 1U);
}

TEST(PipelineTest, CreateRejectsBadOptions) {
  PipelineOptions options;
  options.backend = "nope";
  EXPECT_FALSE(Pipeline::create(options).has_value());
  options = {};
  options.shape.resolution = 2;
  EXPECT_FALSE(Pipeline::create(options).has_value());
  options = {};
  options.post.min_component_fraction = 2.0;
  EXPECT_FALSE(Pipeline::create(options).has_value());
  options = {};
  options.post.base.max_cut_share = 0.0;
  EXPECT_FALSE(Pipeline::create(options).has_value());
  options = {};
  options.min_thickness_mm = -1.0F;
  EXPECT_FALSE(Pipeline::create(options).has_value());
}

TEST(PipelineTest, TheMinimumThicknessFollowsEachJobsSize) {
  PipelineOptions options;
  options.preprocess.border_ratio = 0.15F;  // the object's longer side: 1.7 model units
  options.min_thickness_mm = 2.0F;
  EXPECT_FLOAT_EQ(shape_options_at(options, 100.0F).min_thickness, 0.034F);
  EXPECT_FLOAT_EQ(shape_options_at(options, 50.0F).min_thickness, 0.068F);
  EXPECT_FLOAT_EQ(shape_options_at(options, 1.0F).min_thickness, 1.7F);  // never more than the object
  options.min_thickness_mm = 0.0F;
  EXPECT_EQ(shape_options_at(options, 100.0F).min_thickness, 0.0F);
}

class GenerateTest : public ::testing::Test {
 protected:
  const TempDir temp_;
  const fs::path dir_ = temp_.path();
};

TEST_F(GenerateTest, ReportsEveryStageInOrderAndWritesTheFile) {
  const auto pipeline = make_pipeline(64);
  std::vector<std::string> started;
  std::vector<std::string> finished;
  std::vector<std::pair<std::size_t, std::size_t>> shape_steps;
  const fs::path out = dir_ / "disc.ply";
  const auto report = pipeline->generate(fs::path(ORFEAS_SOURCE_DIR) / "tests/data/disc_rgba.png", out,
                                         [&](const ProgressEvent& event) {
                                           if (event.steps > 0) {
                                             if (event.stage == kShapeGeneration) {
                                               shape_steps.emplace_back(event.step, event.steps);
                                             }
                                             EXPECT_LE(event.step, event.steps);
                                             EXPECT_FALSE(event.done);
                                             return;
                                           }
                                           (event.done ? finished : started).emplace_back(event.stage);
                                         });
  ASSERT_TRUE(report.has_value()) << report.error().message();
  const std::vector<std::string> expected(kStageNames.begin(), kStageNames.end());
  EXPECT_EQ(started, expected);
  EXPECT_EQ(finished, expected);
  // Shape generation reports its steps within, ending with the last.
  ASSERT_FALSE(shape_steps.empty());
  EXPECT_EQ(shape_steps.back().first, shape_steps.back().second);
  for (std::size_t i = 1; i < shape_steps.size(); ++i) EXPECT_GT(shape_steps[i].first, shape_steps[i - 1].first);
  ASSERT_EQ(report->stages.size(), kStageNames.size());
  for (const StageTiming& stage : report->stages) EXPECT_GE(stage.seconds, 0.0);
  EXPECT_EQ(report->format, exporter::Format::kPly);
  EXPECT_GT(report->faces, 1000U);
  EXPECT_TRUE(fs::is_regular_file(out));
  EXPECT_GT(fs::file_size(out), report->faces * 13);
}

TEST_F(GenerateTest, FailsFastOnBadOutputAndLeavesNothing) {
  const auto pipeline = make_pipeline(64);
  const fs::path input = fs::path(ORFEAS_SOURCE_DIR) / "tests/data/disc_rgba.png";
  const auto missing_dir = pipeline->generate(input, dir_ / "no/such/dir/out.stl");
  ASSERT_FALSE(missing_dir.has_value());
  EXPECT_NE(missing_dir.error().message().find("does not exist"), std::string::npos);
  const auto unknown = pipeline->generate(input, dir_ / "out.xyz");
  ASSERT_FALSE(unknown.has_value());
  EXPECT_EQ(unknown.error().code(), ErrorCode::kUnsupportedFormat);
  const auto is_dir = pipeline->generate(input, dir_);
  ASSERT_FALSE(is_dir.has_value());
  const auto bad_input = pipeline->generate(dir_ / "missing.png", dir_ / "out.stl");
  ASSERT_FALSE(bad_input.has_value());
  EXPECT_TRUE(fs::is_empty(dir_));
}

// A job for run_batch from the disc image.
Job disc_job(const fs::path& output, exporter::Format format = exporter::Format::kStl) {
  Job job;
  job.input = fs::path(ORFEAS_SOURCE_DIR) / "tests/data/disc_rgba.png";
  job.output = output;
  job.format = format;
  return job;
}

TEST_F(GenerateTest, AStopCheckEndsOnlyItsJobAtTheNextStageAndWritesNothing) {
  const auto pipeline = make_pipeline(32);
  std::vector<Job> jobs = {disc_job(dir_ / "kept.stl"), disc_job(dir_ / "stopped.stl")};
  std::vector<std::string> stopped_stages;
  bool stop = false;
  jobs[1].context.progress = [&](const ProgressEvent& event) {
    if (!event.done && event.steps == 0) stopped_stages.emplace_back(event.stage);
    if (event.done && event.stage == kMeshExtraction) stop = true;  // cancelled during mesh extraction
  };
  jobs[1].context.stop = [&]() -> Status {
    if (stop) return make_error(ErrorCode::kCancelled, "cancelled by the test");
    return ok();
  };
  const auto results = pipeline->run_batch(jobs);
  ASSERT_TRUE(results.has_value()) << results.error().message();
  ASSERT_TRUE((*results)[0].status.has_value()) << (*results)[0].status.error().message();
  ASSERT_FALSE((*results)[1].status.has_value());
  EXPECT_EQ((*results)[1].status.error().code(), ErrorCode::kCancelled);
  const std::vector<std::string> expected = {std::string(kImagePreprocessing), std::string(kShapeGeneration),
                                             std::string(kMeshExtraction)};
  EXPECT_EQ(stopped_stages, expected) << "no stage starts after the stop";
  EXPECT_TRUE(fs::is_regular_file(dir_ / "kept.stl"));
  EXPECT_FALSE(fs::exists(dir_ / "stopped.stl"));
}

TEST_F(GenerateTest, AStopBeforeTheBatchedStagesLeavesTheJobOutOfThem) {
  const auto pipeline = make_pipeline(32);
  std::vector<Job> jobs = {disc_job(dir_ / "late.stl")};
  jobs[0].context.progress = [](const ProgressEvent& event) {
    EXPECT_NE(event.stage, kShapeGeneration) << "the stopped job never reaches the device";
  };
  int checks = 0;
  jobs[0].context.stop = [&]() -> Status {
    if (++checks > 1) return make_error(ErrorCode::kDeadlineExceeded, "too late");
    return ok();
  };
  const auto results = pipeline->run_batch(jobs);
  ASSERT_TRUE(results.has_value());
  ASSERT_FALSE((*results)[0].status.has_value());
  EXPECT_EQ((*results)[0].status.error().code(), ErrorCode::kDeadlineExceeded);
  EXPECT_FALSE(fs::exists(dir_ / "late.stl"));
}

// Each job's profile: the stages at the top, and the batched stages' sub-stages under them.
TEST_F(GenerateTest, EveryJobOfABatchGetsTheSubStagesUnderItsOwnStages) {
  const auto pipeline = make_pipeline(32);
  auto profiler = profiling::Profiler::create({});
  ASSERT_TRUE(profiler);
  std::vector<Job> jobs = {disc_job(dir_ / "a.stl"), disc_job(dir_ / "b.stl")};
  for (Job& job : jobs) {
    job.context.profiler = profiler->get();
    job.context.job = (*profiler)->begin_pipeline(job.output.filename().string());
  }
  const auto results = pipeline->run_batch(jobs);
  ASSERT_TRUE(results.has_value());
  for (const Job& job : jobs) {
    auto profile = (*profiler)->end_pipeline(job.context.job);
    ASSERT_TRUE(profile);
    std::vector<std::string> top;
    std::vector<std::string> tree;  // "parent/child"
    for (const profiling::StageProfile& stage : profile->stages) {
      if (stage.top_level()) {
        top.push_back(stage.name);
      } else {
        const profiling::StageProfile& parent = profile->stages[static_cast<std::size_t>(stage.parent)];
        tree.push_back(parent.name + "/" + stage.name);
        EXPECT_GE(stage.start_ms, parent.start_ms);
        EXPECT_LE(stage.start_ms + stage.wall_ms, parent.start_ms + parent.wall_ms + 1e-6);
      }
    }
    if constexpr (!profiling::kProfilingEnabled) {
      EXPECT_TRUE(profile->stages.empty());
      continue;
    }
    EXPECT_EQ(top, std::vector<std::string>(kStageNames.begin(), kStageNames.end()));
    // The CPU takes the batch's items one after another: each job's profile holds its own item's.
    const std::vector<std::string> expected = {"shape_generation/inflate_field", "inflate_field/poisson_solve",
                                               "shape_generation/volume_sampling", "mesh_extraction/marching_cubes",
                                               "mesh_extraction/normals"};
    EXPECT_EQ(tree, expected);
  }
}

TEST_F(GenerateTest, SizeAndFaceBudgetArePerJobWithinOneBatch) {
  const auto pipeline = make_pipeline(48);
  std::vector<Job> jobs = {disc_job(dir_ / "default.stl"), disc_job(dir_ / "small.stl")};
  jobs[1].size_mm = 20.0F;
  jobs[1].target_faces = 300;
  const auto results = pipeline->run_batch(jobs);
  ASSERT_TRUE(results.has_value());
  for (const JobResult& result : *results) ASSERT_TRUE(result.status.has_value()) << result.status.error().message();
  EXPECT_GT((*results)[0].report.faces, 1000U);
  EXPECT_LE((*results)[1].report.faces, 300U);
  EXPECT_EQ((*results)[1].report.post.target_faces, 300U);
  // The longest side of each file, in millimetres.
  const auto longest_side = [](const fs::path& path) {
    const auto stl = exporter::read_stl_binary(path);
    EXPECT_TRUE(stl.has_value());
    std::vector<Vec3f> corners;
    for (const auto& triangle : stl->triangles)
      corners.insert(corners.end(), triangle.vertices.begin(), triangle.vertices.end());
    return exporter::compute_bounds(corners).longest_side();
  };
  EXPECT_NEAR(longest_side(dir_ / "default.stl"), 100.0F, 0.01F);
  EXPECT_NEAR(longest_side(dir_ / "small.stl"), 20.0F, 0.01F);
}

TEST_F(GenerateTest, PrintFormatsStandOnAFlatBaseByDefaultAndTheBaseIsPerJob) {
  PipelineOptions options;
  options.shape.resolution = 48;
  options.post.print_report = true;
  const auto pipeline = Pipeline::create(options);
  ASSERT_TRUE(pipeline.has_value());
  std::vector<Job> jobs = {disc_job(dir_ / "auto.stl"), disc_job(dir_ / "none.stl"),
                           disc_job(dir_ / "auto.glb", exporter::Format::kGlb), disc_job(dir_ / "plinth.stl")};
  jobs[1].base = meshtools::BaseMode::kNone;
  jobs[3].base = meshtools::BaseMode::kPlinth;
  const auto results = (*pipeline)->run_batch(jobs);
  ASSERT_TRUE(results.has_value());
  for (const JobResult& result : *results) {
    ASSERT_TRUE(result.status.has_value()) << result.status.error().message();
    ASSERT_TRUE(result.report.post.print.has_value());
  }
  const PostProcessStats& flat = (*results)[0].report.post;
  const PostProcessStats& none = (*results)[1].report.post;
  EXPECT_EQ(flat.base.mode, meshtools::BaseMode::kFlat);
  EXPECT_TRUE(flat.base.stable) << flat.base.note;
  EXPECT_EQ(none.base.mode, meshtools::BaseMode::kNone);
  EXPECT_EQ((*results)[2].report.post.base.mode, meshtools::BaseMode::kNone) << "GLB is not for printing";
  EXPECT_EQ((*results)[3].report.post.base.mode, meshtools::BaseMode::kPlinth);
  // An inflated disc of 100 mm is a lens standing on its edge: flat, it stands on a few cm².
  EXPECT_GT(flat.print->footprint_mm2, 100.0);
  EXPECT_LT(none.print->footprint_mm2, 0.1 * flat.print->footprint_mm2);
  EXPECT_GT((*results)[3].report.post.print->footprint_mm2, flat.print->footprint_mm2);
  EXPECT_GT(flat.print->min_wall_mm, 1.0);

  // The file stands on that face: the faces at z = 0 add up to the footprint.
  const auto stl = exporter::read_stl_binary(dir_ / "auto.stl");
  ASSERT_TRUE(stl.has_value());
  double on_bed = 0.0;
  for (const auto& facet : stl->triangles) {
    const auto& v = facet.vertices;
    if (v[0].z == 0.0F && v[1].z == 0.0F && v[2].z == 0.0F) on_bed += 0.5 * length(cross(v[1] - v[0], v[2] - v[0]));
  }
  EXPECT_NEAR(on_bed, flat.print->footprint_mm2, 0.01 * flat.print->footprint_mm2);
}

}  // namespace
}  // namespace orfeas::pipeline
