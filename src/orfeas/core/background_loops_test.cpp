// BackgroundLoops (parallel.h): the thread that holds one, and the pool threads that help with its
// loops, run at the nice value asked; threads without one are left alone. Each case runs on a
// thread of its own, since a thread's nice value cannot be lowered back without privilege.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include "orfeas/core/parallel.h"

namespace orfeas {
namespace {

TEST(BackgroundLoopsTest, TheThreadAndItsLoopsHelpersRunAtTheNiceAsked) {
  const int before = this_thread_nice();
  const int expected = std::max(before, 9);
  std::mutex mutex;
  std::condition_variable helped;
  std::map<std::thread::id, int> nice_of;  // every thread that ran a chunk
  int holder_nice = 0;
  std::thread background([&] {
    const BackgroundLoops loops(9);
    holder_nice = this_thread_nice();
    // Each chunk waits (a bounded time) until a second thread has run one, so a pool thread gets
    // to join even on a loaded machine, where a niced helper may wait a while for a core.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    parallel_for(0, 64, 1, [&](std::size_t, std::size_t) {
      const int nice = this_thread_nice();
      std::unique_lock lock(mutex);
      nice_of[std::this_thread::get_id()] = nice;
      helped.notify_all();
      if (worker_count() > 1) helped.wait_until(lock, deadline, [&] { return nice_of.size() > 1; });
    });
  });
  background.join();
  EXPECT_EQ(holder_nice, expected);
  ASSERT_FALSE(nice_of.empty());
  if (worker_count() > 1) {
    EXPECT_GT(nice_of.size(), 1U) << "no pool thread helped";
  }
  for (const auto& [thread, nice] : nice_of) EXPECT_EQ(nice, expected);
  EXPECT_EQ(this_thread_nice(), before);  // the test's own thread is untouched
}

TEST(BackgroundLoopsTest, NiceZeroChangesNothing) {
  std::thread plain([] {
    const int before = this_thread_nice();
    const BackgroundLoops loops(0);
    EXPECT_EQ(this_thread_nice(), before);
    std::size_t sum = 0;
    std::mutex mutex;
    parallel_for(0, 100, 10, [&](std::size_t begin, std::size_t end) {
      const std::lock_guard lock(mutex);
      for (std::size_t i = begin; i < end; ++i) sum += i;
    });
    EXPECT_EQ(sum, 4950U);
  });
  plain.join();
}

TEST(BackgroundLoopsTest, APriorityIsOnlyEverLowered) {
  std::thread lowered([] {
    ASSERT_TRUE(lower_this_thread_priority(5).has_value());
    EXPECT_GE(this_thread_nice(), 5);
    const int now = this_thread_nice();
    ASSERT_TRUE(lower_this_thread_priority(2).has_value());  // already lower: nothing to do
    EXPECT_EQ(this_thread_nice(), now);
    EXPECT_FALSE(lower_this_thread_priority(-1).has_value());
    EXPECT_FALSE(lower_this_thread_priority(20).has_value());
  });
  lowered.join();
}

}  // namespace
}  // namespace orfeas
