#include "kernel/slab.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <random>
#include <set>
#include <vector>

#include "gtest/gtest.h"

namespace usnet {
namespace {

TEST(SlabTest, BlockSizeRoundsUpToACacheLine) {
  struct Case {
    size_t asked, got;
  };
  for (const Case& c : {Case{1, 64}, Case{8, 64}, Case{63, 64}, Case{64, 64}, Case{65, 128},
                        Case{128, 128}, Case{129, 192}, Case{2112, 2112}, Case{2113, 2176}}) {
    SlabCache cache("t", c.asked, 4);
    EXPECT_EQ(cache.block_size(), c.got) << c.asked;
  }
}

TEST(SlabTest, NameAndInitialStats) {
  SlabCache cache("skbuff_head_cache", 200, 8);
  EXPECT_EQ(cache.name(), "skbuff_head_cache");
  const SlabStats& s = cache.stats();
  EXPECT_EQ(s.allocs, 0u);
  EXPECT_EQ(s.frees, 0u);
  EXPECT_EQ(s.in_use, 0u);
  EXPECT_EQ(s.high_water, 0u);
  EXPECT_EQ(s.chunks, 0u) << "nothing reserved until the first Alloc";
  EXPECT_EQ(s.bytes_reserved, 0u);
}

TEST(SlabTest, GrowsOneChunkAtATime) {
  SlabCache cache("t", 100, 4);  // 128-byte blocks, 4 per chunk
  std::vector<void*> p;
  p.push_back(cache.Alloc());
  EXPECT_EQ(cache.stats().chunks, 1u);
  EXPECT_EQ(cache.stats().bytes_reserved, 512u);
  for (int i = 0; i < 3; ++i) p.push_back(cache.Alloc());
  EXPECT_EQ(cache.stats().chunks, 1u);
  p.push_back(cache.Alloc());
  EXPECT_EQ(cache.stats().chunks, 2u);
  EXPECT_EQ(cache.stats().bytes_reserved, 1024u);
  EXPECT_EQ(cache.stats().in_use, 5u);
  EXPECT_EQ(cache.stats().allocs, 5u);
  for (void* q : p) cache.Free(q);
  EXPECT_EQ(cache.stats().in_use, 0u);
  EXPECT_EQ(cache.stats().frees, 5u);
  EXPECT_EQ(cache.stats().high_water, 5u);
  EXPECT_EQ(cache.stats().chunks, 2u) << "memory is kept until the cache dies";
}

TEST(SlabTest, AFreshChunkHandsOutBlocksInAddressOrder) {
  SlabCache cache("t", 64, 8);
  auto* first = static_cast<std::byte*>(cache.Alloc());
  for (int i = 1; i < 8; ++i) {
    EXPECT_EQ(static_cast<std::byte*>(cache.Alloc()), first + 64 * i) << i;
  }
  // Leaked deliberately into the cache: the destructor frees the chunks.
}

TEST(SlabTest, BlocksAreAlignedDistinctAndDoNotOverlap) {
  SlabCache cache("t", 72, 5);  // 128-byte blocks: odd-sized request
  std::vector<std::byte*> blocks;
  for (int i = 0; i < 23; ++i) blocks.push_back(static_cast<std::byte*>(cache.Alloc()));
  std::set<std::byte*> unique(blocks.begin(), blocks.end());
  EXPECT_EQ(unique.size(), blocks.size());
  for (std::byte* b : blocks) EXPECT_EQ(reinterpret_cast<uintptr_t>(b) % 64, 0u);
  // Fill each block's whole size with its own pattern, then check none of
  // them was overwritten by a neighbour.
  for (size_t i = 0; i < blocks.size(); ++i) std::memset(blocks[i], static_cast<int>(i + 1), 128);
  for (size_t i = 0; i < blocks.size(); ++i) {
    for (size_t k = 0; k < 128; ++k) {
      ASSERT_EQ(static_cast<int>(blocks[i][k]), static_cast<int>(i + 1)) << i << " " << k;
    }
  }
  for (std::byte* b : blocks) cache.Free(b);
}

TEST(SlabTest, FreedBlocksAreReusedLastInFirstOut) {
  SlabCache cache("t", 64, 16);
  void* a = cache.Alloc();
  void* b = cache.Alloc();
  cache.Free(a);
  cache.Free(b);
  EXPECT_EQ(cache.Alloc(), b);
  EXPECT_EQ(cache.Alloc(), a);
  EXPECT_EQ(cache.stats().chunks, 1u);
  cache.Free(a);
  cache.Free(b);
}

TEST(SlabTest, HighWaterRemembersThePeak) {
  SlabCache cache("t", 64, 4);
  std::vector<void*> p;
  for (int i = 0; i < 10; ++i) p.push_back(cache.Alloc());
  for (int i = 0; i < 7; ++i) {
    cache.Free(p.back());
    p.pop_back();
  }
  EXPECT_EQ(cache.stats().in_use, 3u);
  EXPECT_EQ(cache.stats().high_water, 10u);
  for (int i = 0; i < 5; ++i) p.push_back(cache.Alloc());
  EXPECT_EQ(cache.stats().in_use, 8u);
  EXPECT_EQ(cache.stats().high_water, 10u);
  EXPECT_EQ(cache.stats().chunks, 3u);
  for (void* q : p) cache.Free(q);
}

TEST(SlabTest, SteadyStateNeverGrows) {
  SlabCache cache("t", 300, 32);
  std::mt19937 rng(17);
  std::vector<void*> live;
  auto step = [&] {
    // Random mix of allocs and frees around a working set of ~50 blocks.
    if (live.size() < 50 || (live.size() < 100 && rng() % 2 == 0)) {
      live.push_back(cache.Alloc());
    } else {
      const size_t i = rng() % live.size();
      cache.Free(live[i]);
      live[i] = live.back();
      live.pop_back();
    }
  };
  for (int i = 0; i < 2000; ++i) step();
  const uint64_t chunks = cache.stats().chunks;
  const uint64_t reserved = cache.stats().bytes_reserved;
  for (int i = 0; i < 10000; ++i) step();
  EXPECT_LE(cache.stats().high_water, 100u);
  EXPECT_LE(chunks, 4u);  // 100 blocks / 32 per chunk
  EXPECT_EQ(cache.stats().chunks, chunks);
  EXPECT_EQ(cache.stats().bytes_reserved, reserved);
  EXPECT_EQ(cache.stats().in_use, live.size());
  EXPECT_EQ(cache.stats().allocs - cache.stats().frees, live.size());
  for (void* q : live) cache.Free(q);
}

TEST(SlabDeathTest, ZeroBlocksPerChunkAborts) {
  EXPECT_DEATH(SlabCache("t", 64, 0), "check failed");
}

}  // namespace
}  // namespace usnet
