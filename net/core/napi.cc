#include "net/core/napi.h"

#include <algorithm>
#include <bit>

#include "kernel/check.h"

namespace usnet {

Napi::Napi(EventLoop& loop, PollFn poll, std::function<bool()> has_work)
    : loop_(loop), poll_(std::move(poll)), has_work_(std::move(has_work)) {}

void Napi::Interrupt() {
  if (!irq_enabled_) return;
  irq_enabled_ = false;
  ++stats_.interrupts;
  loop_.ScheduleNapi(this);
}

void Napi::CompleteDone(int work) {
  (void)work;
  loop_.Complete(this);
}

int Napi::Poll(int budget) {
  ++stats_.polls;
  int work = poll_(budget);
  USNET_CHECK(work >= 0 && work <= budget);
  stats_.packets += static_cast<uint64_t>(work);
  if (work == budget) ++stats_.full_polls;
  int bucket = work == 0 ? 0 : std::min(7, static_cast<int>(std::bit_width(static_cast<unsigned>(work))));
  ++stats_.per_poll[bucket];
  return work;
}

void Napi::OnCompleted() {
  // Re-enable the interrupt. Work that arrived after the driver last looked
  // raises it again at once, as a level-triggered line would.
  irq_enabled_ = true;
  if (has_work_ && has_work_()) Interrupt();
}

}  // namespace usnet
