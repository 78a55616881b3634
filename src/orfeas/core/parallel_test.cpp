#include "orfeas/core/parallel.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

namespace orfeas {
namespace {

TEST(ParallelForTest, VisitsEveryIndexExactlyOnce) {
  for (std::size_t n : {0U, 1U, 7U, 1000U, 12345U}) {
    std::vector<std::atomic<int>> hits(n);
    parallel_for(0, n, 3, [&](std::size_t begin, std::size_t end) {
      for (std::size_t i = begin; i < end; ++i) hits[i].fetch_add(1);
    });
    for (std::size_t i = 0; i < n; ++i) ASSERT_EQ(hits[i].load(), 1) << "n=" << n << " i=" << i;
  }
}

TEST(ParallelForTest, HonoursOffsetRanges) {
  std::atomic<long> sum{0};
  parallel_for(100, 200, 1, [&](std::size_t begin, std::size_t end) {
    long local = 0;
    for (std::size_t i = begin; i < end; ++i) local += static_cast<long>(i);
    sum += local;
  });
  EXPECT_EQ(sum.load(), 14950);
}

TEST(ParallelForTest, ChunksAreNeverShorterThanMinChunk) {
  for (const std::size_t min_chunk : {1U, 5U, 64U, 1000U}) {
    for (const std::size_t n : {1U, 63U, 64U, 999U, 5000U, 100000U}) {
      std::mutex mutex;
      std::vector<std::pair<std::size_t, std::size_t>> chunks;
      parallel_for(10, 10 + n, min_chunk, [&](std::size_t begin, std::size_t end) {
        const std::lock_guard lock(mutex);
        chunks.emplace_back(begin, end);
      });
      std::sort(chunks.begin(), chunks.end());
      std::size_t expected_begin = 10;
      for (const auto& [begin, end] : chunks) {
        EXPECT_EQ(begin, expected_begin) << "chunks must tile the range";
        EXPECT_GE(end - begin, std::min(n, min_chunk)) << "n=" << n << " min_chunk=" << min_chunk;
        expected_begin = end;
      }
      EXPECT_EQ(expected_begin, 10 + n);
    }
  }
}

TEST(ParallelForTest, ExceptionInAChunkReachesTheCaller) {
  std::atomic<int> calls{0};
  const auto throwing_loop = [&] {
    parallel_for(0, 10000, 1, [&](std::size_t begin, std::size_t end) {
      calls.fetch_add(1);
      if (begin <= 7777 && 7777 < end) throw std::runtime_error("chunk failed");
    });
  };
  EXPECT_THROW(throwing_loop(), std::runtime_error);
  EXPECT_GT(calls.load(), 0);
  // Thrown from an inner loop, it comes back through the outer one too.
  EXPECT_THROW(parallel_for(0, 8, 1, [&](std::size_t, std::size_t) { throwing_loop(); }), std::runtime_error);
  // The pool still works afterwards.
  std::atomic<std::size_t> covered{0};
  parallel_for(0, 1000, 1, [&](std::size_t begin, std::size_t end) { covered += end - begin; });
  EXPECT_EQ(covered.load(), 1000U);
}

// Counts the distinct threads inside `fn` at the same moment; a thread running a nested chunk
// while it waits for an inner loop counts once.
class ConcurrencyMeter {
 public:
  void enter() {
    const std::lock_guard lock(mutex_);
    if (depth_[std::this_thread::get_id()]++ == 0) peak_ = std::max(peak_, ++active_);
  }
  void leave() {
    const std::lock_guard lock(mutex_);
    if (--depth_[std::this_thread::get_id()] == 0) --active_;
  }
  [[nodiscard]] std::size_t peak() {
    const std::lock_guard lock(mutex_);
    return peak_;
  }
  [[nodiscard]] std::size_t distinct_threads() {
    const std::lock_guard lock(mutex_);
    return depth_.size();
  }

 private:
  std::mutex mutex_;
  std::map<std::thread::id, int> depth_;
  std::size_t active_ = 0;
  std::size_t peak_ = 0;
};

// Three levels of loops, each of which would have started its own threads before the pool.
void nested_loops(ConcurrencyMeter& meter) {
  const auto metered = [&meter](const std::function<void()>& work) {
    meter.enter();
    work();
    meter.leave();
  };
  parallel_for(0, 8, 1, [&](std::size_t, std::size_t) {
    metered([&] {
      parallel_for(0, 8, 1, [&](std::size_t, std::size_t) {
        metered([&] {
          parallel_for(0, 4, 1, [&](std::size_t, std::size_t) {
            metered([] { std::this_thread::sleep_for(std::chrono::milliseconds(1)); });
          });
        });
      });
    });
  });
}

TEST(ParallelForTest, NestedLoopsShareTheThreadLimit) {
  // worker_count() reads ORFEAS_THREADS once per process, so the limit is tested in a fresh one.
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  constexpr std::size_t kLimit = 2;
  EXPECT_EXIT(
      {
        ::setenv("ORFEAS_THREADS", "2", 1);
        ConcurrencyMeter meter;
        nested_loops(meter);
        const bool ok = worker_count() <= kLimit && meter.peak() <= kLimit && meter.distinct_threads() <= kLimit;
        std::fprintf(stderr, "peak %zu distinct %zu\n", meter.peak(), meter.distinct_threads());
        std::exit(ok ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "");
}

TEST(ParallelForTest, NestedLoopsStayWithinWorkerCount) {
  ConcurrencyMeter meter;
  nested_loops(meter);
  EXPECT_GE(meter.peak(), 1U);
  EXPECT_LE(meter.peak(), worker_count());
  EXPECT_LE(meter.distinct_threads(), worker_count());
}

}  // namespace
}  // namespace orfeas
