#include "kernel/timer_wheel.h"

#include <algorithm>
#include <bit>

#include "kernel/check.h"

namespace usnet {

Timer::~Timer() {
  // The owner must cancel before destroying; a dangling node would corrupt
  // the wheel.
  USNET_CHECK(!pending());
}

TimerWheel::TimerWheel(absl::Time start, absl::Time epoch) : epoch_(epoch) {
  clk_ = FloorTick(start);
}

TimerWheel::~TimerWheel() {
  // Detach whatever is left so owners' destructors do not trip the check.
  for (auto& s : slots_) {
    while (!s.empty()) Unlink(AsTimer(s.head.next));
  }
  while (!expiring_.empty()) Unlink(AsTimer(expiring_.head.next));
}

uint64_t TimerWheel::FloorTick(absl::Time t) const {
  if (t <= epoch_) return 0;
  return static_cast<uint64_t>(absl::ToInt64Milliseconds(t - epoch_));
}

uint64_t TimerWheel::TickOf(absl::Time t) const {
  uint64_t ms = FloorTick(t);
  if (TimeOfTick(ms) < t) ++ms;  // round up: a timer never fires early
  return ms;
}

void TimerWheel::Link(int slot, Timer& t) {
  Node& h = slots_[slot].head;
  t.prev = h.prev;
  t.next = &h;
  h.prev->next = &t;
  h.prev = &t;
  t.slot_ = slot;
  occupied_[slot / 64] |= uint64_t{1} << (slot % 64);
}

void TimerWheel::Unlink(Timer& t) {
  t.prev->next = t.next;
  t.next->prev = t.prev;
  if (t.slot_ >= 0 && slots_[t.slot_].empty()) {
    occupied_[t.slot_ / 64] &= ~(uint64_t{1} << (t.slot_ % 64));
  }
  t.next = t.prev = nullptr;
  t.slot_ = -1;
}

void TimerWheel::Insert(Timer& t) {
  if (t.expires_ < clk_) t.expires_ = clk_;
  uint64_t delta = t.expires_ - clk_;
  if (delta > kMaxDelta) {
    delta = kMaxDelta;
    t.expires_ = clk_ + kMaxDelta;
  }
  int level = 0;
  if (delta >= kL0Size) {
    level = 1;
    while (level < kLevels - 1 && delta >= (uint64_t{1} << Shift(level + 1))) ++level;
  }
  int mask = level == 0 ? kL0Size - 1 : kLnSize - 1;
  Link(SlotBase(level) + static_cast<int>((t.expires_ >> Shift(level)) & mask), t);
}

void TimerWheel::ArmTicks(Timer& t, uint64_t tick) {
  USNET_CHECK(t.fn_ != nullptr);
  if (t.pending()) {
    Unlink(t);
  } else {
    ++count_;
  }
  t.expires_ = tick;
  t.seq_ = ++seq_;
  Insert(t);
}

void TimerWheel::Arm(Timer& t, absl::Time when) { ArmTicks(t, TickOf(when)); }

bool TimerWheel::Cancel(Timer& t) {
  if (!t.pending()) return false;
  Unlink(t);
  --count_;
  return true;
}

// clk_ has just become `tick`, a multiple of 256: pull the level-1 slot of
// this block down, and the slot of each higher level whose lower index
// wrapped to 0 (Linux's cascade() in the pre-4.8 __run_timers).
void TimerWheel::CascadeAt(uint64_t tick) {
  for (int level = 1; level < kLevels; ++level) {
    int idx = static_cast<int>((tick >> Shift(level)) & (kLnSize - 1));
    int slot = SlotBase(level) + idx;
    Slot& s = slots_[slot];
    if (!s.empty()) {
      Node* first = s.head.next;
      s.head.prev->next = nullptr;
      s.head.next = s.head.prev = &s.head;
      occupied_[slot / 64] &= ~(uint64_t{1} << (slot % 64));
      for (Node* n = first; n != nullptr;) {
        Node* next = n->next;
        Insert(AsTimer(n));  // keeps list order, so arm order is preserved
        n = next;
      }
    }
    if (idx != 0) break;
  }
}

// Moves a level-0 slot's timers (all due in the same tick) onto expiring_,
// in arm order. Cascading can interleave arm orders, so sort if needed.
void TimerWheel::DetachToExpiring(int slot) {
  Slot& s = slots_[slot];
  scratch_.clear();
  bool sorted = true;
  for (Node* n = s.head.next; n != &s.head; n = n->next) {
    Timer* t = &AsTimer(n);
    if (!scratch_.empty() && t->seq_ < scratch_.back()->seq_) sorted = false;
    scratch_.push_back(t);
  }
  if (!sorted) {
    std::sort(scratch_.begin(), scratch_.end(),
              [](const Timer* a, const Timer* b) { return a->seq_ < b->seq_; });
  }
  s.head.next = s.head.prev = &s.head;
  occupied_[slot / 64] &= ~(uint64_t{1} << (slot % 64));
  Node& x = expiring_.head;
  for (Timer* t : scratch_) {
    t->prev = x.prev;
    t->next = &x;
    x.prev->next = t;
    x.prev = t;
    t->slot_ = kExpiring;
  }
}

size_t TimerWheel::FireExpiring() {
  size_t fired = 0;
  // One at a time: a callback may cancel or re-arm timers still waiting here.
  while (!expiring_.empty()) {
    Timer& t = AsTimer(expiring_.head.next);
    Unlink(t);
    --count_;
    ++fired;
    t.fn_(t.ctx_);
  }
  return fired;
}

int TimerWheel::FirstSet(int level, int from) const {
  int base = SlotBase(level);
  int size = level == 0 ? kL0Size : kLnSize;
  for (int i = from; i < size;) {
    int bit = base + i;
    uint64_t word = occupied_[bit / 64] >> (bit % 64);
    if (word != 0) {
      int found = i + std::countr_zero(word);
      return found < size ? found : -1;
    }
    i += 64 - bit % 64;
  }
  return -1;
}

uint64_t TimerWheel::MinExpiry(int slot) const {
  uint64_t best = UINT64_MAX;
  const Node* h = &slots_[slot].head;
  for (const Node* n = h->next; n != h; n = n->next) {
    best = std::min(best, static_cast<const Timer*>(n)->expires_);
  }
  return best;
}

size_t TimerWheel::Run(absl::Time now) {
  const uint64_t target = FloorTick(now);
  size_t fired = 0;
  while (clk_ <= target) {
    if (count_ == 0) {
      clk_ = target + 1;  // every level is empty: nothing to cascade
      break;
    }
    const int idx = static_cast<int>(clk_ & (kL0Size - 1));
    const uint64_t block_start = clk_ - idx;
    const uint64_t block_end = block_start + kL0Size;
    const uint64_t stop = std::min(block_end, target + 1);
    const int next = FirstSet(0, idx);
    const bool fire = next >= 0 && block_start + next < stop;
    // Like Linux, advance the clock before running callbacks, so a timer a
    // callback arms for "now" lands in the next tick, not a passed slot.
    clk_ = fire ? block_start + next + 1 : stop;
    if (fire) DetachToExpiring(next);
    if (clk_ == block_end) CascadeAt(clk_);
    if (fire) fired += FireExpiring();
  }
  return fired;
}

std::optional<absl::Time> TimerWheel::NextExpiry() const {
  if (count_ == 0) return std::nullopt;
  const int idx = static_cast<int>(clk_ & (kL0Size - 1));
  // Level 0 at or after the current index holds the soonest timers there are.
  int s = FirstSet(0, idx);
  if (s >= 0) return TimeOfTick((clk_ - idx) + s);
  // Otherwise the soonest is in the next block or later: in a wrapped
  // level-0 slot or in the first occupied slot (circularly after the current
  // one, which has already been cascaded) of some higher level.
  uint64_t best = UINT64_MAX;
  s = FirstSet(0, 0);
  if (s >= 0) best = MinExpiry(s);
  for (int level = 1; level < kLevels; ++level) {
    int cur = static_cast<int>((clk_ >> Shift(level)) & (kLnSize - 1));
    int f = FirstSet(level, cur + 1);
    if (f < 0) f = FirstSet(level, 0);
    if (f >= 0) best = std::min(best, MinExpiry(SlotBase(level) + f));
  }
  USNET_CHECK(best != UINT64_MAX);
  return TimeOfTick(best);
}

}  // namespace usnet
