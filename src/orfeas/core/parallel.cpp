#include "orfeas/core/parallel.h"

#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/info.h>
#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/task_arena.h>
#include <oneapi/tbb/task_scheduler_observer.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <string>

#if defined(__SANITIZE_THREAD__)
#include <sanitizer/tsan_interface.h>
#endif

namespace orfeas {
namespace {

// ThreadSanitizer and oneTBB. Debian's libtbb is not instrumented, so TSan cannot see the
// synchronisation by which TBB hands a chunk to a worker and reports the chunk's state, and
// whatever the caller wrote before the loop, as races. The caller's writes are ordered before
// every chunk, and every chunk before the caller's return, by explicit annotations below; chunks
// are not ordered with one another, so races between chunks are still reported. What is left
// is TBB's own task and partitioner state: those reports are suppressed by the file of their top
// frame (TBB's headers; the range and body in this file), or by TBB functions that never call a
// chunk, so a race in a chunk's code still shows. A clean TSan build of oneTBB would need none.
#if defined(__SANITIZE_THREAD__)
void happens_before(void* token) {
  __tsan_release(token);
}
void happens_after(void* token) {
  __tsan_acquire(token);
}
#else
void happens_before(void* /*token*/) {}
void happens_after(void* /*token*/) {}
#endif

// The annotations also on the way out of an exception: a chunk that throws still ends, and the
// caller still waits for every chunk before TBB rethrows.
class AnnotateOnExit {
 public:
  AnnotateOnExit(void (*annotate)(void*), void* token) : annotate_(annotate), token_(token) {}
  ~AnnotateOnExit() { annotate_(token_); }
  AnnotateOnExit(const AnnotateOnExit&) = delete;
  AnnotateOnExit& operator=(const AnnotateOnExit&) = delete;

 private:
  void (*annotate_)(void*);
  void* token_;
};

// [begin, end) split in halves while both halves keep at least `min_chunk` indices. Unlike
// tbb::blocked_range it offers no proportional split, so TBB's partitioner cannot cut a chunk
// below `min_chunk`.
class ChunkRange {
 public:
  ChunkRange(std::size_t begin, std::size_t end, std::size_t min_chunk)
      : begin_(begin), end_(end), min_chunk_(min_chunk) {}
  ChunkRange(ChunkRange& other, tbb::split /*tag*/)
      : begin_(other.begin_ + (other.end_ - other.begin_) / 2), end_(other.end_), min_chunk_(other.min_chunk_) {
    other.end_ = begin_;
  }

  [[nodiscard]] bool empty() const { return begin_ >= end_; }
  [[nodiscard]] bool is_divisible() const { return (end_ - begin_) / 2 >= min_chunk_; }
  [[nodiscard]] std::size_t begin() const { return begin_; }
  [[nodiscard]] std::size_t end() const { return end_; }

 private:
  std::size_t begin_;
  std::size_t end_;
  std::size_t min_chunk_;
};

// The process-wide ceiling on TBB's threads, installed before the first loop and kept for the
// life of the process.
void limit_parallelism_once() {
  static const tbb::global_control limit(tbb::global_control::max_allowed_parallelism, worker_count());
}

// The thread's own id: setpriority(PRIO_PROCESS, tid) on Linux sets one thread's nice value.
id_t this_thread_id() {
  return static_cast<id_t>(::syscall(SYS_gettid));
}

}  // namespace

// A task arena for one BackgroundLoops, and the observer that lowers each pool thread's priority
// as it joins. Members in this order: the observer stops observing before the arena goes.
struct BackgroundLoops::Arena {
  class Lowering final : public tbb::task_scheduler_observer {
   public:
    Lowering(tbb::task_arena& arena, int nice) : tbb::task_scheduler_observer(arena), nice_(nice) {}
    ~Lowering() override { observe(false); }
    Lowering(const Lowering&) = delete;
    Lowering& operator=(const Lowering&) = delete;
    void on_scheduler_entry(bool is_worker) override {
      // A failure leaves that helper at its priority: slower I/O, never a wrong result.
      if (is_worker) (void)lower_this_thread_priority(nice_);
    }

   private:
    int nice_;
  };

  explicit Arena(int nice) : arena(static_cast<int>(worker_count())), lowering(arena, nice) {
    arena.initialize();
    lowering.observe(true);
  }

