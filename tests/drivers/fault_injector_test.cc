#include "drivers/fault/fault_injector.h"

#include <cstring>
#include <vector>

#include "gtest/gtest.h"
#include "net/core/net_core.h"

namespace usnet {
namespace {

// A device that records what reaches the wire, and when.
class Sink final : public NetDevice {
 public:
  explicit Sink(EventLoop& loop) : NetDevice("sink", DeviceType::kEther, MacAddr::Local(9), 1500), loop_(loop) {}
  void StartXmit(SkbPtr skb) override {
    times.push_back(loop_.clock().Now());
    marks.push_back(skb->mark);
    data.emplace_back(skb->data(), skb->tail());
    core_->Consume(std::move(skb));
  }
  std::vector<absl::Time> times;
  std::vector<uint32_t> marks;
  std::vector<std::vector<std::byte>> data;

 private:
  EventLoop& loop_;
};

struct FaultRig {
  FaultInjector& Make(FaultConfig tx, uint64_t seed = 1) {
    auto sink = std::make_unique<Sink>(loop);
    sink_ = sink.get();
    auto f = std::make_unique<FaultInjector>(std::move(sink), loop, tx, FaultConfig{}, seed);
    fi_ = f.get();
    core.AddDevice(std::move(f));
    return *fi_;
  }
  void Send(uint32_t mark, size_t len = 100) {
    SkbPtr s = core.AllocSkb(64, len);
    std::memset(s->Put(len), 0xab, len);
    s->mark = mark;
    s->dev = fi_;
    fi_->StartXmit(std::move(s));
  }
  ManualClock clock;
  EventLoop loop{clock};
  SkbPool pool;
  NetCore core{loop, pool, "t", 1};
  Sink* sink_ = nullptr;
  FaultInjector* fi_ = nullptr;
};

class FaultTest : public ::testing::Test, public FaultRig {};

TEST_F(FaultTest, InactiveConfigPassesEverythingAtOnce) {
  Make({});
  for (uint32_t i = 0; i < 10; ++i) Send(i);
  ASSERT_EQ(sink_->marks.size(), 10u);
  EXPECT_EQ(fi_->tx_stats().frames, 10u);
}

TEST_F(FaultTest, LossRateMatchesProbabilityAndIsCountedAsDrops) {
  Make({.loss = 0.2}, 42);
  for (uint32_t i = 0; i < 10000; ++i) Send(i);
  const uint64_t lost = fi_->tx_stats().lost;
  EXPECT_GT(lost, 1800u);
  EXPECT_LT(lost, 2200u);
  EXPECT_EQ(sink_->marks.size(), 10000 - lost);
  EXPECT_EQ(core.drops().Get(DropReason::kFAULT_INJECTED), lost);
}

TEST_F(FaultTest, SameSeedSameFaults) {
  Make({.loss = 0.3, .duplicate = 0.1}, 7);
  for (uint32_t i = 0; i < 200; ++i) Send(i);
  std::vector<uint32_t> first = sink_->marks;
  FaultRig other;
  other.Make({.loss = 0.3, .duplicate = 0.1}, 7);
  for (uint32_t i = 0; i < 200; ++i) other.Send(i);
  EXPECT_EQ(first, other.sink_->marks);
}

TEST_F(FaultTest, DuplicateDeliversTwice) {
  Make({.duplicate = 1.0});
  Send(5);
  ASSERT_EQ(sink_->marks, (std::vector<uint32_t>{5, 5}));
  EXPECT_EQ(pool.stats().unaccounted, 0u);
}

TEST_F(FaultTest, CorruptionFlipsOneBitOfACopyNeverTheOriginal) {
  Make({.corrupt = 1.0});
  SkbPtr s = core.AllocSkb(64, 100);
  std::memset(s->Put(100), 0, 100);
  s->dev = fi_;
  SkbPtr keep = pool.Clone(*s);  // as TCP keeps its original
  fi_->StartXmit(std::move(s));
  ASSERT_EQ(sink_->data.size(), 1u);
  int bits = 0;
  for (std::byte b : sink_->data[0]) bits += std::popcount(static_cast<uint8_t>(b));
  EXPECT_EQ(bits, 1);
  for (size_t i = 0; i < keep->len(); ++i) ASSERT_EQ(keep->data()[i], std::byte{0});
  core.Consume(std::move(keep));
}

TEST_F(FaultTest, DelayIsExactAtMicrosecondResolution) {
  Make({.delay = absl::Microseconds(50)});
  const absl::Time t0 = clock.Now();
  Send(1);
  EXPECT_TRUE(sink_->times.empty());
  loop.RunFor(absl::Microseconds(49));
  EXPECT_TRUE(sink_->times.empty());
  loop.RunFor(absl::Microseconds(1));
  ASSERT_EQ(sink_->times.size(), 1u);
  EXPECT_EQ(sink_->times[0] - t0, absl::Microseconds(50));
}

TEST_F(FaultTest, RateLimitSerializesFrames) {
  // 1500-byte frames at 12 Mbit/s: one per millisecond.
  Make({.rate_bps = 12'000'000});
  const absl::Time t0 = clock.Now();
  for (uint32_t i = 0; i < 5; ++i) Send(i, 1500);
  loop.RunFor(absl::Seconds(1));
  ASSERT_EQ(sink_->times.size(), 5u);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(sink_->times[i] - t0, absl::Milliseconds(i + 1));
  EXPECT_EQ(sink_->marks, (std::vector<uint32_t>{0, 1, 2, 3, 4}));
}

TEST_F(FaultTest, QueueLimitDropsBeyondIt) {
  Make({.rate_bps = 8000, .queue_limit = 3});
  for (uint32_t i = 0; i < 10; ++i) Send(i, 100);
  EXPECT_EQ(fi_->tx_stats().queue_drops, 7u);
  EXPECT_EQ(core.drops().Get(DropReason::kFULL_RING), 7u);
  loop.RunFor(absl::Seconds(10));
  EXPECT_EQ(sink_->marks.size(), 3u);
}

TEST_F(FaultTest, ReorderLetsLaterFramesOvertake) {
  Make({.reorder = 0.5, .reorder_gap = absl::Milliseconds(1)}, 3);
  for (uint32_t i = 0; i < 50; ++i) Send(i);
  loop.RunFor(absl::Seconds(1));
  ASSERT_EQ(sink_->marks.size(), 50u);
  EXPECT_GT(fi_->tx_stats().reordered, 10u);
  bool out_of_order = false;
  for (size_t i = 1; i < sink_->marks.size(); ++i) out_of_order |= sink_->marks[i] < sink_->marks[i - 1];
  EXPECT_TRUE(out_of_order);
}

TEST(FaultInjector, DestroyingWithFramesInFlightDropsThemAsPurged) {
  ManualClock clock;
  EventLoop loop(clock);
  SkbPool pool;
  NetCore core(loop, pool, "t", 1);
  auto f = std::make_unique<FaultInjector>(std::make_unique<Sink>(loop), loop,
                                           FaultConfig{.delay = absl::Seconds(1)}, FaultConfig{}, 1);
  f->Attach(&core);
  for (int i = 0; i < 2; ++i) {
    SkbPtr s = core.AllocSkb(64, 10);
    (void)s->Put(10);
    f->StartXmit(std::move(s));
  }
  EXPECT_EQ(pool.in_use(), 2u);
  f.reset();
  EXPECT_EQ(pool.in_use(), 0u);
  EXPECT_EQ(pool.stats().unaccounted, 0u);
  EXPECT_EQ(core.drops().Get(DropReason::kQUEUE_PURGE), 2u);
}

}  // namespace
}  // namespace usnet
