#include "net/core/skbuff.h"

#include <cstring>
#include <vector>

#include "gtest/gtest.h"
#include "net/core/skb_queue.h"

namespace usnet {
namespace {

// A layer's control block, as protocols declare theirs.
struct TestCb {
  static constexpr uint8_t kCbTag = 201;
  uint32_t seq;
  uint32_t end_seq;
  uint8_t flags;
};
struct OtherCb {
  static constexpr uint8_t kCbTag = 202;
  uint64_t x;
};

// Full geometry of an skb, to assert that a refused operation changed nothing.
struct Geometry {
  std::byte* head;
  std::byte* data;
  std::byte* tail;
  std::byte* end;
  friend bool operator==(const Geometry&, const Geometry&) = default;
};
Geometry GeometryOf(const SkBuff& s) { return {s.head(), s.data(), s.tail(), s.end()}; }

class SkbTest : public ::testing::Test {
 protected:
  void TearDown() override {
    // Every test ends every packet in Consume or Drop.
    EXPECT_EQ(pool_.stats().unaccounted, 0u);
    EXPECT_EQ(pool_.in_use(), 0u);
  }
  SkbPool pool_;
};

size_t BufferSize(const SkBuff& s) { return static_cast<size_t>(s.end() - s.head()); }

TEST_F(SkbTest, AllocPicksTheSmallestSizeClass) {
  struct Case {
    size_t ask, size;
  };
  const Case cases[] = {
      {0, 2048},
      {1, 2048},
      {2048, 2048},
      {2049, 16384},
      {16384, 16384},
      {16385, SkbPool::kMaxBuffer},
      {SkbPool::kMaxBuffer, SkbPool::kMaxBuffer},
  };
  for (const Case& c : cases) {
    SkbPtr s = pool_.Alloc(c.ask);
    ASSERT_TRUE(s) << c.ask;
    EXPECT_EQ(BufferSize(*s), c.size) << c.ask;
    EXPECT_EQ(s->len(), 0u);
    EXPECT_EQ(s->headroom(), 0u);
    EXPECT_EQ(s->tailroom(), c.size);
    EXPECT_EQ(s->head(), s->data());
    EXPECT_EQ(s->data(), s->tail());
    EXPECT_EQ(reinterpret_cast<uintptr_t>(s->head()) % 64, 0u) << "buffer cache-line aligned";
    EXPECT_EQ(s->truesize(), sizeof(SkBuff) + SkbShared::kHeaderSize + c.size);
    EXPECT_FALSE(s->cloned());
    EXPECT_FALSE(s->HeaderShared());
    EXPECT_FALSE(s->has_mac_header());
    EXPECT_FALSE(s->has_network_header());
    EXPECT_FALSE(s->has_transport_header());
    EXPECT_EQ(&s->pool(), &pool_);
    pool_.FreeConsumed(std::move(s));
  }
  EXPECT_EQ(pool_.stats().allocs, std::size(cases));
  EXPECT_EQ(pool_.stats().alloc_failures, 0u);
  // Header-only packets come from the 256-byte class.
  SkbPtr h = pool_.Alloc(kMaxHeaderRoom, /*header_only=*/true);
  EXPECT_EQ(BufferSize(*h), SkbPool::kHeaderClassSize);
  pool_.FreeConsumed(std::move(h));
  SkbPtr big = pool_.Alloc(300, /*header_only=*/true);
  EXPECT_EQ(BufferSize(*big), 2048u) << "beyond 256 the ordinary classes serve";
  pool_.FreeConsumed(std::move(big));
}

TEST_F(SkbTest, AllocBeyondTheLargestClassFails) {
  SkbPtr s = pool_.Alloc(SkbPool::kMaxBuffer + 1);
  EXPECT_FALSE(s);
  EXPECT_EQ(pool_.stats().alloc_failures, 1u);
  EXPECT_EQ(pool_.stats().allocs, 0u);
  EXPECT_EQ(pool_.in_use(), 0u);
}

TEST_F(SkbTest, ReserveOnlyOnAnEmptyBuffer) {
  SkbPtr s = pool_.Alloc(256);
  ASSERT_TRUE(s->Reserve(kMaxHeaderRoom));
  EXPECT_EQ(s->headroom(), kMaxHeaderRoom);
  EXPECT_EQ(s->len(), 0u);
  EXPECT_EQ(s->tailroom(), 2048 - kMaxHeaderRoom);
  ASSERT_TRUE(s->Reserve(8));  // still empty: allowed again
  EXPECT_EQ(s->headroom(), kMaxHeaderRoom + 8);

  ASSERT_NE(s->Put(1), nullptr);
  const Geometry before = GeometryOf(*s);
  EXPECT_FALSE(s->Reserve(1));
  EXPECT_FALSE(s->Reserve(0));
  EXPECT_EQ(GeometryOf(*s), before);
  pool_.FreeConsumed(std::move(s));
}

TEST_F(SkbTest, ReserveBeyondTailroomIsRefused) {
  SkbPtr s = pool_.Alloc(0);
  const Geometry before = GeometryOf(*s);
  EXPECT_FALSE(s->Reserve(2049));
  EXPECT_EQ(GeometryOf(*s), before);
  EXPECT_TRUE(s->Reserve(2048));  // exactly all of it
  EXPECT_EQ(s->tailroom(), 0u);
  EXPECT_EQ(s->headroom(), 2048u);
  pool_.FreeConsumed(std::move(s));
}

TEST_F(SkbTest, PushPullPutTrimMoveThePointers) {
  SkbPtr s = pool_.Alloc(kMaxHeaderRoom + 100);
  ASSERT_TRUE(s->Reserve(kMaxHeaderRoom));
  std::byte* const start = s->data();

  std::byte* p = s->Put(100);
  EXPECT_EQ(p, start);
  EXPECT_EQ(s->len(), 100u);
  EXPECT_EQ(s->tail(), start + 100);

  std::byte* h = s->Push(20);
  EXPECT_EQ(h, start - 20);
  EXPECT_EQ(s->data(), h);
  EXPECT_EQ(s->len(), 120u);
  EXPECT_EQ(s->headroom(), kMaxHeaderRoom - 20);

  std::byte* q = s->Pull(20);
  EXPECT_EQ(q, start);
  EXPECT_EQ(s->len(), 100u);

  EXPECT_EQ(s->Unpull(20), start - 20);  // Push by another name
  EXPECT_NE(s->Pull(20), nullptr);

  EXPECT_TRUE(s->Trim(40));
  EXPECT_EQ(s->len(), 40u);
  EXPECT_EQ(s->tail(), start + 40);
  EXPECT_TRUE(s->Trim(40));  // no-op
  EXPECT_TRUE(s->Trim(0));
  EXPECT_EQ(s->len(), 0u);
  EXPECT_EQ(s->span().size(), 0u);
  pool_.FreeConsumed(std::move(s));
}

TEST_F(SkbTest, PushIsRefusedPastTheHead) {
  SkbPtr s = pool_.Alloc(100);
  ASSERT_TRUE(s->Reserve(64));
  ASSERT_NE(s->Put(10), nullptr);
  const Geometry before = GeometryOf(*s);
  EXPECT_EQ(s->Push(65), nullptr);
  EXPECT_EQ(s->Push(SIZE_MAX), nullptr);
  EXPECT_EQ(GeometryOf(*s), before);
  EXPECT_EQ(s->Push(64), s->head());  // exactly the headroom
  EXPECT_EQ(s->headroom(), 0u);
  EXPECT_EQ(s->Push(1), nullptr);
  EXPECT_EQ(s->Push(0), s->head());
  pool_.FreeConsumed(std::move(s));
}

TEST_F(SkbTest, PullIsRefusedPastTheTail) {
  SkbPtr s = pool_.Alloc(100);
  ASSERT_TRUE(s->Reserve(16));
  ASSERT_NE(s->Put(30), nullptr);
  const Geometry before = GeometryOf(*s);
  EXPECT_EQ(s->Pull(31), nullptr);
  EXPECT_EQ(s->Pull(SIZE_MAX), nullptr);
  EXPECT_EQ(GeometryOf(*s), before);
  EXPECT_EQ(s->Pull(30), s->tail());  // exactly everything
  EXPECT_EQ(s->len(), 0u);
  EXPECT_EQ(s->Pull(1), nullptr);
  EXPECT_EQ(s->Pull(0), s->tail());
  pool_.FreeConsumed(std::move(s));
}

TEST_F(SkbTest, PutIsRefusedPastTheEnd) {
  SkbPtr s = pool_.Alloc(2048);
  ASSERT_TRUE(s->Reserve(48));
  const Geometry before = GeometryOf(*s);
  EXPECT_EQ(s->Put(2001), nullptr);
  EXPECT_EQ(s->Put(SIZE_MAX), nullptr);
  EXPECT_EQ(GeometryOf(*s), before);
  std::byte* p = s->Put(2000);  // exactly the tailroom
  ASSERT_NE(p, nullptr);
  std::memset(p, 0xab, 2000);  // and it is all writable
  EXPECT_EQ(s->tail(), s->end());
  EXPECT_EQ(s->Put(1), nullptr);
  EXPECT_EQ(s->Put(0), s->end());
  pool_.FreeConsumed(std::move(s));
}

TEST_F(SkbTest, TrimIsRefusedBeyondTheLength) {
  SkbPtr s = pool_.Alloc(100);
  ASSERT_NE(s->Put(50), nullptr);
  const Geometry before = GeometryOf(*s);
  EXPECT_FALSE(s->Trim(51));
  EXPECT_EQ(GeometryOf(*s), before);
  EXPECT_TRUE(s->Trim(50));
  EXPECT_EQ(GeometryOf(*s), before);
  pool_.FreeConsumed(std::move(s));
}

TEST_F(SkbTest, HeaderOffsetsAreRelativeToHeadAndSurvivePulls) {
  SkbPtr s = pool_.Alloc(200);
  ASSERT_TRUE(s->Reserve(kRxHeadroom));
  ASSERT_NE(s->Put(14 + 20 + 8), nullptr);
  std::byte* frame = s->data();
  s->SetMacHeader();
  EXPECT_TRUE(s->has_mac_header());
  EXPECT_FALSE(s->has_network_header());
  ASSERT_NE(s->Pull(14), nullptr);
  s->SetNetworkHeader();
  ASSERT_NE(s->Pull(20), nullptr);
  s->SetTransportHeader();
  EXPECT_EQ(s->mac_header(), frame);
  EXPECT_EQ(s->network_header(), frame + 14);
  EXPECT_EQ(s->transport_header(), frame + 34);
  EXPECT_TRUE(s->has_transport_header());
  s->SetNetworkHeaderAt(frame + 2);
  s->SetTransportHeaderAt(frame + 40);
  EXPECT_EQ(s->network_header(), frame + 2);
  EXPECT_EQ(s->transport_header(), frame + 40);
  // Moving data does not move the recorded headers.
  ASSERT_NE(s->Unpull(34), nullptr);
  EXPECT_EQ(s->mac_header(), frame);
  pool_.FreeConsumed(std::move(s));
}

TEST_F(SkbTest, CloneSharesDataAndCopiesMetadata) {
  SkbPtr s = pool_.Alloc(300);
  ASSERT_TRUE(s->Reserve(kMaxHeaderRoom));
  std::byte* payload = s->Put(16);
  std::memset(payload, 0x11, 16);
  s->SetTransportHeader();
  s->protocol = 0x0800;
  s->pkt_type = PacketType::kOutgoing;
  s->ip_summed = CsumState::kPartial;
  s->gso_type = GsoType::kTcpV4;
  s->csum_start = 7;
  s->csum_offset = 16;
  s->gso_size = 1460;
  s->csum = 0xabcd;
  s->tstamp_ns = 123456789;
  s->mark = 42;
  s->InitCb<TestCb>() = {.seq = 1000, .end_seq = 1016, .flags = 0x18};

  SkbPtr c = pool_.Clone(*s);
  ASSERT_TRUE(c);
  EXPECT_TRUE(s->cloned());
  EXPECT_TRUE(c->cloned());
  EXPECT_EQ(c->head(), s->head());
  EXPECT_EQ(c->data(), s->data());
  EXPECT_EQ(c->tail(), s->tail());
  EXPECT_EQ(c->end(), s->end());
  EXPECT_EQ(c->transport_header(), s->transport_header());
  EXPECT_FALSE(c->has_mac_header());
  EXPECT_EQ(c->protocol, 0x0800);
  EXPECT_EQ(c->pkt_type, PacketType::kOutgoing);
  EXPECT_EQ(c->ip_summed, CsumState::kPartial);
  EXPECT_EQ(c->gso_type, GsoType::kTcpV4);
  EXPECT_EQ(c->csum_start, 7u);
  EXPECT_EQ(c->csum_offset, 16);
  EXPECT_EQ(c->gso_size, 1460);
  EXPECT_EQ(c->csum, 0xabcdu);
  EXPECT_EQ(c->tstamp_ns, 123456789);
  EXPECT_EQ(c->mark, 42u);
  EXPECT_EQ(c->Cb<TestCb>().seq, 1000u);
  EXPECT_EQ(c->Cb<TestCb>().end_seq, 1016u);
  EXPECT_EQ(c->Cb<TestCb>().flags, 0x18);
  EXPECT_EQ(c->truesize(), s->truesize());

  // Same bytes: writes through either are seen by both.
  c->data()[0] = std::byte{0x22};
  EXPECT_EQ(s->data()[0], std::byte{0x22});
  s->data()[15] = std::byte{0x33};
  EXPECT_EQ(c->data()[15], std::byte{0x33});

  // Separate geometry and control blocks.
  std::byte* hdr = c->Push(20);
  ASSERT_NE(hdr, nullptr);
  EXPECT_EQ(s->data(), payload);
  EXPECT_EQ(s->len(), 16u);
  EXPECT_EQ(c->len(), 36u);
  c->Cb<TestCb>().seq = 5;
  EXPECT_EQ(s->Cb<TestCb>().seq, 1000u);
  c->mark = 1;
  EXPECT_EQ(s->mark, 42u);

  EXPECT_EQ(pool_.stats().clones, 1u);
  EXPECT_EQ(pool_.in_use(), 2u);
  const uint64_t data_in_use = pool_.data_cache(1).stats().in_use;
  pool_.FreeConsumed(std::move(c));
  EXPECT_FALSE(s->cloned());
  EXPECT_EQ(pool_.data_cache(1).stats().in_use, data_in_use) << "block still referenced";
  EXPECT_EQ(s->data()[0], std::byte{0x22});
  pool_.FreeConsumed(std::move(s));
  EXPECT_EQ(pool_.data_cache(1).stats().in_use, data_in_use - 1);
}

TEST_F(SkbTest, OriginalMayDieBeforeItsClone) {
  SkbPtr s = pool_.Alloc(100);
  std::memset(s->Put(8), 0x5a, 8);
  SkbPtr c = pool_.Clone(*s);
  pool_.FreeDropped(std::move(s));
  EXPECT_FALSE(c->cloned());
  EXPECT_FALSE(c->HeaderShared());
  EXPECT_EQ(c->data()[7], std::byte{0x5a});
  pool_.FreeConsumed(std::move(c));
}

TEST_F(SkbTest, HeaderSharingFollowsLinuxHeaderRelease) {
  // TCP keeps the original on its retransmit queue with its header released
  // (__skb_header_release) and transmits clones, which may then push headers.
  SkbPtr orig = pool_.Alloc(kMaxHeaderRoom + 100);
  ASSERT_TRUE(orig->Reserve(kMaxHeaderRoom));
  ASSERT_NE(orig->Put(100), nullptr);
  EXPECT_FALSE(orig->HeaderShared());
  EXPECT_FALSE(orig->header_released());

  orig->ReleaseHeader();
  EXPECT_TRUE(orig->header_released());
  EXPECT_FALSE(orig->HeaderShared());
  orig->ReleaseHeader();  // idempotent
  EXPECT_FALSE(orig->HeaderShared());

  SkbPtr c1 = pool_.Clone(*orig);
  EXPECT_FALSE(c1->header_released());
  EXPECT_FALSE(c1->HeaderShared()) << "the only reference needing the headroom";
  EXPECT_TRUE(orig->HeaderShared()) << "c1 now needs the bytes before data";

  SkbPtr c2 = pool_.Clone(*orig);
  EXPECT_TRUE(c1->HeaderShared());
  EXPECT_TRUE(c2->HeaderShared());

  c2->ReleaseHeader();
  EXPECT_FALSE(c1->HeaderShared());
  EXPECT_TRUE(c2->HeaderShared());

  pool_.FreeConsumed(std::move(c1));
  EXPECT_FALSE(c2->HeaderShared());
  EXPECT_FALSE(orig->HeaderShared());
  EXPECT_TRUE(orig->cloned());
  pool_.FreeConsumed(std::move(c2));
  EXPECT_FALSE(orig->cloned());
  pool_.FreeConsumed(std::move(orig));
}

TEST_F(SkbTest, CloneWithoutReleaseSharesTheHeader) {
  SkbPtr s = pool_.Alloc(100);
  SkbPtr c = pool_.Clone(*s);
  EXPECT_TRUE(s->HeaderShared());
  EXPECT_TRUE(c->HeaderShared());
  SkbPtr cc = pool_.Clone(*c);  // clone of a clone shares the same block
  EXPECT_EQ(cc->head(), s->head());
  EXPECT_EQ(pool_.stats().clones, 2u);
  pool_.FreeConsumed(std::move(s));
  pool_.FreeConsumed(std::move(c));
  EXPECT_FALSE(cc->HeaderShared());
  EXPECT_FALSE(cc->cloned());
  pool_.FreeConsumed(std::move(cc));
}

TEST_F(SkbTest, ControlBlockIsZeroedByInitCb) {
  SkbPtr s = pool_.Alloc(10);
  TestCb& cb = s->InitCb<TestCb>();
  EXPECT_EQ(cb.seq, 0u);
  EXPECT_EQ(cb.end_seq, 0u);
  EXPECT_EQ(cb.flags, 0);
  cb.seq = 7;
  EXPECT_EQ(s->Cb<TestCb>().seq, 7u);
  const SkBuff& cs = *s;
  EXPECT_EQ(cs.Cb<TestCb>().seq, 7u);
  // Re-initializing as another layer's block.
  s->InitCb<OtherCb>().x = 0x1122334455667788;
  EXPECT_EQ(s->Cb<OtherCb>().x, 0x1122334455667788u);
  s->InitCb<TestCb>();
  EXPECT_EQ(s->Cb<TestCb>().seq, 0u);
  pool_.FreeConsumed(std::move(s));
}

#ifndef NDEBUG
TEST(SkbDeathTest, ReadingTheWrongControlBlockAbortsInDebug) {
  EXPECT_DEATH(
      {
        SkbPool pool;
        SkbPtr s = pool.Alloc(10);
        s->InitCb<TestCb>();
        volatile uint64_t x = s->Cb<OtherCb>().x;
        (void)x;
        pool.FreeConsumed(std::move(s));
      },
      "check failed");
}

TEST(SkbDeathTest, DestroyingAnUnendedSkbAbortsInDebug) {
  EXPECT_DEATH(
      {
        SkbPool pool;
        SkbPtr s = pool.Alloc(10);
      },
      "without Consume or Drop");
}
#endif

TEST_F(SkbTest, PoolCountsHowPacketsEnd) {
  SkbPtr a = pool_.Alloc(10);
  SkbPtr b = pool_.Alloc(10);
  SkbPtr c = pool_.Clone(*a);
  EXPECT_EQ(pool_.stats().allocs, 2u);
  EXPECT_EQ(pool_.stats().clones, 1u);
  EXPECT_EQ(pool_.in_use(), 3u);
  pool_.FreeConsumed(std::move(a));
  pool_.FreeDropped(std::move(b));
  pool_.FreeDropped(std::move(c));
  EXPECT_EQ(pool_.stats().consumed, 1u);
  EXPECT_EQ(pool_.stats().dropped, 2u);
  EXPECT_EQ(pool_.stats().frees, 3u);
  EXPECT_EQ(pool_.stats().unaccounted, 0u);
  EXPECT_EQ(pool_.skb_cache().stats().in_use, 0u);
  for (int i = 0; i < SkbPool::kClasses; ++i) EXPECT_EQ(pool_.data_cache(i).stats().in_use, 0u);

  // Ending an empty handle is a no-op, not a count.
  pool_.FreeConsumed(SkbPtr());
  pool_.FreeDropped(SkbPtr());
  EXPECT_EQ(pool_.stats().consumed, 1u);
  EXPECT_EQ(pool_.stats().dropped, 2u);
  EXPECT_EQ(pool_.stats().frees, 3u);
}

TEST_F(SkbTest, SkbPtrMovesOwnership) {
  SkbPtr a = pool_.Alloc(10);
  SkBuff* raw = a.get();
  SkbPtr b(std::move(a));
  EXPECT_FALSE(a);  // NOLINT(bugprone-use-after-move): moved-from is empty by contract
  EXPECT_EQ(b.get(), raw);
  SkbPtr c;
  c = std::move(b);
  EXPECT_EQ(c.get(), raw);
  EXPECT_EQ(&*c, raw);
  EXPECT_EQ(c.operator->(), raw);
  SkBuff* released = c.release();
  EXPECT_FALSE(c);
  pool_.FreeConsumed(SkbPtr(released));
  EXPECT_EQ(pool_.stats().unaccounted, 0u);
}

#ifdef NDEBUG
// Release builds count an overwritten packet (Debug builds abort on it).
TEST(SkbPoolTest, MoveAssigningOverALivePacketCountsItUnaccounted) {
  SkbPool pool;
  SkbPtr a = pool.Alloc(10);
  SkbPtr b = pool.Alloc(10);
  a = std::move(b);  // the first packet is lost without Consume or Drop
  EXPECT_EQ(pool.stats().unaccounted, 1u);
  EXPECT_EQ(pool.stats().frees, 1u);
  EXPECT_EQ(pool.in_use(), 1u);
  pool.FreeConsumed(std::move(a));
}
#endif

#ifdef NDEBUG
// Release builds: a destroyed non-empty SkbPtr frees the packet and counts
// it (Debug builds abort instead; see SkbDeathTest above).
TEST(SkbPoolTest, DestroyedSkbPtrCountsUnaccounted) {
  SkbPool pool;
  {
    SkbPtr s = pool.Alloc(10);
    SkbPtr c = pool.Clone(*s);
  }
  EXPECT_EQ(pool.stats().unaccounted, 2u);
  EXPECT_EQ(pool.stats().frees, 2u);
  EXPECT_EQ(pool.in_use(), 0u);
  EXPECT_EQ(pool.data_cache(0).stats().in_use, 0u);
}
#endif

TEST_F(SkbTest, SteadyStateDoesNotGrowTheSlabs) {
  auto cycle = [&](int i) {
    const size_t sizes[] = {64, 1514, 2048, 9000, 16384, 65536};
    SkbPtr s = pool_.Alloc(sizes[i % 6]);
    ASSERT_TRUE(s);
    ASSERT_TRUE(s->Reserve(kMaxHeaderRoom / 2));
    ASSERT_NE(s->Put(32), nullptr);
    SkbPtr c = pool_.Clone(*s);
    SkbPtr t = pool_.Alloc(100);
    pool_.FreeConsumed(std::move(s));
    pool_.FreeDropped(std::move(c));
    pool_.FreeConsumed(std::move(t));
  };
  for (int i = 0; i < 100; ++i) cycle(i);  // warm up
  const uint64_t skb_chunks = pool_.skb_cache().stats().chunks;
  uint64_t data_chunks[SkbPool::kClasses];
  for (int k = 0; k < SkbPool::kClasses; ++k) data_chunks[k] = pool_.data_cache(k).stats().chunks;
  for (int i = 0; i < 10000; ++i) cycle(i);
  EXPECT_EQ(pool_.skb_cache().stats().chunks, skb_chunks);
  for (int k = 0; k < SkbPool::kClasses; ++k) {
    EXPECT_EQ(pool_.data_cache(k).stats().chunks, data_chunks[k]) << "class " << k;
  }
  EXPECT_LE(pool_.skb_cache().stats().high_water, 3u);
  EXPECT_EQ(pool_.stats().allocs, 2u * 10100);
  EXPECT_EQ(pool_.stats().clones, 10100u);
}

TEST_F(SkbTest, ManyLivePacketsGrowByWholeChunks) {
  std::vector<SkbPtr> live;
  for (int i = 0; i < 300; ++i) live.push_back(pool_.Alloc(100));
  EXPECT_EQ(pool_.skb_cache().stats().in_use, 300u);
  EXPECT_EQ(pool_.skb_cache().stats().chunks, 2u);    // 256 structs per chunk
  EXPECT_EQ(pool_.data_cache(1).stats().chunks, 3u);  // 128 2k blocks per chunk
  for (SkbPtr& s : live) pool_.FreeConsumed(std::move(s));
  // Nothing is given back, and the next burst reuses it all.
  for (int i = 0; i < 300; ++i) live[i] = pool_.Alloc(100);
  EXPECT_EQ(pool_.skb_cache().stats().chunks, 2u);
  EXPECT_EQ(pool_.data_cache(1).stats().chunks, 3u);
  for (SkbPtr& s : live) pool_.FreeConsumed(std::move(s));
}

// --- SkbQueue -------------------------------------------------------------

// Paged data: a header packet whose payload is a slice of another packet's
// block, as TCP transmits and splits segments.
TEST_F(SkbTest, FragmentPinsTheBlockAndCountsInTheLength) {
  SkbPtr payload = pool_.Alloc(kMaxHeaderRoom + 1000);
  ASSERT_TRUE(payload->Reserve(kMaxHeaderRoom));
  std::byte* p = payload->Put(1000);
  for (int i = 0; i < 1000; ++i) p[i] = static_cast<std::byte>(i);
  payload->ReleaseHeader();

  SkbPtr seg = pool_.Alloc(kMaxHeaderRoom, /*header_only=*/true);
  ASSERT_TRUE(seg->Reserve(kMaxHeaderRoom));
  seg->AttachFrag(*payload, p + 100, 500);
  EXPECT_TRUE(seg->has_frag());
  EXPECT_EQ(seg->headlen(), 0u);
  EXPECT_EQ(seg->len(), 500u);
  EXPECT_EQ(seg->tailroom(), 0u) << "nothing may be appended after a fragment";
  EXPECT_EQ(seg->Put(1), nullptr);
  std::byte* h = seg->Push(20);
  ASSERT_NE(h, nullptr);
  std::memset(h, 0xee, 20);
  EXPECT_EQ(seg->len(), 520u);
  EXPECT_EQ(seg->cspan().size(), 20u) << "cspan is the linear part";

  // The bytes in order, in at most two pieces.
  std::vector<std::byte> all;
  seg->ForEachChunk(0, seg->len(), [&](std::span<const std::byte> c) {
    all.insert(all.end(), c.begin(), c.end());
  });
  ASSERT_EQ(all.size(), 520u);
  EXPECT_EQ(all[19], std::byte{0xee});
  EXPECT_EQ(all[20], std::byte{100});
  EXPECT_EQ(all[519], static_cast<std::byte>(599));

  // The payload packet may go first: the fragment keeps its block alive.
  const uint64_t blocks = pool_.data_cache(1).stats().in_use;
  pool_.FreeConsumed(std::move(payload));
  EXPECT_EQ(pool_.data_cache(1).stats().in_use, blocks);
  EXPECT_EQ(seg->frag()[0], std::byte{100});

  // A clone shares the fragment too.
  SkbPtr c = pool_.Clone(*seg);
  EXPECT_EQ(c->len(), 520u);
  pool_.FreeConsumed(std::move(seg));
  EXPECT_EQ(pool_.data_cache(1).stats().in_use, blocks);
  pool_.FreeConsumed(std::move(c));
  EXPECT_EQ(pool_.data_cache(1).stats().in_use, blocks - 1);
}

TEST_F(SkbTest, PullAndTrimCrossIntoTheFragment) {
  SkbPtr payload = pool_.Alloc(kMaxHeaderRoom + 100);
  ASSERT_TRUE(payload->Reserve(kMaxHeaderRoom));
  std::byte* p = payload->Put(100);
  for (int i = 0; i < 100; ++i) p[i] = static_cast<std::byte>(i);
  SkbPtr seg = pool_.Alloc(64, /*header_only=*/true);
  std::memset(seg->Put(10), 0, 10);
  seg->AttachFrag(*payload, p, 100);
  ASSERT_EQ(seg->len(), 110u);

  EXPECT_EQ(seg->Pull(111), nullptr) << "refused past the end";
  EXPECT_EQ(seg->len(), 110u);
  ASSERT_NE(seg->Pull(15), nullptr);  // the 10 linear bytes and 5 of the fragment
  EXPECT_EQ(seg->headlen(), 0u);
  EXPECT_EQ(seg->len(), 95u);
  EXPECT_EQ(seg->frag()[0], std::byte{5});

  EXPECT_FALSE(seg->Trim(96));
  EXPECT_TRUE(seg->Trim(40));
  EXPECT_EQ(seg->len(), 40u);
  EXPECT_EQ(seg->frag().back(), std::byte{44});
  EXPECT_TRUE(seg->Trim(0));  // a cut in the linear part drops the fragment
  EXPECT_FALSE(seg->has_frag());
  EXPECT_EQ(seg->len(), 0u);
  pool_.FreeConsumed(std::move(seg));
  pool_.FreeConsumed(std::move(payload));
}

class SkbQueueTest : public SkbTest {
 protected:
  // A packet whose length is `len` and whose mark identifies it.
  SkbPtr Packet(uint32_t mark, size_t len) {
    SkbPtr s = pool_.Alloc(len);
    EXPECT_NE(s->Put(len), nullptr);
    s->mark = mark;
    return s;
  }
  std::vector<uint32_t> Marks(const SkbQueue& q) {
    std::vector<uint32_t> m;
    for (SkBuff* s = q.front(); s != nullptr; s = SkbQueue::next(s)) m.push_back(s->mark);
    return m;
  }
  std::vector<uint32_t> MarksBackwards(const SkbQueue& q) {
    std::vector<uint32_t> m;
    for (SkBuff* s = q.back(); s != nullptr; s = SkbQueue::prev(s)) m.push_back(s->mark);
    return m;
  }
  void Drain(SkbQueue& q) {
    while (SkbPtr s = q.PopFront()) pool_.FreeConsumed(std::move(s));
  }
};

TEST_F(SkbQueueTest, EmptyQueue) {
  SkbQueue q;
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.size(), 0u);
  EXPECT_EQ(q.bytes(), 0u);
  EXPECT_EQ(q.truesize(), 0u);
  EXPECT_EQ(q.front(), nullptr);
  EXPECT_EQ(q.back(), nullptr);
  EXPECT_FALSE(q.PopFront());
  EXPECT_FALSE(q.PopBack());
}

TEST_F(SkbQueueTest, FifoOrderAndAccounting) {
  SkbQueue q;
  q.PushBack(Packet(1, 10));
  q.PushBack(Packet(2, 20));
  q.PushBack(Packet(3, 3000));  // 16k class: a bigger truesize
  EXPECT_EQ(q.size(), 3u);
  EXPECT_EQ(q.bytes(), 3030u);
  const uint64_t small = sizeof(SkBuff) + SkbShared::kHeaderSize + 2048;
  const uint64_t big = sizeof(SkBuff) + SkbShared::kHeaderSize + 16384;
  EXPECT_EQ(q.truesize(), 2 * small + big);
  EXPECT_EQ(Marks(q), (std::vector<uint32_t>{1, 2, 3}));
  EXPECT_EQ(MarksBackwards(q), (std::vector<uint32_t>{3, 2, 1}));

  SkbPtr s = q.PopFront();
  EXPECT_EQ(s->mark, 1u);
  EXPECT_EQ(q.size(), 2u);
  EXPECT_EQ(q.bytes(), 3020u);
  EXPECT_EQ(q.truesize(), small + big);
  pool_.FreeConsumed(std::move(s));

  s = q.PopBack();
  EXPECT_EQ(s->mark, 3u);
  EXPECT_EQ(q.bytes(), 20u);
  EXPECT_EQ(q.front(), q.back());
  pool_.FreeConsumed(std::move(s));
  s = q.PopFront();
  EXPECT_EQ(s->mark, 2u);
  pool_.FreeConsumed(std::move(s));
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.bytes(), 0u);
  EXPECT_EQ(q.truesize(), 0u);
  EXPECT_EQ(q.front(), nullptr);
  EXPECT_EQ(q.back(), nullptr);
}

