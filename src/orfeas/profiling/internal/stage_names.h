// Stage names interned: one stable copy per distinct name for the life of the process, so a scope
// records a pointer instead of copying its name, and callers may pass any string_view (a literal,
// or a temporary string that dies right after the scope opens).
//
//   const std::string* name = intern_stage_name("shape_generation");   // same pointer every time
//
// Cost: a hit in a small per-thread cache keyed by the view's address is one comparison of the
// characters; a miss takes a process-wide mutex once per (thread, name address).
// Memory: names are never freed. Stage names come from a small fixed set; do not put unbounded
// data (indices, file names) into them.
// Thread-safety: any thread; the returned pointer stays valid until the process exits.
#pragma once

#include <string>
#include <string_view>

namespace orfeas::profiling::internal {

[[nodiscard]] const std::string* intern_stage_name(std::string_view name);

}  // namespace orfeas::profiling::internal
