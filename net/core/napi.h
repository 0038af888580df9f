// NAPI: a device "interrupt" schedules the instance on the event loop's poll
// list (napi_schedule) and disables further interrupts; the loop then calls
// the driver's poll with a budget (weight 64). A poll that used its whole
// budget stays scheduled; one that finished under budget calls CompleteDone
// (napi_complete_done), which re-enables the interrupt (and re-raises it if
// work slipped in meanwhile, as a level-triggered line would).
//
//   Napi napi(loop, [&](int budget) { return driver.Poll(budget); });
//   napi.Interrupt();           // from the device: frames arrived
//   // in the driver's poll:  if (done < budget) napi.CompleteDone(done);
#pragma once

#include <array>
#include <cstdint>
#include <functional>

#include "kernel/event_loop.h"

namespace usnet {

struct NapiStats {
  uint64_t interrupts = 0;  // interrupts that scheduled a poll
  uint64_t polls = 0;       // poll calls
  uint64_t packets = 0;     // units processed by polls
  uint64_t full_polls = 0;  // polls that used the whole budget (re-polled)
  // Packets per poll: [0], [1], [2-3], [4-7], [8-15], [16-31], [32-63], [64+].
  std::array<uint64_t, 8> per_poll{};
};

class Napi final : public PollTask {
 public:
  using PollFn = std::function<int(int budget)>;
  // `has_work` tells whether the device has frames waiting; it is asked when
  // the interrupt is re-enabled, to catch work that arrived during the poll.
  Napi(EventLoop& loop, PollFn poll, std::function<bool()> has_work);
  // Linux napi_disable + netif_napi_del: off the poll list before it dies.
  ~Napi() override { loop_.CancelNapi(this); }

  // The device's interrupt line. Does nothing while interrupts are off
  // (a poll is pending or running).
  void Interrupt();
  // Called from inside the poll when it did less than its budget.
  void CompleteDone(int work);
  bool irq_enabled() const { return irq_enabled_; }
  const NapiStats& stats() const { return stats_; }

 private:
  int Poll(int budget) override;
  void OnCompleted() override;

  EventLoop& loop_;
  PollFn poll_;
  std::function<bool()> has_work_;
  bool irq_enabled_ = true;
  NapiStats stats_;
};

}  // namespace usnet