  tbb::task_arena arena;
  Lowering lowering;
};

namespace {
// The BackgroundLoops of the calling thread, if any: its loops go to that arena.
thread_local BackgroundLoops::Arena* background_arena = nullptr;  // borrowed
}  // namespace

int this_thread_nice() {
  errno = 0;
  return ::getpriority(PRIO_PROCESS, this_thread_id());
}

Status lower_this_thread_priority(int nice) {
  if (nice < 0 || nice > 19) {
    return make_error(ErrorCode::kInvalidArgument,
                      "a nice value for background work is 0..19, not " + std::to_string(nice));
  }
  if (this_thread_nice() >= nice) return {};
  if (::setpriority(PRIO_PROCESS, this_thread_id(), nice) != 0) {
    return make_error(ErrorCode::kInternal, std::string("setpriority: ") + std::strerror(errno));
  }
  return {};
}

namespace {
// The arena of one nice value, made at its first use and kept for the process: every
// BackgroundLoops of that value shares it. Never destroyed on purpose: oneTBB may keep an
// observer's bookkeeping past observe(false) while a pool thread still refers to it, and frees it
// only with the arena's threads, which LeakSanitizer reports when arenas come and go.
BackgroundLoops::Arena* arena_for(int nice) {
  static std::mutex mutex;
  // A pointer, not a map with static storage: the map's destructor at exit would drop the arenas
  // before LeakSanitizer looks.
  static auto* const arenas = new std::map<int, BackgroundLoops::Arena*>();  // NOLINT(cppcoreguidelines-owning-memory)
  const std::lock_guard lock(mutex);
  BackgroundLoops::Arena*& arena = (*arenas)[nice];
  if (arena == nullptr) arena = new BackgroundLoops::Arena(nice);  // NOLINT(cppcoreguidelines-owning-memory)
  return arena;
}
}  // namespace

BackgroundLoops::BackgroundLoops(int nice) : nice_(nice) {
  if (nice_ == 0) return;
  // Refused (outside 0..19, or by the system): the thread keeps its priority; nothing else changes.
  (void)lower_this_thread_priority(nice_);
  limit_parallelism_once();
  arena_ = arena_for(nice_);
  previous_ = background_arena;
  background_arena = arena_;
}

BackgroundLoops::~BackgroundLoops() {
  if (arena_ != nullptr && background_arena == arena_) background_arena = previous_;
}

std::size_t worker_count() {
  static const std::size_t count = [] {
    const auto available = static_cast<std::size_t>(std::max(1, tbb::info::default_concurrency()));
    if (const char* env = std::getenv("ORFEAS_THREADS")) {
      const long value = std::strtol(env, nullptr, 10);
      if (value > 0) return std::min(available, static_cast<std::size_t>(value));
    }
    return available;
  }();
  return count;
}

void parallel_for(std::size_t begin, std::size_t end, std::size_t min_chunk,
                  const std::function<void(std::size_t, std::size_t)>& fn) {
  if (end <= begin) return;
  const std::size_t chunk_floor = std::max<std::size_t>(1, min_chunk);
  if (end - begin < 2 * chunk_floor) {
    fn(begin, end);  // one chunk: no need to involve the pool
    return;
  }
  limit_parallelism_once();
  // Isolated: while this thread waits for the loop's chunks it runs only those, never a chunk of an
  // enclosing loop, which could need a lock this thread holds or run on a stack already deep.
  char loop_started = 0;  // annotation tokens: their addresses only
  char chunks_finished = 0;
  happens_before(&loop_started);
  const AnnotateOnExit all_chunks_done(happens_after, &chunks_finished);  // on return and when a chunk threw
  const auto run = [&] {
    tbb::this_task_arena::isolate([&] {
      tbb::parallel_for(ChunkRange(begin, end, chunk_floor), [&](const ChunkRange& chunk) {
        happens_after(&loop_started);
        const AnnotateOnExit chunk_done(happens_before, &chunks_finished);
        fn(chunk.begin(), chunk.end());
      });
    });
  };
  // A background thread's loops go to its own arena (whose helpers run at its nice value); a
  // nested call from inside that arena runs there directly.
  if (background_arena != nullptr) {
    background_arena->arena.execute(run);
  } else {
    run();
  }
}

}  // namespace orfeas

#if defined(__SANITIZE_THREAD__)
// Linked into every TSan program that uses parallel_for; see "ThreadSanitizer and oneTBB" above.
extern "C" const char* __tsan_default_suppressions() {
  return "race_top:/oneapi/tbb/\n"
         "race_top:orfeas/core/parallel.cpp\n"
         // TBB's own atomics (top frame in <atomic>), in functions that never call a chunk.
         "race:tbb::detail::d1::fold_tree\n"
         "race:tbb::detail::d1::node::node\n"
         "race:tbb::detail::d1::task_group_context\n"
         "race:check_being_stolen\n";
}
#endif
