// A device that wraps another (gVisor's link endpoints that wrap each
// other). It takes the inner device's name, type, address, MTU and features,
// sits between it and the stack in both directions, and by default passes
// everything through; FaultInjector and PcapSniffer override the two hooks.
//
//   auto dev = std::make_unique<PcapSniffer>(std::move(inner), "out.pcap");
//   host.AddDevice(std::move(dev));
#pragma once

#include <memory>

#include "net/core/netdevice.h"

namespace usnet {

class WrapperDevice : public NetDevice, public RxHandler {
 public:
  explicit WrapperDevice(std::unique_ptr<NetDevice> inner);
  ~WrapperDevice() override = default;

  // Stack -> wire. Default: count and pass to the inner device.
  void StartXmit(SkbPtr skb) override;
  // Wire -> stack. Default: pass up.
  void HandleRx(SkbPtr skb) override { Receive(std::move(skb)); }
  void Attach(NetCore* core) override;
  std::vector<const Napi*> napis() const override { return inner_->napis(); }

  NetDevice& inner() { return *inner_; }

 protected:
  // Sends to the inner device, counting the frame as transmitted here.
  void PassDown(SkbPtr skb);

 private:
  std::unique_ptr<NetDevice> inner_;
};

}  // namespace usnet
