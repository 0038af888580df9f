// A hierarchical timer wheel with a 1 ms tick (Linux jiffies at HZ=1000),
// in the classic cascading form of kernel/timer.c before 4.8: five levels
// (256 one-tick slots, then 4 x 64 coarser slots) so arm and cancel are O(1)
// and a timer fires in exactly the tick it asked for (no granularity slack,
// so "SYN-ACK at 1, 3, 7 s" is exact in tests).
//
// Timers are intrusive: the owner embeds a Timer (like struct timer_list),
// so arming allocates nothing. Timers due in the same tick fire in the order
// they were armed. A callback may arm or cancel any timer, itself included.
//
//   struct Conn { Timer rto{[](void* c) { static_cast<Conn*>(c)->OnRto(); }, this}; };
//   wheel.Arm(conn.rto, now + absl::Seconds(1));
//   wheel.Run(clock.Now());             // fires what is due
//   std::optional<absl::Time> next = wheel.NextExpiry();
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "absl/time/time.h"

namespace usnet {

class TimerWheel;

namespace internal {
struct TimerNode {
  TimerNode* next = nullptr;
  TimerNode* prev = nullptr;  // non-null exactly while linked
};
}  // namespace internal

class Timer : private internal::TimerNode {
 public:
  using Fn = void (*)(void* ctx);
  Timer(Fn fn, void* ctx) : fn_(fn), ctx_(ctx) {}
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;
  ~Timer();

  bool pending() const { return prev != nullptr; }
  // The tick (ms since the clock's epoch) this timer fires in; valid while pending.
  uint64_t expires_tick() const { return expires_; }

 private:
  friend class TimerWheel;
  Fn fn_;
  void* ctx_;
  uint64_t expires_ = 0;
  uint64_t seq_ = 0;
  int32_t slot_ = -1;  // wheel slot while pending; kExpiring while being fired
};

class TimerWheel {
 public:
  // Ticks are whole milliseconds since `epoch` (the owning clock's zero).
  explicit TimerWheel(absl::Time start, absl::Time epoch = absl::UnixEpoch());
  TimerWheel(const TimerWheel&) = delete;
  TimerWheel& operator=(const TimerWheel&) = delete;
  ~TimerWheel();

  // Arms (or re-arms) `t` to fire at the first tick >= `when`. A time in the
  // past fires on the next Run.
  void Arm(Timer& t, absl::Time when);
  void ArmTicks(Timer& t, uint64_t tick);
  // Cancels `t` if pending; returns whether it was.
  bool Cancel(Timer& t);

  // Fires every timer due at or before `now`, in (tick, arm order).
  // Returns the number fired.
  size_t Run(absl::Time now);

  // The earliest pending expiry, if any.
  std::optional<absl::Time> NextExpiry() const;

  size_t size() const { return count_; }
  uint64_t current_tick() const { return clk_; }
  uint64_t TickOf(absl::Time t) const;  // rounds up: never early
  uint64_t FloorTick(absl::Time t) const;
  absl::Time TimeOfTick(uint64_t tick) const { return epoch_ + absl::Milliseconds(tick); }

 private:
  static constexpr int kL0Bits = 8, kLnBits = 6, kLevels = 5;
  static constexpr int kL0Size = 1 << kL0Bits, kLnSize = 1 << kLnBits;
  static constexpr uint64_t kMaxDelta = (uint64_t{1} << (kL0Bits + 4 * kLnBits)) - 1;

  using Node = internal::TimerNode;
  struct Slot {
    Node head;  // sentinel of a circular list
    Slot() { head.next = head.prev = &head; }
    bool empty() const { return head.next == &head; }
  };
  static constexpr int32_t kExpiring = -2;
  static Timer& AsTimer(Node* n) { return *static_cast<Timer*>(n); }
  // Level 0 has 256 slots, levels 1-4 have 64 each (flattened).
  static constexpr int kSlots = kL0Size + 4 * kLnSize;
  static int Shift(int level) { return level == 0 ? 0 : kL0Bits + (level - 1) * kLnBits; }
  static int SlotBase(int level) { return level == 0 ? 0 : kL0Size + (level - 1) * kLnSize; }

  void Insert(Timer& t);
  void Link(int slot, Timer& t);
  void Unlink(Timer& t);
  void CascadeAt(uint64_t tick);
  void DetachToExpiring(int slot);
  size_t FireExpiring();
  int FirstSet(int level, int from) const;  // first occupied slot index >= from, or -1
  uint64_t MinExpiry(int slot) const;

  absl::Time epoch_;
  uint64_t clk_;  // next tick to process; all earlier ticks have fired
  uint64_t seq_ = 0;
  size_t count_ = 0;
  std::array<Slot, kSlots> slots_;
  std::array<uint64_t, kSlots / 64 + 1> occupied_{};  // bit per slot
  Slot expiring_;                  // timers detached for the tick being fired
  std::vector<Timer*> scratch_;    // reused when a slot needs reordering
};

}  // namespace usnet
