// A NetDevice that does nothing but count: for tests that need a device
// (routes name one, NAPI queues hand frames to one) but no wire.
//
//   FakeDevice eth0("eth0");
//   fib.Add({.dst = *Ipv4Prefix::Parse("10.0.0.0/24"), .dev = &eth0});
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "net/core/netdevice.h"

namespace usnet::testing {

class FakeDevice final : public NetDevice {
 public:
  explicit FakeDevice(std::string name, DeviceType type = DeviceType::kEther)
      : NetDevice(std::move(name), type, MacAddr::Local(1), 1500) {}
  // Transmitted frames are counted and consumed.
  void StartXmit(SkbPtr skb) override {
    ++stats_.tx_packets;
    stats_.tx_bytes += skb->len();
    skb->pool().FreeConsumed(std::move(skb));
  }
};

// An RxHandler that records the marks of what it received and consumes it.
class CountingRxHandler final : public RxHandler {
 public:
  void HandleRx(SkbPtr skb) override {
    marks.push_back(skb->mark);
    skb->pool().FreeConsumed(std::move(skb));
  }
  std::vector<uint32_t> marks;
};

}  // namespace usnet::testing
