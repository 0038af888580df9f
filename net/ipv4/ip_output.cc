// IPv4 transmit (Linux net/ipv4/ip_output.c and route.c's output side):
// route, push the header, fragment if the packet exceeds the route's MTU
// (or refuse with ICMP "fragmentation needed" when DF forbids it), then
// hand each packet to the neighbour layer.
#include "net/core/skb_bits.h"
#include "net/ipv4/arp.h"
#include "net/ipv4/icmp.h"
#include "net/ipv4/inet.h"

namespace usnet {

std::optional<RouteResult> Inet::RouteBroadcast(Ipv4Addr src) const {
  // 255.255.255.255 leaves through the device of the source address, or
  // the device of the default route, or the first non-loopback device.
  NetDevice* dev = nullptr;
  for (const IfAddr& a : addrs_) {
    if (!src.IsAny() && a.prefix.addr == src) dev = a.dev;
  }
  if (dev == nullptr) {
    if (const Route* def = fib_.Lookup(Ipv4Addr::FromOctets(0, 0, 0, 0));
        def && def->dst.len == 0) {
      dev = def->dev;
    }
  }
  for (const IfAddr& a : addrs_) {
    if (dev == nullptr && a.dev->type() != DeviceType::kLoopback) dev = a.dev;
  }
  if (dev == nullptr) return std::nullopt;
  RouteResult r;
  r.dev = dev;
  r.next_hop = Ipv4Addr::Broadcast();
  r.src = src.IsAny() ? DeviceAddr(dev) : src;
  r.type = RouteType::kBroadcast;
  r.mtu = dev->mtu();
  return r;
}

std::optional<RouteResult> Inet::RouteOutput(Ipv4Addr dst, Ipv4Addr src) const {
  if (dst.IsBroadcast()) return RouteBroadcast(src);
  const Route* route = fib_.Lookup(dst);
  if (route == nullptr) return std::nullopt;
  RouteResult r;
  r.type = route->type;
  if (route->type == RouteType::kLocal) {
    // To ourselves: through loopback, from the address itself.
    r.dev = loopback_;
    r.next_hop = dst;
    r.src = src.IsAny() ? dst : src;
  } else {
    r.dev = route->dev;
    r.next_hop = route->gateway.IsAny() ? dst : route->gateway;
    r.src = !src.IsAny() ? src : !route->prefsrc.IsAny() ? route->prefsrc : DeviceAddr(route->dev);
  }
  r.mtu = r.dev->mtu();
  return r;
}

int Inet::IpOutput(SkbPtr skb, const IpTxParams& p, const RouteResult* given) {
  std::optional<RouteResult> looked_up;
  if (given == nullptr) {
    looked_up = RouteOutput(p.dst, p.src);
    if (!looked_up) {
      ip_mib.Inc(IpMib::kOutNoRoutes);
      core_.Drop(std::move(skb), DropReason::kIP_OUTNOROUTES);
      return -ENETUNREACH;
    }
    given = &*looked_up;
  }
  const RouteResult& rt = *given;
  const size_t payload_len = skb->len();
  if (payload_len + kIpv4MinHeaderLen > kIpv4MaxPacket) {
    core_.Drop(std::move(skb), DropReason::kPKT_TOO_BIG);
    return -EMSGSIZE;
  }
  Ipv4Repr ip;
  ip.src = p.src.IsAny() ? rt.src : p.src;
  ip.dst = p.dst;
  ip.protocol = p.protocol;
  ip.ttl = static_cast<uint8_t>(p.ttl >= 0            ? p.ttl
                                : p.dst.IsMulticast() ? 1
                                                      : config_.ip_default_ttl);
  ip.tos = p.tos;
  ip.df = p.df;
  ip.id = NextIpId();
  ip.payload_len = payload_len;
  std::byte* h = skb->Push(kIpv4MinHeaderLen);
  USNET_CHECK(h != nullptr);  // every transmit skb reserves kMaxHeaderRoom
  ip.Emit(h);
  skb->SetNetworkHeader();
  skb->protocol = 0x0800;  // ETH_P_IP
  ip_mib.Inc(IpMib::kOutRequests);
  return IpSendRouted(std::move(skb), rt, p.ignore_df || !p.df);
}

int Inet::IpSendRouted(SkbPtr skb, const RouteResult& rt, bool allow_frag) {
  // A GSO super-frame is as big as its segments (ip_finish_output_gso);
  // TCP builds one only for a device that takes them (TSO).
  const size_t wire_len = skb->gso_type == GsoType::kNone
                              ? skb->len()
                              : size_t{skb->gso_size} + (skb->transport_header() - skb->data()) +
                                    (Load8(skb->transport_header() + 12) >> 4) * 4u;
  if (wire_len > rt.mtu) {
    if (!allow_frag || skb->gso_type != GsoType::kNone) {
      // ip_fragment: DF forbids it. Tell the sender (ourselves, for local
      // traffic: the socket learns EMSGSIZE and the path MTU).
      ip_mib.Inc(IpMib::kFragFails);
      icmp_->Send(*skb, kIcmpDestUnreach, kIcmpFragNeeded, rt.mtu);
      core_.Drop(std::move(skb), DropReason::kPKT_TOO_BIG);
      return -EMSGSIZE;
    }
    return Fragment(std::move(skb), rt);
  }
  return FinishOutput2(std::move(skb), rt);
}

// ip_do_fragment's slow path: each fragment is a new skb with a copy of the
// header and its slice of the payload (the ledger's "fragment" site).
int Inet::Fragment(SkbPtr skb, const RouteResult& rt) {
  auto ip = Ipv4View::Parse(skb->cspan(), skb->len());
  USNET_CHECK(ip.ok());
  const size_t hlen = ip->header_len();
  const size_t payload = skb->len() - hlen;
  const size_t chunk = (rt.mtu - hlen) & ~size_t{7};
  if (rt.mtu < hlen + 8) {
    ip_mib.Inc(IpMib::kFragFails);
    core_.Drop(std::move(skb), DropReason::kPKT_TOO_BIG);
    return -EMSGSIZE;
  }
  const size_t base_offset = ip->frag_offset();
  const bool base_mf = ip->mf();
  CopyLedger& ledger = core_.ledger();
  for (size_t off = 0; off < payload; off += chunk) {
    const size_t n = std::min(chunk, payload - off);
    const bool last = off + n == payload;
    SkbPtr f = core_.AllocSkb(kMaxHeaderRoom, hlen + n);
    if (!f) {
      ip_mib.Inc(IpMib::kFragFails);
      core_.Drop(std::move(skb), DropReason::kNOMEM);
      return -ENOBUFS;
    }
    std::byte* p = f->Put(hlen + n);
    std::memcpy(p, ip->header().data(), hlen);  // header bytes, not payload
    SkbCopyBits(*skb, static_cast<uint32_t>(hlen + off), p + hlen, static_cast<uint32_t>(n),
                &ledger, CopySite::kFragment);
    StoreBe16(p + 2, static_cast<uint16_t>(hlen + n));
    const uint16_t flags = static_cast<uint16_t>((last && !base_mf) ? 0 : 0x2000);
    StoreBe16(p + 6, static_cast<uint16_t>(flags | ((base_offset + off) / 8)));
    Ipv4UpdateChecksum(p);
    f->SetNetworkHeader();
    f->protocol = skb->protocol;
    f->mark = skb->mark;
    ip_mib.Inc(IpMib::kFragCreates);
    FinishOutput2(std::move(f), rt);
  }
  ip_mib.Inc(IpMib::kFragOKs);
  core_.Consume(std::move(skb));
  return 0;
}

// ip_finish_output2: into the neighbour layer (or straight to a device
// without link addresses).
int Inet::FinishOutput2(SkbPtr skb, const RouteResult& rt) {
  ip_mib.Inc(IpMib::kOutTransmits);
  ipext_mib.Inc(IpExtMib::kOutOctets, skb->len());
  if (rt.type == RouteType::kBroadcast) {
    ipext_mib.Inc(IpExtMib::kOutBcastPkts);
    ipext_mib.Inc(IpExtMib::kOutBcastOctets, skb->len());
  }
  if (rt.dev->type() == DeviceType::kEther) {
    arp_->Output(std::move(skb), rt.dev, rt.next_hop);
  } else {
    skb->dev = rt.dev;
    core_.DevQueueXmit(std::move(skb));
  }
  return 0;
}

}  // namespace usnet
