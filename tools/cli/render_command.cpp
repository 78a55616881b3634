#include "render_command.h"

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "orfeas/core/atomic_file.h"
#include "orfeas/image/decode.h"
#include "orfeas/image/png_encoder.h"
#include "orfeas/meshtools/mesh_io.h"
#include "orfeas/render/contact_sheet.h"
#include "orfeas/render/rasterizer.h"

namespace orfeas::cli {
namespace {

struct RenderArgs {
  std::vector<std::string> meshes;
  std::vector<std::string> images;
  std::vector<std::string> views{"front", "side", "back"};
  std::string output;
  render::RenderOptions options;
  bool quiet = false;
};

RenderArgs& args() {
  static RenderArgs instance;
  return instance;
}

// One row: the mesh's input picture (when given), then its views.
Status render_row(const RenderArgs& a, std::size_t row, std::span<const render::View> views,
                  std::vector<image::ImageRgba8>& panels) {
  const std::string& path = a.meshes[row];
  if (!a.images.empty()) {
    ORFEAS_ASSIGN_OR_RETURN_CTX(const image::ImageRgba8 input, image::load_image_file(a.images[row], {}),
                                fmt::format("while reading '{}'", a.images[row]));
    ORFEAS_ASSIGN_OR_RETURN(image::ImageRgba8 panel,
                            render::fit_image(input, a.options.size_px, a.options.margin, a.options.background));
    panels.push_back(std::move(panel));
  }
  ORFEAS_ASSIGN_OR_RETURN(const mesh::Mesh mesh, meshtools::read_mesh(path));
  render::RenderOptions options = a.options;
  const Result<exporter::Format> format = meshtools::mesh_format_from_path(path);
  options.up = format && *format == exporter::Format::kStl ? render::UpAxis::kZ : render::UpAxis::kY;
  for (const render::View view : views) {
    ORFEAS_ASSIGN_OR_RETURN_CTX(image::ImageRgba8 panel, render::render_view(mesh, view, options),
                                fmt::format("while rendering '{}'", path));
    panels.push_back(std::move(panel));
  }
  return ok();
}

Status render_sheet(const RenderArgs& a) {
  if (!a.images.empty() && a.images.size() != a.meshes.size()) {
    return make_error(
        ErrorCode::kInvalidArgument,
        fmt::format("{} meshes and {} --image files: give one --image per mesh", a.meshes.size(), a.images.size()));
  }
  if (!a.output.ends_with(".png") && !a.output.ends_with(".PNG")) {
    return make_error(ErrorCode::kInvalidArgument, fmt::format("'{}' is no .png file", a.output));
  }
  std::vector<render::View> views;
  for (const std::string& name : a.views) {
    ORFEAS_ASSIGN_OR_RETURN(const render::View view, render::parse_view(name));
    views.push_back(view);
  }
  std::vector<image::ImageRgba8> panels;
  for (std::size_t row = 0; row < a.meshes.size(); ++row) ORFEAS_RETURN_IF_ERROR(render_row(a, row, views, panels));
  const int columns = static_cast<int>(views.size() + (a.images.empty() ? 0 : 1));
  ORFEAS_ASSIGN_OR_RETURN(const image::ImageRgba8 sheet, render::tile_panels(panels, columns));
  ORFEAS_ASSIGN_OR_RETURN(const std::vector<std::uint8_t> png, image::encode_png(sheet));
  ORFEAS_RETURN_IF_ERROR_CTX(write_file_atomically(a.output, std::as_bytes(std::span(png))),
                             fmt::format("while writing '{}'", a.output));
  if (!a.quiet) {
    fmt::print("{}: {}x{} pixels, {} bytes\n", a.output, sheet.width, sheet.height, png.size());
  }
  return ok();
}

}  // namespace

void add_render_command(CLI::App& app) {
  RenderArgs& a = args();
  CLI::App* cmd = app.add_subcommand("render", "Draw views of meshes (STL, OBJ, PLY) into one PNG, in software");
  cmd->add_option("meshes", a.meshes, "STL, OBJ or PLY files, one row each")->required();
  cmd->add_option("-o,--output", a.output, "The picture (.png)")->required();
  cmd->add_option("--views", a.views, "Views, left to right: front, side (three-quarter), back, top")
      ->delimiter(',')
      ->capture_default_str();
  cmd->add_option("--image", a.images, "The input picture shown first in each row (one per mesh)");
  cmd->add_option("--size", a.options.size_px, "Side of each square panel, in pixels")
      ->capture_default_str()
      ->check(CLI::Range(8, 4096));
  cmd->add_option("--supersample", a.options.supersample, "Samples per pixel along each axis (anti-aliasing)")
      ->capture_default_str()
      ->check(CLI::Range(1, 4));
  cmd->add_flag("-q,--quiet", a.quiet, "Print nothing but errors");
}

int run_render() {
  if (const Status done = render_sheet(args()); !done) {
    fmt::print(stderr, "orfeas: error: {}\n", done.error().message());
    return 1;
  }
  return 0;
}

}  // namespace orfeas::cli
