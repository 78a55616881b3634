#include "orfeas/core/parallel.h"

#include <gtest/gtest.h>

#include <atomic>
#include <numeric>
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

}  // namespace
}  // namespace orfeas
