// High-resolution timers (Linux hrtimer): nanosecond deadlines in a binary
// heap, for the few timers that need better than the wheel's 1 ms tick
// (link delay and serialization in a FaultInjector, pacing). O(log n) arm
// and cancel; protocol timers stay on the O(1) wheel. Same-instant timers
// fire in arm order.
//
//   HrTimer t([](void* c) { ... }, ctx);
//   loop.hrtimers().Arm(t, now + absl::Microseconds(50));
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/time/time.h"

namespace usnet {

class HrTimer {
 public:
  using Fn = void (*)(void* ctx);
  HrTimer(Fn fn, void* ctx) : fn_(fn), ctx_(ctx) {}
  HrTimer(const HrTimer&) = delete;
  HrTimer& operator=(const HrTimer&) = delete;
  ~HrTimer();
  bool pending() const { return index_ >= 0; }
  absl::Time expires() const { return expires_; }

 private:
  friend class HrTimerQueue;
  Fn fn_;
  void* ctx_;
  absl::Time expires_;
  uint64_t seq_ = 0;
  int64_t index_ = -1;  // position in the heap while pending
};

class HrTimerQueue {
 public:
  HrTimerQueue() = default;
  HrTimerQueue(const HrTimerQueue&) = delete;
  HrTimerQueue& operator=(const HrTimerQueue&) = delete;
  ~HrTimerQueue();

  void Arm(HrTimer& t, absl::Time when);
  bool Cancel(HrTimer& t);
  // Fires every timer due at or before `now`; returns how many.
  size_t Run(absl::Time now);
  std::optional<absl::Time> NextExpiry() const;
  size_t size() const { return heap_.size(); }

 private:
  static bool Before(const HrTimer* a, const HrTimer* b) {
    return a->expires_ < b->expires_ || (a->expires_ == b->expires_ && a->seq_ < b->seq_);
  }
  void Up(size_t i);
  void Down(size_t i);
  void Place(size_t i, HrTimer* t) {
    heap_[i] = t;
    t->index_ = static_cast<int64_t>(i);
  }
  void RemoveAt(size_t i);

  std::vector<HrTimer*> heap_;
  uint64_t seq_ = 0;
};

}  // namespace usnet
