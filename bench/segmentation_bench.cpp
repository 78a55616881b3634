// The photo cut-out, measured: mask quality on composites with a known mask, and the time to cut
// the object out of a 12-megapixel JPEG.
//
//   build/release/bin/orfeas_segmentation_bench [--repeats 5] [--work-size 224] [--iterations 6] [--dump DIR]
//                                               [--image FILE]...
//
// 1. Every composite of orfeas::image::composites (cut-outs with known alpha on real photos): the
//    intersection over union of detect_foreground's mask with the truth, whether the mask is
//    doubtful, and the time. --dump writes each picture with its mask (object kept, the rest dimmed,
//    errors in red: background kept, and blue: object missed) as PNG.
// 2. A 12-megapixel JPEG (4000 × 3000: the first composite scaled up, quality 90): decoding, then
//    detect_foreground (the cut-out), each `repeats` times after a warm-up; min / median / max in
//    milliseconds, and the IoU at full size.
// No assertions: results go to docs/benchmarks.md.
#include <fmt/format.h>

#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "bench_support.h"
#include "orfeas/core/atomic_file.h"
#include "orfeas/image/composites.h"
#include "orfeas/image/decode.h"
#include "orfeas/image/foreground.h"
#include "orfeas/image/photo_segmentation.h"
#include "orfeas/image/png_encoder.h"

namespace {

using namespace orfeas;
using namespace orfeas::bench;
namespace fs = std::filesystem;

// The picture, dimmed where the mask is not; where the mask is wrong, red (kept background) or
// blue (missed object). A PNG.
void dump_png(const fs::path& path, const image::ImageRgba8& picture, const image::Mask& mask,
              const image::Mask& truth) {
  image::ImageRgba8 shown(picture.width, picture.height);
  for (int y = 0; y < picture.height; ++y) {
    for (int x = 0; x < picture.width; ++x) {
      const image::Rgba8 p = picture.at(x, y);
      const bool kept = mask.at(x, y) != 0;
      const auto dim = [&](std::uint8_t v) { return static_cast<std::uint8_t>(kept ? v : v / 4 + 40); };
      if (kept != (truth.at(x, y) != 0)) {
        shown.at(x, y) = {static_cast<std::uint8_t>(kept ? 255 : 0), 0, static_cast<std::uint8_t>(kept ? 0 : 255), 255};
      } else {
        shown.at(x, y) = {dim(p.r), dim(p.g), dim(p.b), 255};
      }
    }
  }
  const std::vector<std::uint8_t> png = value_or_die(image::encode_png(shown));
  ok_or_die(write_file_atomically(path, std::as_bytes(std::span(png))));
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Photo cut-out: IoU on composites and the time for a 12-megapixel JPEG"};
  int repeats = 5;
  std::string dump_dir;
  image::ForegroundOptions options;
  add_repeats_option(app, repeats);
  app.add_option("--work-size", options.segmentation.work_size, "Longer side of the picture GrabCut sees")
      ->capture_default_str();
  app.add_option("--iterations", options.segmentation.iterations, "GrabCut rounds")->capture_default_str();
  app.add_option("--dump", dump_dir, "Write each composite's mask as a PNG into this folder");
  std::vector<std::string> images;
  app.add_option("--image", images, "Also cut these pictures out (with --dump: their masks as PNG)");
  parse_or_exit(app, argc, argv);

  for (const std::string& path : images) {
    const image::ImageRgba8 picture = value_or_die(image::load_image_file(path, {}));
    const image::Foreground found = value_or_die(image::detect_foreground(picture, options));
    fmt::print("{}: {} of {} pixels, doubt: {}\n", path, found.mask.count(), found.mask.values.size(),
               found.doubt.empty() ? "none" : found.doubt);
    if (!dump_dir.empty()) {
      dump_png(fs::path(dump_dir) / (fs::path(path).stem().string() + ".png"), picture, found.mask, found.mask);
    }
  }

  const std::vector<image::composites::Composite> all =
      value_or_die(image::composites::make_composites(ORFEAS_SOURCE_DIR));
  fmt::print("{:<22} {:>6} {:>8}  {}\n", "composite", "IoU", "ms", "doubt");
  double sum = 0.0;
  double worst = 1.0;
  for (const auto& c : all) {
    Result<image::Foreground> found = tl::unexpected(Error(ErrorCode::kInternal, ""));
    const double ms = time_ms([&] { found = image::detect_foreground(c.image, options); });
    if (!found) {
      fmt::print("{:<22} {:>6} {:>8.1f}  error: {}\n", c.name, "-", ms, found.error().message());
      worst = 0.0;
      continue;
    }
    const double iou = image::mask_iou(found->mask, c.truth);
    sum += iou;
    worst = std::min(worst, iou);
    fmt::print("{:<22} {:>6.3f} {:>8.1f}  {}\n", c.name, iou, ms, found->doubt);
    if (!dump_dir.empty()) {
      std::string file = c.name;
      for (char& ch : file) ch = ch == ' ' ? '_' : ch;
      dump_png(fs::path(dump_dir) / (file + ".png"), c.image, found->mask, c.truth);
    }
  }
  fmt::print("mean IoU {:.3f}, lowest {:.3f} over {} composites\n", sum / static_cast<double>(all.size()), worst,
             all.size());

  // 12 megapixels, as a camera's JPEG.
  const auto& first = all.front();
  const image::ImageRgba8 big = image::composites::resize_bilinear(first.image, 4000, 3000);
  image::ImageRgba8 truth_image(first.truth.width, first.truth.height);
  for (std::size_t i = 0; i < first.truth.values.size(); ++i) truth_image.pixels[i].a = first.truth.values[i] ? 255 : 0;
  const image::ImageRgba8 big_truth_image = image::composites::resize_bilinear(truth_image, 4000, 3000);
  image::Mask big_truth(4000, 3000);
  for (std::size_t i = 0; i < big_truth.values.size(); ++i) big_truth.values[i] = big_truth_image.pixels[i].a >= 128;
  const std::vector<std::uint8_t> jpeg = value_or_die(image::composites::encode_jpeg(big, 90));
  std::vector<double> decode_ms;
  std::vector<double> cut_ms;
  double big_iou = 0.0;
  for (int run = 0; run <= repeats; ++run) {
    image::ImageRgba8 decoded;
    const double d = time_ms([&] { decoded = value_or_die(image::decode_image(jpeg, {})); });
    Result<image::Foreground> found = tl::unexpected(Error(ErrorCode::kInternal, ""));
    const double c = time_ms([&] { found = image::detect_foreground(decoded, options); });
    if (!found) die(found.error().message());
    big_iou = image::mask_iou(found->mask, big_truth);
    if (run == 0) continue;  // warm-up
    decode_ms.push_back(d);
    cut_ms.push_back(c);
  }
  const Summary d = summarize(decode_ms);
  const Summary c = summarize(cut_ms);
  fmt::print(
      "12 MP JPEG ({} KB, {}): decode {:.1f} / {:.1f} / {:.1f} ms, cut-out {:.1f} / {:.1f} / {:.1f} ms "
      "(min / median / max of {}), IoU {:.3f}\n",
      jpeg.size() / 1024, first.name, d.min, d.median, d.max, c.min, c.median, c.max, repeats, big_iou);
  return 0;
}
