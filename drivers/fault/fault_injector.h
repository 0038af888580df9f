// FaultInjector: wraps any device and makes its link misbehave, reproducibly
// (seeded): loss, duplication, reordering, bit corruption, delay with
// jitter, and a rate limit with a bounded queue. Each direction has its own
// settings: `tx` acts on frames the stack sends, `rx` on frames arriving.
//
// Corruption flips one random bit of a private copy (the original may be
// shared with TCP's retransmit queue). Reordering holds a frame back by
// `reorder_gap`, so later frames of a burst overtake it. Frames that must
// wait (delay, rate, reorder) sit in a queue ordered by release time; one
// timer releases them.
//
//   FaultConfig lossy{.loss = 0.05, .reorder = 0.02, .duplicate = 0.01};
//   auto dev = std::make_unique<FaultInjector>(std::move(inner), loop, lossy, lossy, /*seed=*/7);
#pragma once

#include <cstdint>
#include <random>

#include "absl/time/time.h"
#include "drivers/wrap/wrapper_device.h"
#include "kernel/hrtimer.h"
#include "net/core/skb_queue.h"

namespace usnet {

struct FaultConfig {
  double loss = 0;       // probability a frame vanishes
  double duplicate = 0;  // probability a frame is delivered twice
  double reorder = 0;    // probability a frame is held back by reorder_gap
  double corrupt = 0;    // probability one bit of the frame is flipped
  absl::Duration delay = absl::ZeroDuration();   // fixed latency
  absl::Duration jitter = absl::ZeroDuration();  // + uniform [0, jitter)
  absl::Duration reorder_gap = absl::Milliseconds(1);
  uint64_t rate_bps = 0;        // serialization rate; 0 = unlimited
  uint32_t queue_limit = 1000;  // frames waiting (delay/rate); beyond: dropped
  bool active() const {
    return loss > 0 || duplicate > 0 || reorder > 0 || corrupt > 0 || delay > absl::ZeroDuration() ||
           jitter > absl::ZeroDuration() || rate_bps > 0;
  }
};

struct FaultStats {
  uint64_t frames = 0, lost = 0, duplicated = 0, reordered = 0, corrupted = 0, delayed = 0,
           queue_drops = 0;
};

class FaultInjector final : public WrapperDevice {
 public:
  FaultInjector(std::unique_ptr<NetDevice> inner, EventLoop& loop, FaultConfig tx, FaultConfig rx,
                uint64_t seed);
  ~FaultInjector() override;

  void StartXmit(SkbPtr skb) override;
  void HandleRx(SkbPtr skb) override;

  const FaultStats& tx_stats() const { return dir_[0].stats; }
  const FaultStats& rx_stats() const { return dir_[1].stats; }
  FaultConfig& tx_config() { return dir_[0].cfg; }
  FaultConfig& rx_config() { return dir_[1].cfg; }

 private:
  struct Direction {
    Direction(FaultInjector* o, int i, FaultConfig c);
    FaultInjector* owner;
    int index;  // 0 = tx, 1 = rx
    FaultConfig cfg;
    FaultStats stats;
    SkbQueue waiting;           // ordered by release time
    absl::Time link_free;       // when the rate-limited link is idle again
    HrTimer timer;
  };
  void Apply(Direction& d, SkbPtr skb);
  void Schedule(Direction& d, SkbPtr skb, absl::Time release);
  void Release(Direction& d);
  void Emit(Direction& d, SkbPtr skb);
  bool Chance(double p);
  SkbPtr Corrupt(SkbPtr skb);

  EventLoop& loop_;
  std::mt19937_64 rng_;
  Direction dir_[2];
};

}  // namespace usnet
