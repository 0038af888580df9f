// MemLink: an in-memory wire joining two devices in one process (a veth
// pair without a kernel). A frame sent on one end is queued on the other
// end's receive queue, raises its NAPI interrupt, and reaches the other
// stack in the next poll. The skb itself crosses the wire (no copy), the
// way Linux's veth and loopback hand an skb over. The receive queue holds
// txqueuelen frames (1000, like Linux); beyond that frames are dropped and
// counted (FULL_RING). With `offload` the wire acts like veth with TSO:
// GSO super-frames and partial checksums pass through.
//
//   auto [a, b] = MemLink::Make(loop, {.name = "eth0", .mac = ma}, {.name = "eth0", .mac = mb});
//   host_a.AddDevice(std::move(a));  host_b.AddDevice(std::move(b));
#pragma once

#include <memory>
#include <string>
#include <utility>

#include "net/core/napi_rx_queue.h"
#include "net/core/netdevice.h"

namespace usnet {

struct MemLinkEndConfig {
  std::string name = "eth0";
  MacAddr mac;
  uint32_t mtu = 1500;
  uint32_t txqueuelen = 1000;
  // Offloads like veth's: TSO super-frames and CHECKSUM_PARTIAL cross as
  // they are (one 64 KiB frame, checksum trusted by the peer, as Linux
  // trusts a local sender's). Off: every frame is MTU-sized and checked.
  bool offload = false;
};

class MemLinkDevice final : public NetDevice {
 public:
  MemLinkDevice(EventLoop& loop, const MemLinkEndConfig& c);
  ~MemLinkDevice() override;
  void StartXmit(SkbPtr skb) override;
  std::vector<const Napi*> napis() const override { return {&rxq_.napi()}; }
  MemLinkDevice* peer() const { return peer_; }

 private:
  friend struct MemLink;
  MemLinkDevice* peer_ = nullptr;
  bool offload_ = false;
  NapiRxQueue rxq_;
};

struct MemLink {
  static std::pair<std::unique_ptr<MemLinkDevice>, std::unique_ptr<MemLinkDevice>> Make(
      EventLoop& loop, const MemLinkEndConfig& a, const MemLinkEndConfig& b);
};

}  // namespace usnet
