// What the Profiler records while jobs run: per job, one buffer per thread that opened scopes on
// it. A buffer is found once per (job, thread) and cached in that thread (profiler.cpp), so
// opening and closing a scope take no lock and no atomic read-modify-write (but for stages with a
// GPU interval or a memory peak): the owner publishes with release stores, end_pipeline reads
// with acquire loads (see StageRecord).
//
// Ownership: JobState owns its buffers (shared with the caches of the threads that wrote them);
// a buffer stays valid while a thread's cache or the job holds it.
// Thread-safety: as annotated per member.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "orfeas/profiling/gpu_timer.h"
#include "orfeas/profiling/profile.h"

namespace orfeas::profiling::detail {

using Clock = std::chrono::steady_clock;

// A lock for data that one thread writes and, rarely, one other thread reads: taking it
// uncontended is one atomic exchange; a waiter yields (it is held only for a few instructions).
class SpinLock {
 public:
  void lock() noexcept {
    while (locked_.exchange(true, std::memory_order_acquire)) {
      while (locked_.load(std::memory_order_relaxed)) std::this_thread::yield();
    }
  }
  void unlock() noexcept { locked_.store(false, std::memory_order_release); }

 private:
  std::atomic<bool> locked_{false};
};

// One stage as its thread recorded it. The thread that owns the buffer writes it; end_pipeline,
// on another thread, reads it, without a lock:
//  - name .. has_extras are written before the record is published (ThreadBuffer::published,
//    release) and never change after;
//  - end is stored (release) when the stage closes; kOpen until then, and end_pipeline reads a
//    record still kOpen as truncated;
//  - gpu and peak_bytes (only when has_extras) change hands through extras: the owner moves them
//    in only after winning kOpen → kWriting, end_pipeline claims a stage still open with
//    kOpen → kTaken, so exactly one side owns them.
struct StageRecord {
  static constexpr Clock::rep kOpen = std::numeric_limits<Clock::rep>::min();
  enum Extras : std::uint8_t { kExtrasOpen, kExtrasWriting, kExtrasTaken };

  const std::string* name = nullptr;  // interned (internal/stage_names.h)
  std::int32_t parent = -1;           // index in the same buffer; -1 for a top-level stage
  std::uint32_t depth = 0;
  Clock::rep start = 0;     // steady_clock ticks
  bool has_extras = false;  // a GPU interval or a peak will come with the end

  std::atomic<Clock::rep> end{kOpen};
  std::atomic<std::uint8_t> extras{kExtrasOpen};
  std::unique_ptr<GpuInterval> gpu;
  std::optional<std::uint64_t> peak_bytes;
};

// One thread's stages of one job, in the order opened, in fixed-size chunks so a record never
// moves while another thread reads it.
struct ThreadBuffer {
  static constexpr std::uint32_t kChunkRecords = 256;
  struct Chunk {
    std::array<StageRecord, kChunkRecords> records;
  };

  explicit ThreadBuffer(std::thread::id owner_thread) : owner(owner_thread) {}

  // The owner's record `index` (< published). Owner only, or under chunks_lock.
  [[nodiscard]] StageRecord& record(std::uint32_t index) {
    return chunks[index / kChunkRecords]->records[index % kChunkRecords];
  }

  const std::thread::id owner;
  std::atomic<bool> finished{false};        // set by end_pipeline: no stage is recorded after
  std::atomic<std::uint32_t> published{0};  // records [0, published) are readable by end_pipeline
  // Guards the growth of chunks: the owner appends under it (the owner alone reads without it).
  SpinLock chunks_lock;
  std::vector<std::unique_ptr<Chunk>> chunks;
  // The owner's open scopes, innermost last (record indices). Touched by the owner only.
  std::vector<std::uint32_t> open;
};

struct JobState {
  JobId id = kNoJob;
  std::string name;
  Clock::time_point start;

  std::mutex mutex;
  std::vector<std::shared_ptr<ThreadBuffer>> buffers;  // guarded by mutex
  bool finished = false;                               // guarded by mutex; no buffer is added after
};

}  // namespace orfeas::profiling::detail
