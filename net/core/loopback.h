// The loopback device "lo": what a host sends to one of its own addresses
// comes back in through here, via NAPI like any received frame. (Linux keeps
// it in drivers/net/loopback.c; it lives in net/core because every host
// creates one and net/ may not include drivers/.)
#pragma once

#include "net/core/napi_rx_queue.h"
#include "net/core/netdevice.h"

namespace usnet {

class LoopbackDevice final : public NetDevice {
 public:
  explicit LoopbackDevice(EventLoop& loop);
  void StartXmit(SkbPtr skb) override;
  std::vector<const Napi*> napis() const override { return {&rxq_.napi()}; }

 private:
  NapiRxQueue rxq_;
};

}  // namespace usnet