TEST_F(SkbQueueTest, PushFrontAndInsertBefore) {
  SkbQueue q;
  q.PushBack(Packet(2, 1));
  q.PushFront(Packet(1, 1));
  q.PushBack(Packet(4, 1));
  q.InsertBefore(q.back(), Packet(3, 1));   // before 4
  q.InsertBefore(q.front(), Packet(0, 1));  // new head
  q.InsertBefore(nullptr, Packet(5, 1));    // at the back
  EXPECT_EQ(Marks(q), (std::vector<uint32_t>{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(MarksBackwards(q), (std::vector<uint32_t>{5, 4, 3, 2, 1, 0}));
  EXPECT_EQ(q.size(), 6u);
  EXPECT_EQ(q.bytes(), 6u);
  Drain(q);
}

TEST_F(SkbQueueTest, UnlinkFromAnyPosition) {
  SkbQueue q;
  for (uint32_t i = 0; i < 5; ++i) q.PushBack(Packet(i, 100 + i));
  SkBuff* middle = SkbQueue::next(SkbQueue::next(q.front()));
  ASSERT_EQ(middle->mark, 2u);
  SkbPtr m = q.Unlink(middle);
  EXPECT_EQ(m.get(), middle);
  EXPECT_EQ(SkbQueue::next(middle), nullptr);
  EXPECT_EQ(SkbQueue::prev(middle), nullptr);
  EXPECT_EQ(Marks(q), (std::vector<uint32_t>{0, 1, 3, 4}));
  EXPECT_EQ(MarksBackwards(q), (std::vector<uint32_t>{4, 3, 1, 0}));
  EXPECT_EQ(q.bytes(), 100u + 101 + 103 + 104);
  pool_.FreeConsumed(std::move(m));

  pool_.FreeConsumed(q.Unlink(q.front()));
  pool_.FreeConsumed(q.Unlink(q.back()));
  EXPECT_EQ(Marks(q), (std::vector<uint32_t>{1, 3}));
  EXPECT_EQ(q.size(), 2u);
  EXPECT_EQ(q.bytes(), 101u + 103);

  // An unlinked skb can go back in.
  SkbPtr again = q.Unlink(q.front());
  q.PushBack(std::move(again));
  EXPECT_EQ(Marks(q), (std::vector<uint32_t>{3, 1}));
  Drain(q);
}

TEST_F(SkbQueueTest, SpliceMovesEverythingToTheBack) {
  SkbQueue a, b;
  a.PushBack(Packet(1, 10));
  b.PushBack(Packet(2, 20));
  b.PushBack(Packet(3, 30));
  a.Splice(b);
  EXPECT_TRUE(b.empty());
  EXPECT_EQ(b.bytes(), 0u);
  EXPECT_EQ(b.truesize(), 0u);
  EXPECT_EQ(Marks(a), (std::vector<uint32_t>{1, 2, 3}));
  EXPECT_EQ(a.size(), 3u);
  EXPECT_EQ(a.bytes(), 60u);
  a.Splice(b);  // empty: no-op
  EXPECT_EQ(a.size(), 3u);
  Drain(a);
}

}  // namespace
}  // namespace usnet
