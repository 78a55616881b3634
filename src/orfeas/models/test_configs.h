// Test data for orfeas_model_io_test: the official config.yaml texts at their real sizes, written
// out here because no weights or hub files can be downloaded on our machines.
//
//   const std::string yaml = test_data::replace(test_data::v2_0_config(), "depth: 16", "depth: 0");
//
// Sources: v2-0 and mini as in kijai/ComfyUI-Hunyuan3DWrapper configs/dit_config*.yaml (verbatim
// copies of the hub files, targets made relative with a leading '.'; v2-0 here uses the hub's
// absolute targets, mini keeps the dots), 2.1 as configs/dit_config_2_1.yaml (anchors included);
// see /work/notes/hy3d-architecture.md §2.2.
#pragma once

#include <string>
#include <string_view>

namespace orfeas::models::test_data {

[[nodiscard]] std::string v2_0_config();  // hunyuan3d-dit-v2-0
[[nodiscard]] std::string mini_config();  // hunyuan3d-dit-v2-mini
[[nodiscard]] std::string v2_1_config();  // hunyuan3d-dit-v2-1
// A standalone VAE folder's config (top-level target + params), v2-0's geometry.
[[nodiscard]] std::string vae_config();

// `text` with the first `from` replaced by `to`; adds a test failure when `from` is absent.
[[nodiscard]] std::string replace(std::string text, std::string_view from, std::string_view to);

}  // namespace orfeas::models::test_data
