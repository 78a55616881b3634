// Writes a whole file atomically: a temporary file beside the target, fsync, rename. A crash never
// leaves a half-written report or trace. (A local helper so profiling does not depend on export.)
//
// Thread-safety: concurrent calls for different paths are safe; for one path, the last rename wins.
#pragma once

#include <filesystem>
#include <string_view>

#include "orfeas/core/status.h"

namespace orfeas::profiling::internal {

[[nodiscard]] Status write_file_atomically(const std::filesystem::path& path, std::string_view contents);

}  // namespace orfeas::profiling::internal
