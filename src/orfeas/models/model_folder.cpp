#include "orfeas/models/model_folder.h"

#include <algorithm>
#include <array>
#include <optional>
#include <system_error>
#include <utility>
#include <variant>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace orfeas::models {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kConfigName = "config.yaml";
constexpr std::array<std::string_view, 2> kWeightNames = {"model.fp16.safetensors", "model.safetensors"};
constexpr std::array<std::string_view, 2> kCheckpointNames = {"model.fp16.ckpt", "model.ckpt"};
constexpr std::string_view kDitPrefix = "hunyuan3d-dit-";
constexpr std::string_view kVaePrefix = "hunyuan3d-vae-";

bool file_exists(const fs::path& path) {
  std::error_code error;
  return fs::is_regular_file(path, error);  // follows links, as the hub cache's files are links
}

bool directory_exists(const fs::path& path) {
  std::error_code error;
  return fs::is_directory(path, error);
}

bool contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

// `text` as a Python single-quoted string literal.
std::string python_literal(std::string_view text) {
  std::string literal = "'";
  for (const char c : text) {
    if (c == '\\' || c == '\'') literal.push_back('\\');
    literal.push_back(c);
  }
  literal.push_back('\'');
  return literal;
}

// `text` escaped for the inside of a shell double-quoted string.
std::string shell_double_quoted(std::string_view text) {
  std::string quoted;
  for (const char c : text) {
    if (c == '\\' || c == '"' || c == '$' || c == '`') quoted.push_back('\\');
    quoted.push_back(c);
  }
  return quoted;
}

// The one-liner that rewrites a pickled checkpoint as safetensors. `prefixed`: a DiT checkpoint,
// a dict {"model": state dict, "vae": ..., "conditioner": ...} flattened to "model.<key>" etc., the
// official safetensors layout; otherwise a plain (VAE) state dict.
std::string conversion_command(const fs::path& checkpoint, const fs::path& target, bool prefixed) {
  const std::string tensors = prefixed
                                  ? "{f'{k}.{n}': t.contiguous().clone() for k, sd in c.items() for n, t in sd.items()}"
                                  : "{n: t.contiguous().clone() for n, t in c.items()}";
  const std::string script = fmt::format(
      "import torch, safetensors.torch as st; c = torch.load({}, map_location='cpu', weights_only=True); "
      "st.save_file({}, {})",
      python_literal(checkpoint.string()), tensors, python_literal(target.string()));
  return fmt::format("python3 -c \"{}\"", shell_double_quoted(script));
}

// The safetensors weights of `dir`, preferring the fp16 file; kNotFound (with the conversion
// command when a .ckpt is there) otherwise.
Result<fs::path> find_weights(const fs::path& dir, bool prefixed) {
  for (const std::string_view name : kWeightNames) {
    if (file_exists(dir / name)) return dir / name;
  }
  for (const std::string_view name : kCheckpointNames) {
    const fs::path checkpoint = dir / name;
    if (!file_exists(checkpoint)) continue;
    const bool fp16 = name == kCheckpointNames[0];
    const fs::path target = dir / (fp16 ? kWeightNames[0] : kWeightNames[1]);
    return make_error(
        ErrorCode::kNotFound,
        fmt::format("'{}' holds only {}, a pickled PyTorch checkpoint, which is not read here; convert "
                    "it once to {} (needs Python with torch and safetensors):\n  {}",
                    dir.string(), name, target.filename().string(), conversion_command(checkpoint, target, prefixed)));
  }
  return make_error(ErrorCode::kNotFound,
                    fmt::format("'{}' holds no weights ({} or {})", dir.string(), kWeightNames[0], kWeightNames[1]));
}

struct Resolved {
  fs::path dir;
  std::string note;
};

// `dir` itself when it holds config.yaml, else its one `<prefix>*` subfolder.
Result<Resolved> resolve_folder(const fs::path& dir, std::string_view prefix) {
  if (!directory_exists(dir)) {
    return make_error(ErrorCode::kNotFound, fmt::format("model folder '{}' does not exist", dir.string()));
  }
  if (file_exists(dir / kConfigName)) return Resolved{dir, ""};

  std::vector<std::string> candidates;
  std::error_code error;
  for (fs::directory_iterator it(dir, error), end; !error && it != end; it.increment(error)) {
    const std::string name = it->path().filename().string();
    if (name.starts_with(prefix) && directory_exists(it->path())) candidates.push_back(name);
  }
  if (error) {
    return make_error(ErrorCode::kIoError, fmt::format("cannot list '{}': {}", dir.string(), error.message()));
  }
  std::sort(candidates.begin(), candidates.end());
  if (candidates.empty()) {
    return make_error(ErrorCode::kNotFound,
                      fmt::format("'{}' holds no {} and no {}* folder", dir.string(), kConfigName, prefix));
  }
  if (candidates.size() > 1) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("'{}' holds several models ({}); pass the one to use, e.g. '{}'", dir.string(),
                                  fmt::join(candidates, ", "), (dir / candidates.front()).string()));
  }
  const fs::path chosen = dir / candidates.front();
  if (!file_exists(chosen / kConfigName)) {
    return make_error(ErrorCode::kNotFound, fmt::format("'{}' holds no {}", chosen.string(), kConfigName));
  }
  return Resolved{chosen,
                  fmt::format("used {}, the only {}* folder in '{}'", candidates.front(), prefix, dir.string())};
}

