// IPv4 receive: ip_rcv -> ip_rcv_finish -> ip_local_deliver -> (ip_defrag)
// -> ip_local_deliver_finish -> the protocol's handler (Linux
// net/ipv4/ip_input.c). A host does not forward: packets for other
// addresses are counted (InAddrErrors) and dropped.
#include <cstring>

#include "net/ipv4/icmp.h"
#include "net/ipv4/inet.h"
#include "net/ipv4/ip_fragment.h"

namespace usnet {

namespace {
// Linux ip_fast_csum: an IPv4 header is ihl whole 32-bit words, so its sum
// needs no tail handling; a 64-bit accumulator takes the (at most 15) words
// without carries. Same result as CsumFold(CsumPartial(p, hlen, 0)).
inline uint16_t IpFastCsum(const std::byte* p, size_t hlen) {
  uint64_t s = 0;
  size_t i = 0;
  for (; i < kIpv4MinHeaderLen; i += 4) {  // fixed count: unrolled
    uint32_t w;
    std::memcpy(&w, p + i, 4);
    s += w;
  }
  for (; i < hlen; i += 4) {  // options
    uint32_t w;
    std::memcpy(&w, p + i, 4);
    s += w;
  }
  s = (s & 0xffffffff) + (s >> 32);
  s = (s & 0xffffffff) + (s >> 32);
  return CsumFold(static_cast<uint32_t>(s));
}
}  // namespace

// ip_rcv + ip_rcv_core: validate the header in Linux's order (version and
// ihl, then the checksum, then the lengths), trim link-layer padding.
void Inet::Rcv(SkbPtr skb) {
  ip_mib.Inc(IpMib::kInReceives);
  ipext_mib.Inc(IpExtMib::kInOctets, skb->len());
  const std::span<const std::byte> b = skb->cspan();
  auto hdr_error = [&](DropReason r) {
    ip_mib.Inc(IpMib::kInHdrErrors);
    core_.Drop(std::move(skb), r);
  };
  if (b.size() < kIpv4MinHeaderLen) return hdr_error(DropReason::kPKT_TOO_SMALL);
  const uint8_t vihl = Load8(b.data());
  const size_t hlen = size_t{vihl & 0xfu} * 4;
  if ((vihl >> 4) != 4 || hlen < kIpv4MinHeaderLen) return hdr_error(DropReason::kIP_INHDR);
  if (hlen > b.size()) return hdr_error(DropReason::kHDR_TRUNC);
  if (skb->ip_summed != CsumState::kUnnecessary && IpFastCsum(b.data(), hlen) != 0) {
    ipext_mib.Inc(IpExtMib::kInCsumErrors);
    return hdr_error(DropReason::kIP_CSUM);
  }
  auto ip = Ipv4View::Parse(b, skb->len());
  if (!ip) {
    if (ip.error() == ParseError::kTruncated) {
      ipext_mib.Inc(IpExtMib::kInTruncatedPkts);
      core_.Drop(std::move(skb), DropReason::kPKT_TOO_SMALL);
      return;
    }
    return hdr_error(DropReason::kIP_INHDR);
  }
  // ECN codepoint counters (IpExtInNoECTPkts ...).
  static constexpr IpExtMib kEcn[] = {IpExtMib::kInNoECTPkts, IpExtMib::kInECT1Pkts,
                                      IpExtMib::kInECT0Pkts, IpExtMib::kInCEPkts};
  ipext_mib.Inc(kEcn[ip->tos() & 3]);
  (void)skb->Trim(ip->total_len());
  skb->SetNetworkHeader();
  RcvFinish(std::move(skb), *ip);
}

// ip_rcv_finish: the input route decides: ours (local or broadcast), or
// not ours (a host drops it).
void Inet::RcvFinish(SkbPtr skb, const Ipv4View& ip) {
  const Ipv4Addr src = ip.src(), dst = ip.dst();
  // Martian sources (ip_route_input_slow): multicast, limited broadcast,
  // 0.0.0.0/8, or one of our own addresses arriving from outside.
  const bool from_lo = skb->dev != nullptr && skb->dev->type() == DeviceType::kLoopback;
  if (src.IsMulticast() || src.IsBroadcast() || (src.IsZeroNet() && !dst.IsBroadcast()) ||
      (!from_lo && (src.IsLoopback() || IsLocal(src)))) {
    core_.Drop(std::move(skb), DropReason::kIP_INVALID_SOURCE);
    return;
  }
  switch (ClassifyAddr(dst)) {
    case AddrType::kLocal:
      break;
    case AddrType::kBroadcast:
      ipext_mib.Inc(IpExtMib::kInBcastPkts);
      ipext_mib.Inc(IpExtMib::kInBcastOctets, skb->len());
      if (skb->pkt_type == PacketType::kHost) skb->pkt_type = PacketType::kBroadcast;
      break;
    case AddrType::kMulticast:
      // We join no groups (no IGMP): nothing here listens.
      ipext_mib.Inc(IpExtMib::kInMcastPkts);
      core_.Drop(std::move(skb), DropReason::kIP_INVALID_DEST);
      return;
    default:
      // ip_error with forwarding off: counted, no ICMP.
      ip_mib.Inc(IpMib::kInAddrErrors);
      core_.Drop(std::move(skb), DropReason::kIP_INADDRERRORS);
      return;
  }
  LocalDeliver(std::move(skb), ip);
}

// ip_local_deliver: reassemble first.
void Inet::LocalDeliver(SkbPtr skb, const Ipv4View& ip) {
  if (ip.is_fragment()) {
    skb = frags_->Defrag(std::move(skb));
    if (!skb) return;  // held (or dropped and counted)
  }
  LocalDeliverFinish(std::move(skb));
}

// ip_local_deliver_finish + ip_protocol_deliver_rcu.
void Inet::LocalDeliverFinish(SkbPtr skb) {
  const uint8_t proto = Load8(skb->network_header() + 9);
  const size_t hlen = size_t{Load8(skb->network_header()) & 0xfu} * 4;
  (void)skb->Pull(hlen);
  skb->SetTransportHeader();
  InetProtocol* handler = protos_[proto];
  if (handler == nullptr) {
    ip_mib.Inc(IpMib::kInUnknownProtos);
    icmp_->Send(*skb, kIcmpDestUnreach, kIcmpProtUnreach, 0);
    core_.Drop(std::move(skb), DropReason::kIP_NOPROTO);
    return;
  }
  ip_mib.Inc(IpMib::kInDelivers);
  handler->Rcv(std::move(skb));
}

}  // namespace usnet
