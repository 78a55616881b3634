#include "generate_command.h"

#include <unistd.h>

#include <cstdio>
#include <string>

#include "orfeas/export/format.h"
#include "orfeas/pipeline/pipeline.h"
#include "orfeas/shape/shape_backend.h"

namespace orfeas::cli {
namespace {

struct GenerateArgs {
  std::string input;
  std::string output;
  pipeline::PipelineOptions options;
  bool quiet = false;
};

GenerateArgs& args() {
  static GenerateArgs instance;
  return instance;
}

// Progress on stderr, redrawn in place, only when a person is watching.
void print_progress(const pipeline::ProgressEvent& event) {
  std::fprintf(stderr, "\r\033[K[%zu/%zu] %.*s%s", event.index + 1, pipeline::kStageNames.size(),
               static_cast<int>(event.stage.size()), event.stage.data(), event.done ? " done" : "…");
  std::fflush(stderr);
}

void print_report(const pipeline::GenerateReport& report) {
  std::printf("wrote %s (%s, %zu faces, %zu vertices)\n", report.output.c_str(),
              std::string(exporter::format_name(report.format)).c_str(), report.faces, report.vertices);
  for (const pipeline::StageTiming& stage : report.stages) {
    std::printf("  %-20s %9.1f ms\n", stage.name.c_str(), stage.seconds * 1000.0);
  }
  std::printf("  %-20s %9.1f ms\n", "total", report.total_seconds * 1000.0);
}

}  // namespace

void add_generate_command(CLI::App& app) {
  GenerateArgs& a = args();
  CLI::App* cmd = app.add_subcommand("generate", "Turn one image into a 3D mesh");
  cmd->add_option("image", a.input, "Input image (PNG, JPEG or WebP)")->required();
  cmd->add_option("-o,--output", a.output, "Output mesh; the extension picks the format: .stl .glb .obj .ply")
      ->required();
  cmd->add_option("--resolution", a.options.shape.resolution, "Grid cells per axis")
      ->default_val(256)
      ->check(CLI::Range(8, 1024));
  cmd->add_option("--size-mm", a.options.output.size_mm, "Longest side of the model in millimetres")
      ->default_val(100.0F)
      ->check(CLI::Range(0.01F, 100000.0F));
  cmd->add_option("--faces", a.options.post.target_faces, "Target face count for simplification (0 keeps all)")
      ->default_val(a.options.post.target_faces);
  cmd->add_option("--border", a.options.preprocess.border_ratio, "Border ratio around the object")
      ->default_val(0.15F)
      ->check(CLI::Range(0.0F, 0.9F));
  cmd->add_option("--thickness", a.options.shape.thickness, "Depth scale of the inflation (1 = round)")
      ->default_val(1.0F)
      ->check(CLI::Range(0.05F, 4.0F));
  cmd->add_option("--backend", a.options.backend, "Shape backend")
      ->default_val("inflate")
      ->check(CLI::IsMember(shape::shape_backend_names()));
  cmd->add_flag("-q,--quiet", a.quiet, "Print nothing but errors");
}

int run_generate() {
  const GenerateArgs& a = args();
  auto pipeline = pipeline::Pipeline::create(a.options);
  if (!pipeline) {
    std::fprintf(stderr, "orfeas: error: %s\n", pipeline.error().message().c_str());
    return 2;
  }
  const bool show_progress = !a.quiet && ::isatty(STDERR_FILENO) == 1;
  pipeline::ProgressCallback progress;
  if (show_progress) progress = print_progress;
  auto report = (*pipeline)->generate(a.input, a.output, progress);
  if (show_progress) std::fprintf(stderr, "\r\033[K");
  if (!report) {
    std::fprintf(stderr, "orfeas: error: %s\n", report.error().message().c_str());
    return 1;
  }
  if (!a.quiet) print_report(*report);
  return 0;
}

}  // namespace orfeas::cli
