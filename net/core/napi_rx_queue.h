// A bounded receive queue drained by NAPI: the common receive half of
// software devices (loopback, memlink). Enqueue is the wire delivering a
// frame and raising the interrupt; the poll hands up to `budget` frames to
// the device's Receive().
//
//   NapiRxQueue rxq(loop, *this, /*limit=*/1000);
//   rxq.Enqueue(std::move(skb));     // drops FULL_RING beyond the limit
#pragma once

#include "net/core/napi.h"
#include "net/core/netdevice.h"
#include "net/core/skb_queue.h"

namespace usnet {

class NapiRxQueue {
 public:
  NapiRxQueue(EventLoop& loop, NetDevice& dev, uint32_t limit)
      : dev_(dev),
        limit_(limit),
        napi_(
            loop, [this](int budget) { return Poll(budget); }, [this] { return !q_.empty(); }) {}
  ~NapiRxQueue() { Purge(); }

  // Returns false (and drops the frame, counted) when the queue is full.
  bool Enqueue(SkbPtr skb) {
    if (q_.size() >= limit_) {
      ++dev_.stats().rx_dropped;
      dev_.DropSkb(std::move(skb), DropReason::kFULL_RING);
      return false;
    }
    q_.PushBack(std::move(skb));
    napi_.Interrupt();
    return true;
  }
  void Purge() {
    while (SkbPtr s = q_.PopFront()) dev_.DropSkb(std::move(s), DropReason::kQUEUE_PURGE);
  }
  const Napi& napi() const { return napi_; }
  uint32_t size() const { return q_.size(); }
  void set_limit(uint32_t l) { limit_ = l; }

 private:
  int Poll(int budget) {
    int n = 0;
    while (n < budget) {
      SkbPtr skb = q_.PopFront();
      if (!skb) break;
      dev_.Receive(std::move(skb));
      ++n;
    }
    if (n < budget) napi_.CompleteDone(n);
    return n;
  }

  NetDevice& dev_;
  uint32_t limit_;
  SkbQueue q_;
  Napi napi_;
};

}  // namespace usnet
