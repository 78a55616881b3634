#include "generate_command.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "cli_common.h"
#include "orfeas/export/format.h"
#include "orfeas/gpu/device.h"
#include "orfeas/meshtools/base.h"
#include "orfeas/meshtools/print_report.h"
#include "orfeas/pipeline/batch_processor.h"
#include "orfeas/profiling/stage_scope.h"
#include "orfeas/shape/hunyuan3d_backend.h"
#include "orfeas/shape/shape_backend.h"
#include "orfeas/texture/vertex_colors.h"

namespace orfeas::cli {
namespace {

namespace fs = std::filesystem;

struct GenerateArgs {
  std::vector<std::string> inputs;
  std::string output;
  std::string out_dir;
  std::string format = "stl";
  std::string device = "cpu";
  std::string profile_path;
  std::string trace_path;
  std::string data_dir;
  std::string mask;  // --mask FILE: the user's mask for the one image
  std::string back = "regions";
  std::string on_uncertain_mask = "stop";
  std::string base = "auto";
  std::size_t batch_size = 0;
  pipeline::PipelineOptions options;
  int octree = 0;  // --octree: the hunyuan3d backend's name for --resolution (default 384 there)
  bool resolution_given = false;
  bool min_thickness_given = false;  // else the default, which a small --size-mm caps (shape_options_at)
  bool quiet = false;
  bool verbose = false;  // -v: the print report
};

GenerateArgs& args() {
  static GenerateArgs instance;
  return instance;
}

// Progress on stderr, redrawn in place, only when a person is watching.
void print_progress(const pipeline::ProgressEvent& event) {
  std::string state = event.done ? " done" : "…";
  if (!event.done && event.steps > 0) state = fmt::format(" {}/{}", event.step, event.steps);
  fmt::print(stderr, "\r\033[K[{}/{}] {}{}", event.index + 1, pipeline::kStageNames.size(), event.stage, state);
  std::fflush(stderr);
}

void print_report(const pipeline::GenerateReport& report) {
  fmt::print("wrote {} ({}, {} faces, {} vertices)\n", report.output.string(), exporter::format_name(report.format),
             report.faces, report.vertices);
  for (const pipeline::StageTiming& stage : report.stages) {
    fmt::print("  {:<20} {:9.1f} ms\n", stage.name, stage.seconds * 1000.0);
  }
  fmt::print("  {:<20} {:9.1f} ms\n", "total", report.total_seconds * 1000.0);
}

// -v: how the model will print, as measured on the written mesh (meshtools/print_report.h).
void print_print_report(const pipeline::PostProcessStats& post, float size_mm) {
  if (!post.print) return;
  const meshtools::PrintReport& r = *post.print;
  fmt::print("  print report (at {:g} mm, standing as the STL does):\n", size_mm);
  if (post.base.mode == meshtools::BaseMode::kNone) {
    fmt::print("    {:<18} none\n", "base");
  } else {
    fmt::print("    {:<18} {}, {:.1f} % of the height cut{}\n", "base", meshtools::base_mode_name(post.base.mode),
               post.base.cut_share * 100.0, post.base.stable ? "" : " (unstable)");
  }
  fmt::print("    {:<18} {:.1f} mm²\n", "footprint", r.footprint_mm2);
  fmt::print("    {:<18} {:.2f} mm ({:.1f} % of the surface under {:g} mm)\n", "thinnest wall", r.min_wall_mm,
             r.thin_share * 100.0, meshtools::kThinWallMm);
  fmt::print("    {:<18} {:.1f} mm² ({:.1f} % of the surface)\n", "overhangs > 45°", r.overhang_mm2,
             r.overhang_share * 100.0);
}

bool is_image_name(const fs::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext == ".png" || ext == ".jpg" || ext == ".jpeg" || ext == ".webp";
}

// Inputs as given; a folder stands for the images directly inside it, in name order.
Result<std::vector<fs::path>> expand_inputs(const std::vector<std::string>& inputs) {
  std::vector<fs::path> images;
  for (const std::string& input : inputs) {
    std::error_code ec;
    if (!fs::is_directory(input, ec)) {
      images.emplace_back(input);
      continue;
    }
    std::vector<fs::path> found;
    for (const auto& entry : fs::directory_iterator(input, ec)) {
      if (entry.is_regular_file(ec) && is_image_name(entry.path())) found.push_back(entry.path());
    }
    if (ec) return make_error(ErrorCode::kIoError, "cannot list folder '" + input + "': " + ec.message());
    if (found.empty()) {
      return make_error(ErrorCode::kNotFound, "folder '" + input + "' holds no PNG, JPEG or WebP images");
    }
    std::sort(found.begin(), found.end());
    images.insert(images.end(), found.begin(), found.end());
  }
  return images;
}

// One job per image; in a folder, outputs are named after the inputs ("cat.png" → "cat.stl"),
// "cat_2.stl" when two inputs share a stem.
Result<std::vector<pipeline::BatchJob>> plan_jobs(const GenerateArgs& a) {
  std::vector<pipeline::BatchJob> jobs;
  if (!a.output.empty()) {  // one image, taken as given (a folder here is an error the decoder names)
    if (a.inputs.size() != 1) {
      return make_error(ErrorCode::kInvalidArgument, "-o names one output file but " + std::to_string(a.inputs.size()) +
                                                         " images were given: use --out-dir DIR --format FMT");
    }
    ORFEAS_ASSIGN_OR_RETURN(const exporter::Format format, exporter::format_from_path(a.output));
    ORFEAS_RETURN_IF_ERROR(exporter::format_available(format));
    jobs.push_back({a.inputs.front(), a.output, format});
    jobs.back().mask = a.mask;
    return jobs;
  }
  if (!a.mask.empty()) {
    return make_error(ErrorCode::kInvalidArgument, "--mask goes with one image and -o OUT, not with --out-dir");
  }
  ORFEAS_ASSIGN_OR_RETURN(const std::vector<fs::path> images, expand_inputs(a.inputs));
  ORFEAS_ASSIGN_OR_RETURN(const exporter::Format format, exporter::parse_format(a.format));
  ORFEAS_RETURN_IF_ERROR(exporter::format_available(format));
  std::map<std::string, int> used;
  for (const fs::path& image : images) {
    const std::string stem = image.stem().string();
    const int n = ++used[stem];
    const std::string name = (n == 1 ? stem : stem + "_" + std::to_string(n)) + "." + a.format;
    jobs.push_back({image, fs::path(a.out_dir) / name, format});
  }
  return jobs;
}

int fail(const Error& error) {
  fmt::print(stderr, "orfeas: error: {}\n", error.message());
  return 1;
}

}  // namespace

void add_generate_command(CLI::App& app) {
  GenerateArgs& a = args();
  CLI::App* cmd = app.add_subcommand("generate", "Turn images into 3D meshes");
  cmd->add_option("images", a.inputs, "Input images (PNG, JPEG or WebP) or folders of them")->required();
  auto* output =
      cmd->add_option("-o,--output", a.output,
                      "Output mesh for a single image; the extension picks the format: .stl .glb .obj .ply .3mf");
  auto* out_dir =
      cmd->add_option("--out-dir", a.out_dir, "Output folder for several images")->check(CLI::ExistingDirectory);
  output->excludes(out_dir);
  out_dir->excludes(output);
  cmd->add_option("--format", a.format, "Output format with --out-dir")
      ->default_val("stl")
      ->check(CLI::IsMember({"stl", "glb", "obj", "ply", "3mf"}))
      ->needs(out_dir);
  cmd->add_option("--resolution", a.options.shape.resolution, "Grid cells per axis (hunyuan3d: 384 unless given)")
      ->default_val(256)
      ->check(CLI::Range(8, 1024))
      ->each([](const std::string&) { args().resolution_given = true; });
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
  cmd->add_option("--min-thickness", a.options.min_thickness_mm,
                  "inflate: least thickness of the object's inner parts in millimetres at --size-mm (0: none)")
      ->default_val(2.0F)
      ->check(CLI::Range(0.0F, 1000.0F))
      ->each([](const std::string&) { args().min_thickness_given = true; });
  cmd->add_option("--backend", a.options.backend, "Shape backend")
      ->default_val("inflate")
      ->check(CLI::IsMember(shape::shape_backend_names()));
  // The hunyuan3d backend (the native Hunyuan3D-2 engine); defaults as the reference's.
  shape::Hunyuan3DSettings& h = a.options.shape.hunyuan3d;
  cmd->add_option("--model", h.model_dir, "hunyuan3d: the model folder (hunyuan3d-dit-*: config.yaml + safetensors)");
  cmd->add_option("--steps", h.steps, "hunyuan3d: diffusion steps (0: the model's, 50; 5 for -turbo)")
      ->default_val(0)
      ->check(CLI::Range(0, 1000));
  cmd->add_option("--guidance", h.guidance_scale, "hunyuan3d: guidance scale")->default_val(5.0);
  cmd->add_option("--octree", a.octree, "hunyuan3d: octree resolution (the volume's cells per axis)")
      ->check(CLI::Range(8, 1024));
  cmd->add_option("--seed", h.seed, "hunyuan3d: the noise's seed (as torch.manual_seed)")->default_val(0);
  cmd->add_option("--dtype", h.dtype, "hunyuan3d: bf16, fp16, fp32 or auto (fp16 on a GPU, fp32 on the CPU)")
      ->default_val("auto")
      ->check(CLI::IsMember({"auto", "bf16", "fp16", "fp32"}));
  cmd->add_option("--decoder", h.decoder, "hunyuan3d: volume decoding, dense or hierarchical")
      ->default_val("dense")
      ->check(CLI::IsMember({"dense", "hierarchical"}));
  cmd->add_option("--device", a.device, "Where shape generation and mesh extraction run: cpu, cuda or cuda:N")
      ->default_val("cpu")
      ->check([](const std::string& text) {
        auto device = gpu::parse_device(text);
        return device ? std::string() : device.error().message();
      });
  cmd->add_option("--batch-size", a.batch_size, "Jobs per batch (0: as the GPU optimizer recommends)")->default_val(0);
  cmd->add_option("--profile", a.profile_path, "Write a profiling report (JSON) here");
  cmd->add_option("--trace", a.trace_path, "Write a Chrome trace-event file (opens in Perfetto) here");
  cmd->add_option("--data-dir", a.data_dir, "Where the GPU optimizer keeps its calibration")
      ->default_str(default_data_dir().string());
  cmd->add_option("--mask", a.mask,
                  "The object's mask for the one image (same size; white on black, or opaque on transparent) "
                  "instead of the detected foreground")
      ->check(CLI::ExistingFile);
  cmd->add_option("--back", a.back,
                  "The back's colours: regions (the front's regions without their details), mirror, or #RRGGBB")
      ->default_val("regions");
  cmd->add_option("--on-uncertain-mask", a.on_uncertain_mask,
                  "When the object of an opaque photo cannot be told from its background: stop (exit 1) or warn and "
                  "go on")
      ->check(CLI::IsMember({"stop", "warn"}))
      ->default_val("stop");
  cmd->add_option("--base", a.base,
                  "What the model stands on: flat (the bottom cut flat where it stands stably), plinth (a plate "
                  "under it), none; auto: flat for STL and 3MF, none for the other formats")
      ->check(CLI::IsMember({"auto", "flat", "plinth", "none"}))
      ->default_val("auto");
  auto* quiet = cmd->add_flag("-q,--quiet", a.quiet, "Print nothing but errors");
  cmd->add_flag("-v,--verbose", a.verbose,
                "Also print the print report: footprint on the bed, thinnest wall, overhangs beyond 45°")
      ->excludes(quiet);
}

int run_generate() {
  const GenerateArgs& a = args();
  if (a.output.empty() && a.out_dir.empty()) {
    fmt::print(stderr, "orfeas: error: give -o OUT for one image or --out-dir DIR for several\n");
    return 2;
  }
  if (!profiling::kProfilingEnabled && (!a.profile_path.empty() || !a.trace_path.empty())) {
    fmt::print(stderr,
               "orfeas: error: --profile and --trace need the profiler, which this build leaves out "
               "(ORFEAS_WITH_PROFILING=OFF)\n");
    return 2;
  }
  if (a.min_thickness_given && a.options.min_thickness_mm > a.options.output.size_mm) {
    fmt::print(stderr, "orfeas: error: --min-thickness {} mm is more than the model's longest side (--size-mm {})\n",
               a.options.min_thickness_mm, a.options.output.size_mm);
    return 2;
  }
  auto jobs = plan_jobs(a);
  if (!jobs) return fail(jobs.error());
  const bool single = !a.output.empty();

  pipeline::BatchOptions options;
  options.pipeline = a.options;
  auto colours = texture::parse_back_colours(a.back, options.pipeline.colours);
  if (!colours) {
    fmt::print(stderr, "orfeas: error: --back: {}\n", colours.error().message());
    return 2;
  }
  options.pipeline.colours = *colours;
  options.pipeline.preprocess.refuse_doubtful_mask = a.on_uncertain_mask == "stop";
  auto base = meshtools::parse_base_mode(a.base);
  if (!base) return fail(base.error());
  options.pipeline.post.base.mode = *base;
  options.pipeline.post.print_report = a.verbose;
  if (options.pipeline.backend == shape::kHunyuan3DBackendName) {
    if (a.octree > 0) {
      options.pipeline.shape.resolution = a.octree;
    } else if (!a.resolution_given) {
      options.pipeline.shape.resolution = 384;  // the reference's default
    }
  }
  auto device = gpu::parse_device(a.device);
  if (!device) return fail(device.error());
  options.pipeline.device = *device;
  options.data_dir = a.data_dir.empty() ? default_data_dir() : fs::path(a.data_dir);
  options.batch_size = a.batch_size;
  const bool show_progress = single && !a.quiet && ::isatty(STDERR_FILENO) == 1;
  if (show_progress) jobs->front().progress = print_progress;
  auto processor = pipeline::BatchProcessor::create(std::move(options));
  if (!processor) return fail(processor.error());
  if (const auto& warning = (*processor)->calibration_warning()) {
    fmt::print(stderr, "orfeas: warning: {}\n", *warning);
  }
  if (const auto load = (*processor)->pipeline().backend().model_load(); load && !a.quiet) {
    fmt::print("{}\n", shape::describe(*load));
  }
  auto profiler = make_profiler((*processor)->memory_pool());
  if (!profiler) return fail(profiler.error());
  (*processor)->set_profiler(profiler->get());

  std::size_t done = 0;
  std::size_t failed = 0;
  const std::size_t total = jobs->size();
  (*processor)->run(*jobs, [&](const pipeline::JobOutcome& outcome) {
    if (show_progress) fmt::print(stderr, "\r\033[K");
    ++done;
    if (!outcome.status) {
      ++failed;
      std::fflush(stdout);  // keep the per-job lines in order when both streams go to one place
      fmt::print(stderr, "orfeas: error: {}\n", outcome.status.error().message());
      return;
    }
    if (!outcome.report.mask_doubt.empty()) {
      std::fflush(stdout);
      fmt::print(stderr, "orfeas: warning: {}: {}\n", outcome.job.input.string(), outcome.report.mask_doubt);
    }
    // --faces not reached: say why, even when quiet (the user asked for a number and did not get it).
    if (!outcome.report.post.simplify_note.empty()) {
      std::fflush(stdout);
      fmt::print(stderr, "orfeas: warning: {}: {}\n", outcome.job.output.string(), outcome.report.post.simplify_note);
    }
    // A base that does not carry the model, or none made: say so, even when quiet.
    if (!outcome.report.post.base.note.empty()) {
      std::fflush(stdout);
      fmt::print(stderr, "orfeas: warning: {}: {}\n", outcome.job.output.string(), outcome.report.post.base.note);
    }
    if (a.quiet) return;
    if (single) {
      print_report(outcome.report);
    } else {
      fmt::print("[{}/{}] {} → {} ({} faces, {:.0f} ms, batch {})\n", done, total, outcome.job.input.string(),
                 outcome.report.output.string(), outcome.report.faces, outcome.report.total_seconds * 1000.0,
                 outcome.batch + 1);
    }
    print_print_report(outcome.report.post, a.options.output.size_mm);
  });
  if (!single && !a.quiet) {
    fmt::print("{} of {} images done in {} batches", total - failed, total, (*processor)->batches_run());
    if (failed > 0) fmt::print("; {} failed", failed);
    fmt::print("\n");
  }
  if (const Status written = write_profile_outputs(**profiler, a.profile_path, a.trace_path); !written) {
    return fail(written.error());
  }
  return failed > 0 ? 1 : 0;
}

}  // namespace orfeas::cli
