// Data-parallel loops over index ranges, on a shared pool of threads (oneTBB).
//
//   parallel_for(0, rows, /*min_chunk=*/16, [&](size_t begin, size_t end) { for (...) ... });
//
// The range is cut into contiguous chunks of at least `min_chunk` indices (the whole range when it
// is shorter), each index in exactly one chunk; `fn` runs on the calling thread and on the pool's
// workers and must be safe to call concurrently on disjoint ranges. Returns once every chunk is
// done. The pool is created once and reused: calls are cheap, and calls nested inside `fn` share
// the same threads instead of starting new ones, so a process never runs more than
// worker_count() threads of parallel_for work at once (plus any other threads of its own that
// call parallel_for: each caller takes part in its own loop). A thread waiting for a nested loop
// runs only that loop's chunks meanwhile, never unrelated work.
//
// Exceptions: an exception thrown by `fn` on any thread cancels the chunks not yet started and is
// rethrown on the calling thread once the running ones have finished. Errors should still cross
// module boundaries as values: callers that must not throw catch it.
//
// Thread-safety: safe to call from several threads at once, and from inside `fn`.
#pragma once

#include <cstddef>
#include <functional>

namespace orfeas {

// How many threads parallel_for may run at once, the calling thread included: the CPUs this
// process may use (affinity mask and cgroup quota included), or fewer when the ORFEAS_THREADS
// environment variable (a positive integer) asks for fewer. Read once, at the first call.
std::size_t worker_count();

// Calls fn(chunk_begin, chunk_end) for chunks covering [begin, end); see the overview above.
void parallel_for(std::size_t begin, std::size_t end, std::size_t min_chunk,
                  const std::function<void(std::size_t, std::size_t)>& fn);

}  // namespace orfeas
