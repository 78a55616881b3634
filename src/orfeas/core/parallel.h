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
// Background priority (the server's workers): a thread that holds a BackgroundLoops runs at a
// lower scheduling priority (a higher Linux nice value), and so do the pool's threads that help
// with the loops it starts, so the work does not starve the threads that answer requests. Without
// one (the CLI), nothing changes.
//
//   const BackgroundLoops background(/*nice=*/10);  // on the worker thread, for its lifetime
//   parallel_for(...);                              // this thread and its helpers at nice ≥ 10
//
// Thread-safety: safe to call from several threads at once, and from inside `fn`.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>

#include "orfeas/core/status.h"

namespace orfeas {

// How many threads parallel_for may run at once, the calling thread included: the CPUs this
// process may use (affinity mask and cgroup quota included), or fewer when the ORFEAS_THREADS
// environment variable (a positive integer) asks for fewer. Read once, at the first call.
std::size_t worker_count();

// Calls fn(chunk_begin, chunk_end) for chunks covering [begin, end); see the overview above.
void parallel_for(std::size_t begin, std::size_t end, std::size_t min_chunk,
                  const std::function<void(std::size_t, std::size_t)>& fn);

// The calling thread's nice value (Linux: per thread; -20..19, higher runs less).
[[nodiscard]] int this_thread_nice();
// Raises the calling thread's nice value to at least `nice` (0..19: lowering it again would need
// CAP_SYS_NICE, so a thread never goes back up). kInvalidArgument outside 0..19; kInternal when the
// system refuses.
[[nodiscard]] Status lower_this_thread_priority(int nice);

// While alive, the calling thread runs at nice ≥ `nice`, and its parallel_for loops run in a task
// arena (as wide as worker_count(), shared by the BackgroundLoops of the same nice value) whose pool threads are set to
// nice ≥ `nice` when they join it. Pool threads keep that value afterwards (see lower_this_thread_priority), so a
// process that asks for it should use it for all its heavy loops. nice = 0: no change at all.
// Not copyable or movable; made and destroyed on the same thread, one at a time per thread.
class BackgroundLoops {
 public:
  explicit BackgroundLoops(int nice);
  ~BackgroundLoops();
  BackgroundLoops(const BackgroundLoops&) = delete;
  BackgroundLoops& operator=(const BackgroundLoops&) = delete;

  [[nodiscard]] int nice() const { return nice_; }

  struct Arena;  // the arena and its observer (parallel.cpp)

 private:
  int nice_;
  Arena* arena_ = nullptr;     // shared by every BackgroundLoops of this nice value; null when nice_ is 0
  Arena* previous_ = nullptr;  // the thread's arena before this one
};

}  // namespace orfeas
