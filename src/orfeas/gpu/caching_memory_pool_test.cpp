// The caching pool's stream rules (caching_memory_pool.h), on the host twin with scripted markers:
// a fake device queue where the test decides when a stream has passed a point.
#include "orfeas/gpu/caching_memory_pool.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "orfeas/gpu/host_memory_pool.h"

namespace orfeas::gpu {
namespace {

constexpr std::size_t kMiB = std::size_t{1} << 20;

// Markers are 1-based positions in `markers_`; nothing passes until finish() or wait().
class ScriptedMarkers final : public StreamMarkers {
 public:
  void* record(void* stream) noexcept override {
    if (refuse) return nullptr;
    markers_.push_back({stream, false, true});
    return reinterpret_cast<void*>(static_cast<std::uintptr_t>(markers_.size()));
  }
  bool passed(void* marker) noexcept override { return at(marker).passed; }
  void wait(void* marker) noexcept override {
    ++waits;
    at(marker).passed = true;
  }
  void release(void* marker) noexcept override { at(marker).live = false; }

  // The device reaches the end of `stream`'s queue.
  void finish(const void* stream) {
    for (Marker& m : markers_) m.passed = m.passed || m.stream == stream;
  }
  [[nodiscard]] long live() const {
    return std::count_if(markers_.begin(), markers_.end(), [](const Marker& m) { return m.live; });
  }

  int waits = 0;
  bool refuse = false;  // record() fails, as when the driver cannot create an event

 private:
  struct Marker {
    const void* stream;
    bool passed;
    bool live;
  };
  Marker& at(void* marker) { return markers_.at(reinterpret_cast<std::uintptr_t>(marker) - 1); }
  std::vector<Marker> markers_;
};

class GpuCachingPoolStreams : public ::testing::Test {
 protected:
  void SetUp() override {
    auto pool = HostMemoryPool::create({.capacity_bytes = 0, .alignment = 256, .markers = markers_});
    ASSERT_TRUE(pool) << pool.error().message();
    pool_ = std::move(*pool);
  }

  // A block used on `stream` and freed; its address.
  void* used_and_freed(void* stream, std::size_t bytes = 4 * kMiB) {
    auto block = pool_->allocate(bytes, stream);
    EXPECT_TRUE(block) << block.error().message();
    return block ? block->data() : nullptr;
  }

