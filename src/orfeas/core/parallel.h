// Data-parallel loops over index ranges, on all cores.
//
//   parallel_for(0, rows, [&](size_t begin, size_t end) { for (...) ... });
//
// The range is cut into contiguous chunks of at least `min_chunk` indices, one or more per worker;
// `fn` runs on the calling thread and on short-lived worker threads and must be safe to call
// concurrently on disjoint ranges. Returns once every chunk is done. Exceptions from `fn` are a
// bug (the process terminates), like any exception crossing a thread.
#pragma once

#include <cstddef>
#include <functional>

namespace orfeas {

// Number of worker threads used by parallel_for (hardware concurrency, at least 1). Override with
// the ORFEAS_THREADS environment variable.
std::size_t worker_count();

void parallel_for(std::size_t begin, std::size_t end, std::size_t min_chunk,
                  const std::function<void(std::size_t, std::size_t)>& fn);

}  // namespace orfeas
