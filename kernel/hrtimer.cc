#include "kernel/hrtimer.h"

#include "kernel/check.h"

namespace usnet {

HrTimer::~HrTimer() { USNET_CHECK(!pending()); }

HrTimerQueue::~HrTimerQueue() {
  for (HrTimer* t : heap_) t->index_ = -1;
}

void HrTimerQueue::Up(size_t i) {
  HrTimer* t = heap_[i];
  while (i > 0) {
    size_t parent = (i - 1) / 2;
    if (!Before(t, heap_[parent])) break;
    Place(i, heap_[parent]);
    i = parent;
  }
  Place(i, t);
}

void HrTimerQueue::Down(size_t i) {
  HrTimer* t = heap_[i];
  const size_t n = heap_.size();
  for (;;) {
    size_t c = 2 * i + 1;
    if (c >= n) break;
    if (c + 1 < n && Before(heap_[c + 1], heap_[c])) ++c;
    if (!Before(heap_[c], t)) break;
    Place(i, heap_[c]);
    i = c;
  }
  Place(i, t);
}

void HrTimerQueue::RemoveAt(size_t i) {
  HrTimer* t = heap_[i];
  t->index_ = -1;
  HrTimer* last = heap_.back();
  heap_.pop_back();
  if (i < heap_.size()) {
    Place(i, last);
    Up(i);
    Down(static_cast<size_t>(last->index_));
  }
}

void HrTimerQueue::Arm(HrTimer& t, absl::Time when) {
  USNET_CHECK(t.fn_ != nullptr);
  if (t.pending()) RemoveAt(static_cast<size_t>(t.index_));
  t.expires_ = when;
  t.seq_ = ++seq_;
  heap_.push_back(&t);
  t.index_ = static_cast<int64_t>(heap_.size() - 1);
  Up(heap_.size() - 1);
}

bool HrTimerQueue::Cancel(HrTimer& t) {
  if (!t.pending()) return false;
  RemoveAt(static_cast<size_t>(t.index_));
  return true;
}

size_t HrTimerQueue::Run(absl::Time now) {
  size_t fired = 0;
  while (!heap_.empty() && heap_[0]->expires_ <= now) {
    HrTimer* t = heap_[0];
    RemoveAt(0);
    ++fired;
    t->fn_(t->ctx_);
  }
  return fired;
}

std::optional<absl::Time> HrTimerQueue::NextExpiry() const {
  if (heap_.empty()) return std::nullopt;
  return heap_[0]->expires_;
}

}  // namespace usnet
