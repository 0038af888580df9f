// One usnet host on a capture device, for packet-level tests: frames are
// injected as a driver's NAPI poll would hand them up, and every frame the
// host transmits is kept for inspection. The host is 10.0.0.2/24 with MAC
// 02:00:00:00:00:02 on "eth0"; tests play the peer (10.0.0.1,
// 02:00:00:00:00:01 by default).
//
//   HostHarness h;
//   h.Inject(h.UdpFrame({.dport = 7, .payload = "hi"}));
//   h.Run(absl::Milliseconds(1));
//   ASSERT_EQ(h.sent().size(), 1u);
#pragma once

#include <functional>
#include <span>
#include <string>
#include <vector>

#include "kernel/clock.h"
#include "kernel/event_loop.h"
#include "net/core/skb_bits.h"
#include "net/stack.h"
#include "net/wire/ethernet.h"
#include "net/wire/ipv4.h"
#include "syscalls/process.h"

namespace usnet::testing {

using Bytes = std::vector<std::byte>;

class CaptureDevice final : public NetDevice {
 public:
  CaptureDevice(std::string name, MacAddr mac, uint32_t mtu)
      : NetDevice(std::move(name), DeviceType::kEther, mac, mtu) {}
  void StartXmit(SkbPtr skb) override {
    ++stats_.tx_packets;
    SkbFlatten(*skb, sent.emplace_back());  // frames may be paged (TCP)
    sent_at.push_back(core_->loop().clock().Now());
    core_->Consume(std::move(skb));
  }
  std::vector<Bytes> sent;
  std::vector<absl::Time> sent_at;  // when each frame left
};

struct IpSpec {
  Ipv4Addr src = Ipv4Addr::FromOctets(10, 0, 0, 1);
  Ipv4Addr dst = Ipv4Addr::FromOctets(10, 0, 0, 2);
  uint8_t protocol = 17;
  uint8_t ttl = 64;
  uint16_t id = 1;
  bool df = false;
  bool mf = false;
  size_t frag_offset = 0;
  MacAddr src_mac = MacAddr::Local(1);
  MacAddr dst_mac = MacAddr::Local(2);
};

struct UdpSpec {
  IpSpec ip{};
  uint16_t sport = 40000;
  uint16_t dport = 7;
  std::string payload;
  bool bad_checksum = false;
};

class HostHarness {
 public:
  explicit HostHarness(uint32_t mtu = 1500);
  ~HostHarness();

  void Inject(std::span<const std::byte> frame);
  void Run(absl::Duration d) { loop.RunFor(d); }
  std::vector<Bytes>& sent() { return dev->sent; }
  void ClearSent() {
    dev->sent.clear();
    dev->sent_at.clear();
  }
  uint64_t Counter(std::string_view name);
  uint64_t Drops(DropReason r) { return host.core().drops().Get(r); }

  // Frame builders (Ethernet + IPv4 + ...), checksums correct.
  static Bytes EthFrame(MacAddr src, MacAddr dst, uint16_t type,
                        std::span<const std::byte> payload);
  static Bytes IpPacket(const IpSpec& s, std::span<const std::byte> payload);
  static Bytes IpFrame(const IpSpec& s, std::span<const std::byte> payload);
  static Bytes UdpFrame(const UdpSpec& s);
  static Bytes IcmpFrame(const IpSpec& ip, uint8_t type, uint8_t code, uint32_t rest,
                         std::span<const std::byte> data);
  static Bytes ArpFrame(uint16_t op, MacAddr sha, Ipv4Addr spa, MacAddr tha, Ipv4Addr tpa,
                        MacAddr eth_dst);
  static Bytes AsBytes(std::string_view s);

  ManualClock clock;
  EventLoop loop{clock};
  SkbPool pool;
  Stack host{loop, pool, "h", 7};
  CaptureDevice* dev = nullptr;
  Process proc{host};
};

}  // namespace usnet::testing