  std::shared_ptr<ScriptedMarkers> markers_ = std::make_shared<ScriptedMarkers>();
  std::unique_ptr<HostMemoryPool> pool_;
  int stream_a_ = 0;
  int stream_b_ = 0;
  void* a_ = &stream_a_;
  void* b_ = &stream_b_;
};

TEST_F(GpuCachingPoolStreams, TheSameStreamReusesABlockAtOnce) {
  void* first = used_and_freed(a_);
  auto again = pool_->allocate(4 * kMiB, a_);  // queued after the first use: no wait needed
  ASSERT_TRUE(again);
  EXPECT_EQ(again->data(), first);
  EXPECT_EQ(again->stream(), a_);
  EXPECT_EQ(pool_->stats().reserved_bytes, 4 * kMiB);
  EXPECT_EQ(markers_->waits, 0);
}

TEST_F(GpuCachingPoolStreams, AnotherStreamGetsTheBlockOnlyAfterTheFirstStreamsWork) {
  void* first = used_and_freed(a_);
  {
    auto other = pool_->allocate(4 * kMiB, b_);  // a_ may still be writing the first block
    ASSERT_TRUE(other);
    EXPECT_NE(other->data(), first);
    EXPECT_EQ(pool_->stats().reserved_bytes, 8 * kMiB);
  }
  markers_->finish(a_);
  int stream_c = 0;
  auto later = pool_->allocate(4 * kMiB, &stream_c);
  ASSERT_TRUE(later);
  EXPECT_EQ(later->data(), first);  // the device passed the free: safe for anyone
  EXPECT_EQ(pool_->stats().reserved_bytes, 8 * kMiB);
  EXPECT_EQ(markers_->waits, 0);  // polled, never waited for
}

TEST_F(GpuCachingPoolStreams, AStreamPrefersItsOwnBlockOverOneFreeForAnyone) {
  void* legacy = nullptr;
  void* own = nullptr;
  {
    auto free_for_anyone = pool_->allocate(4 * kMiB);  // kNoStream: reusable by anyone once freed
    auto used_on_a = pool_->allocate(4 * kMiB, a_);
    ASSERT_TRUE(free_for_anyone && used_on_a);
    legacy = free_for_anyone->data();
    own = used_on_a->data();
  }
  auto again = pool_->allocate(4 * kMiB, a_);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->data(), own);
  auto other = pool_->allocate(4 * kMiB, b_);
  ASSERT_TRUE(other);
  EXPECT_EQ(other->data(), legacy);
}

TEST_F(GpuCachingPoolStreams, LegacyRequestsTakeOnlyBlocksTheDeviceIsDoneWith) {
  void* first = used_and_freed(a_);
  {
    auto legacy = pool_->allocate(4 * kMiB);
    ASSERT_TRUE(legacy);
    EXPECT_NE(legacy->data(), first);
    EXPECT_EQ(legacy->stream(), kNoStream);
  }
  markers_->finish(a_);
  // Both cached blocks are usable now; the legacy block is free for anyone, so it comes first.
  auto one = pool_->allocate(4 * kMiB);
  auto two = pool_->allocate(4 * kMiB);
  ASSERT_TRUE(one && two);
  EXPECT_EQ(two->data(), first);
  EXPECT_EQ(pool_->stats().reserved_bytes, 8 * kMiB);
}

TEST_F(GpuCachingPoolStreams, WithoutAMarkerABlockStaysWithItsStream) {
  markers_->refuse = true;
  void* first = used_and_freed(a_);
  markers_->refuse = false;
  markers_->finish(a_);
  auto other = pool_->allocate(4 * kMiB, b_);
  ASSERT_TRUE(other);
  EXPECT_NE(other->data(), first);
  auto own = pool_->allocate(4 * kMiB, a_);
  ASSERT_TRUE(own);
  EXPECT_EQ(own->data(), first);
}

TEST_F(GpuCachingPoolStreams, ReleasingTheCacheWaitsForPendingWork) {
  used_and_freed(a_);
  used_and_freed(b_, 2 * kMiB);
  EXPECT_EQ(markers_->live(), 2);
  EXPECT_EQ(pool_->release_cache(), 6 * kMiB);
  EXPECT_EQ(markers_->waits, 2);
  EXPECT_EQ(markers_->live(), 0);
  EXPECT_EQ(pool_->stats().reserved_bytes, 0u);
}

TEST_F(GpuCachingPoolStreams, OutOfMemoryWaitsForAnotherStreamsBlockAndRetries) {
  auto pool = HostMemoryPool::create({.capacity_bytes = 4 * kMiB, .alignment = 256, .markers = markers_});
  ASSERT_TRUE(pool);
  {
    auto block = (*pool)->allocate(4 * kMiB, a_);
    ASSERT_TRUE(block);
  }
  auto other = (*pool)->allocate(4 * kMiB, b_);  // the only memory is a_'s, still pending
  ASSERT_TRUE(other) << other.error().message();
  EXPECT_EQ(markers_->waits, 1);
  EXPECT_EQ((*pool)->stats().out_of_memory_count, 0u);
}

TEST_F(GpuCachingPoolStreams, EveryMarkerIsReleasedByTheTimeThePoolIsGone) {
  used_and_freed(a_);
  used_and_freed(b_);
  {
    auto reuse = pool_->allocate(4 * kMiB, a_);
    ASSERT_TRUE(reuse);
  }
  pool_.reset();
  EXPECT_EQ(markers_->live(), 0);
}

TEST_F(GpuCachingPoolStreams, MovedAllocationsKeepTheirStream) {
  auto block = pool_->allocate(4 * kMiB, a_);
  ASSERT_TRUE(block);
  DeviceAllocation moved = std::move(*block);
  EXPECT_EQ(moved.stream(), a_);
  EXPECT_EQ(block->stream(), kNoStream);
  void* data = moved.data();
  moved = DeviceAllocation();
  auto again = pool_->allocate(4 * kMiB, b_);  // the block went back as a_'s, still pending
  ASSERT_TRUE(again);
  EXPECT_NE(again->data(), data);
}

}  // namespace
}  // namespace orfeas::gpu
