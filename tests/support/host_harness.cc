#include "tests/support/host_harness.h"

#include <cstring>

#include "kernel/check.h"
#include "net/wire/arp.h"
#include "net/wire/icmp.h"
#include "net/wire/udp.h"

namespace usnet::testing {

HostHarness::HostHarness(uint32_t mtu) {
  auto d = std::make_unique<CaptureDevice>("eth0", MacAddr::Local(2), mtu);
  dev = d.get();
  host.AddDevice(std::move(d));
  USNET_CHECK(host.AddAddress("eth0", "10.0.0.2/24").ok());
}

HostHarness::~HostHarness() = default;

void HostHarness::Inject(std::span<const std::byte> frame) {
  SkbPtr skb = host.core().AllocSkb(kRxHeadroom, frame.size());
  USNET_CHECK(skb);
  if (!frame.empty()) std::memcpy(skb->Put(frame.size()), frame.data(), frame.size());
  dev->Receive(std::move(skb));
}

uint64_t HostHarness::Counter(std::string_view name) {
  for (const auto& [n, v] : host.Counters()) {
    if (n == name) return v;
  }
  USNET_CHECK(!"unknown counter");
  return 0;
}

Bytes HostHarness::AsBytes(std::string_view s) {
  Bytes b(s.size());
  if (!s.empty()) std::memcpy(b.data(), s.data(), s.size());
  return b;
}

Bytes HostHarness::EthFrame(MacAddr src, MacAddr dst, uint16_t type, std::span<const std::byte> payload) {
  Bytes f(kEthHeaderLen + payload.size());
  EthRepr{dst, src, type}.Emit(f.data());
  if (!payload.empty()) std::memcpy(f.data() + kEthHeaderLen, payload.data(), payload.size());
  return f;
}

Bytes HostHarness::IpPacket(const IpSpec& s, std::span<const std::byte> payload) {
  Bytes p(kIpv4MinHeaderLen + payload.size());
  Ipv4Repr{.src = s.src, .dst = s.dst, .protocol = s.protocol, .ttl = s.ttl, .tos = 0, .id = s.id,
           .df = s.df, .mf = s.mf, .frag_offset = s.frag_offset, .payload_len = payload.size()}
      .Emit(p.data());
  if (!payload.empty()) std::memcpy(p.data() + kIpv4MinHeaderLen, payload.data(), payload.size());
  return p;
}

Bytes HostHarness::IpFrame(const IpSpec& s, std::span<const std::byte> payload) {
  Bytes ip = IpPacket(s, payload);
  return EthFrame(s.src_mac, s.dst_mac, kEthPIp, ip);
}

Bytes HostHarness::UdpFrame(const UdpSpec& s) {
  Bytes u(kUdpHeaderLen + s.payload.size());
  if (!s.payload.empty()) std::memcpy(u.data() + kUdpHeaderLen, s.payload.data(), s.payload.size());
  UdpRepr{Port(s.sport), Port(s.dport), s.payload.size()}.Emit(u.data(), s.ip.src, s.ip.dst);
  if (s.bad_checksum) u[6] ^= std::byte{0x55};
  IpSpec ip = s.ip;
  ip.protocol = kIpProtoUdp;
  return IpFrame(ip, u);
}

Bytes HostHarness::IcmpFrame(const IpSpec& ip, uint8_t type, uint8_t code, uint32_t rest,
                             std::span<const std::byte> data) {
  Bytes m(kIcmpHeaderLen + data.size());
  if (!data.empty()) std::memcpy(m.data() + kIcmpHeaderLen, data.data(), data.size());
  IcmpRepr{type, code, rest}.Emit(m.data(), data.size());
  IpSpec s = ip;
  s.protocol = kIpProtoIcmp;
  return IpFrame(s, m);
}

Bytes HostHarness::ArpFrame(uint16_t op, MacAddr sha, Ipv4Addr spa, MacAddr tha, Ipv4Addr tpa,
                            MacAddr eth_dst) {
  Bytes a(kArpLen);
  ArpRepr{op, sha, spa, tha, tpa}.Emit(a.data());
  return EthFrame(sha, eth_dst, kEthPArp, a);
}

}  // namespace usnet::testing