// The folder's own name, also for "dir/" and "." (which have no filename of their own).
std::string folder_name(const fs::path& dir) {
  std::error_code error;
  fs::path canonical = fs::weakly_canonical(dir, error);
  if (error) canonical = dir.lexically_normal();
  if (!canonical.has_filename()) canonical = canonical.parent_path();
  return canonical.filename().string();
}

enum class Family { kV2_0, kMini, kMultiView, kV2_1 };
enum class Distillation { kNone, kGuidance, kStep };

}  // namespace

std::string_view variant_name(ModelVariant variant) {
  switch (variant) {
    case ModelVariant::kV2_0:
      return "v2-0";
    case ModelVariant::kV2_0Fast:
      return "v2-0-fast";
    case ModelVariant::kV2_0Turbo:
      return "v2-0-turbo";
    case ModelVariant::kMini:
      return "v2-mini";
    case ModelVariant::kMiniFast:
      return "v2-mini-fast";
    case ModelVariant::kMiniTurbo:
      return "v2-mini-turbo";
    case ModelVariant::kMultiView:
      return "v2-mv";
    case ModelVariant::kMultiViewFast:
      return "v2-mv-fast";
    case ModelVariant::kMultiViewTurbo:
      return "v2-mv-turbo";
    case ModelVariant::kV2_1:
      return "v2-1";
  }
  return "?";
}

ModelVariant detect_variant(const PipelineConfig& config, std::string_view folder_name) {
  const auto* dit = std::get_if<Hunyuan3DDitConfig>(&config.denoiser);
  if (dit == nullptr) return ModelVariant::kV2_1;

  Family family = Family::kV2_0;
  if (config.conditioner == ConditionerKind::kDinoImageEncoderMV) {
    family = Family::kMultiView;
  } else if (contains(folder_name, "mini")) {
    family = Family::kMini;
  } else if (!contains(folder_name, "v2-0") && dit->depth == 8 && dit->depth_single_blocks == 16) {
    family = Family::kMini;
  }

  Distillation distillation = Distillation::kNone;
  if (config.scheduler.kind == SchedulerKind::kConsistencyFlowMatchEuler) {
    distillation = Distillation::kStep;
  } else if (dit->guidance_embed) {
    distillation = contains(folder_name, "turbo") ? Distillation::kStep : Distillation::kGuidance;
  }

  constexpr std::array<std::array<ModelVariant, 3>, 3> kTable = {{
      {ModelVariant::kV2_0, ModelVariant::kV2_0Fast, ModelVariant::kV2_0Turbo},
      {ModelVariant::kMini, ModelVariant::kMiniFast, ModelVariant::kMiniTurbo},
      {ModelVariant::kMultiView, ModelVariant::kMultiViewFast, ModelVariant::kMultiViewTurbo},
  }};
  return kTable[static_cast<std::size_t>(family)][static_cast<std::size_t>(distillation)];
}

Result<ModelFolder> locate_model(const fs::path& dir) {
  ORFEAS_ASSIGN_OR_RETURN(Resolved resolved, resolve_folder(dir, kDitPrefix));
  ModelFolder folder;
  folder.dir = std::move(resolved.dir);
  folder.note = std::move(resolved.note);
  folder.config_path = folder.dir / kConfigName;
  ORFEAS_ASSIGN_OR_RETURN(folder.weights_path, find_weights(folder.dir, true));
  ORFEAS_ASSIGN_OR_RETURN(folder.config, read_pipeline_config(folder.config_path));
  folder.variant = detect_variant(folder.config, folder_name(folder.dir));
  return folder;
}

Result<VaeFolder> locate_vae(const fs::path& dir) {
  ORFEAS_ASSIGN_OR_RETURN(Resolved resolved, resolve_folder(dir, kVaePrefix));
  VaeFolder folder;
  folder.dir = std::move(resolved.dir);
  folder.note = std::move(resolved.note);
  folder.config_path = folder.dir / kConfigName;
  ORFEAS_ASSIGN_OR_RETURN(folder.weights_path, find_weights(folder.dir, false));
  ORFEAS_ASSIGN_OR_RETURN(folder.config, read_vae_config(folder.config_path));
  return folder;
}

}  // namespace orfeas::models
