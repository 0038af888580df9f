#include "net/ipv4/icmp.h"

#include <algorithm>

#include "absl/time/clock.h"
#include "net/ipv4/ping.h"

namespace usnet {

namespace {
// Linux XRLIM_BURST_FACTOR: a peer may bank six messages' worth of tokens.
constexpr int64_t kBurstFactor = 6;
// Linux: an error quotes at most 576 bytes in all (RFC 1812 4.3.2.3).
constexpr size_t kIcmpErrorMax = 576;

bool IsErrorType(uint8_t type) {
  return type == kIcmpDestUnreach || type == kIcmpSourceQuench || type == kIcmpRedirect ||
         type == kIcmpTimeExceeded || type == kIcmpParameterProb;
}
}  // namespace

IcmpErrno IcmpToErrno(uint8_t type, uint8_t code) {
  switch (type) {
    case kIcmpDestUnreach: {
      static constexpr IcmpErrno kTable[] = {
          {ENETUNREACH, true},  {EHOSTUNREACH, true}, {ENOPROTOOPT, true}, {ECONNREFUSED, true},
          {EMSGSIZE, false},    {EOPNOTSUPP, false},  {ENETUNREACH, true}, {EHOSTDOWN, true},
          {ENONET, true},       {ENETUNREACH, true},  {EHOSTUNREACH, true}, {ENETUNREACH, true},
          {EHOSTUNREACH, true}, {EHOSTUNREACH, true}, {EHOSTUNREACH, true}, {EHOSTUNREACH, true}};
      return code < 16 ? kTable[code] : IcmpErrno{EHOSTUNREACH, false};
    }
    case kIcmpSourceQuench: return {0, false};
    case kIcmpTimeExceeded: return {EHOSTUNREACH, false};
    case kIcmpParameterProb: return {EPROTO, true};
    default: return {0, false};
  }
}

Icmp::Icmp(Inet& inet)
    : inet_(inet),
      global_stamp_(inet.core().now()),
      global_credit_(inet.config().icmp_msgs_burst) {
  inet_.AddProtocol(kIpProtoIcmp, this);
}

void Icmp::CountOut(uint8_t type) {
  inet_.icmp_mib.Inc(IcmpMib::kOutMsgs);
  inet_.icmpmsg_mib.OutInc(type);
  switch (type) {
    case kIcmpEchoReply: inet_.icmp_mib.Inc(IcmpMib::kOutEchoReps); break;
    case kIcmpEcho: inet_.icmp_mib.Inc(IcmpMib::kOutEchos); break;
    case kIcmpDestUnreach: inet_.icmp_mib.Inc(IcmpMib::kOutDestUnreachs); break;
    case kIcmpTimeExceeded: inet_.icmp_mib.Inc(IcmpMib::kOutTimeExcds); break;
    case kIcmpParameterProb: inet_.icmp_mib.Inc(IcmpMib::kOutParmProbs); break;
    case kIcmpTimestampReply: inet_.icmp_mib.Inc(IcmpMib::kOutTimestampReps); break;
    default: break;
  }
}

// Types outside icmp_ratemask, and PMTU discovery's frag-needed, are never
// limited (Linux icmpv4_mask_allow).
static bool MaskAllows(const Ipv4Config& c, uint8_t type, uint8_t code) {
  if (type > 18) return true;
  if (type == kIcmpDestUnreach && code == kIcmpFragNeeded) return true;
  return ((1u << type) & static_cast<uint32_t>(c.icmp_ratemask)) == 0;
}

bool Icmp::GlobalAllow(uint8_t type, uint8_t code) {
  const Ipv4Config& c = inet_.config();
  if (MaskAllows(c, type, code)) return true;
  // icmp_global_allow: refill at icmp_msgs_per_sec (at most one second's
  // worth at a time), cap at icmp_msgs_burst, spend one per message.
  const absl::Time now = inet_.core().now();
  const int64_t delta_ms = std::min<int64_t>(1000, absl::ToInt64Milliseconds(now - global_stamp_));
  if (delta_ms > 0) {
    global_credit_ = std::min<int64_t>(global_credit_ + c.icmp_msgs_per_sec * delta_ms / 1000,
                                       c.icmp_msgs_burst);
    global_stamp_ = now;
  }
  if (global_credit_ > 0) {
    --global_credit_;
    return true;
  }
  inet_.icmp_mib.Inc(IcmpMib::kOutRateLimitGlobal);
  return false;
}

bool Icmp::PeerAllow(Ipv4Addr dst, uint8_t type, uint8_t code) {
  const Ipv4Config& c = inet_.config();
  if (MaskAllows(c, type, code)) return true;
  const int64_t timeout = c.icmp_ratelimit;
  if (timeout <= 0) return true;
  const absl::Time now = inet_.core().now();
  if (peers_.size() > 4096) {
    // Peers whose bucket has refilled are the same as new ones: forget them.
    absl::erase_if(peers_, [&](const auto& kv) {
      return absl::ToInt64Milliseconds(now - kv.second.last) >= kBurstFactor * timeout;
    });
  }
  // A new peer starts with a full bucket (Linux sets rate_last 60 s back).
  auto [it, fresh] = peers_.try_emplace(dst.value(), Peer{now, kBurstFactor * timeout});
  Peer& p = it->second;
  if (!fresh) {
    p.tokens_ms = std::min(kBurstFactor * timeout,
                           p.tokens_ms + absl::ToInt64Milliseconds(now - p.last));
    p.last = now;
  }
  if (p.tokens_ms >= timeout) {
    p.tokens_ms -= timeout;
    return true;
  }
  inet_.icmp_mib.Inc(IcmpMib::kOutRateLimitHost);
  return false;
}

void Icmp::Reply(Ipv4Addr src, Ipv4Addr dst, uint8_t tos, uint8_t type, uint8_t code,
                 uint32_t rest, std::span<const std::byte> data) {
  SkbPtr skb = inet_.core().AllocSkb(kMaxHeaderRoom, kIcmpHeaderLen + data.size());
  if (!skb) return;
  std::byte* p = skb->Put(kIcmpHeaderLen + data.size());
  inet_.core().ledger().Copy(CopySite::kIcmp, p + kIcmpHeaderLen, data.data(), data.size());
  IcmpRepr{type, code, rest}.Emit(p, data.size());
  CountOut(type);
  IpTxParams tx;
  tx.src = src;
  tx.dst = dst;
  tx.protocol = kIpProtoIcmp;
  tx.tos = tos;
  tx.ignore_df = true;
  if (inet_.IpOutput(std::move(skb), tx) < 0) inet_.icmp_mib.Inc(IcmpMib::kOutErrors);
}

void Icmp::Send(const SkBuff& skb_in, uint8_t type, uint8_t code, uint32_t info) {
  // The offending packet may have been trimmed (UDP cuts to its length
  // field): like __icmp_send, only its IP header must be there.
  const std::span<const std::byte> in{skb_in.network_header(),
                                      static_cast<size_t>(skb_in.tail() - skb_in.network_header())};
  auto ip = Ipv4View::ParseQuoted(in);
  if (!ip) return;
  // RFC 1122 3.2.2: no error about a non-first fragment, a packet sent to a
  // broadcast or multicast address, from a non-unicast source, or about an
  // ICMP error.
  if (ip->frag_offset() != 0) return;
  if (skb_in.pkt_type != PacketType::kHost && skb_in.pkt_type != PacketType::kLoopback) return;
  const AddrType dst_type = inet_.ClassifyAddr(ip->dst());
  if (dst_type == AddrType::kBroadcast || dst_type == AddrType::kMulticast) return;
  const Ipv4Addr dst = ip->src();
  if (dst.IsAny() || dst.IsBroadcast() || dst.IsMulticast() || dst.IsZeroNet() ||
      inet_.ClassifyAddr(dst) == AddrType::kBroadcast) {
    return;
  }
  if (ip->protocol() == kIpProtoIcmp) {
    auto inner = IcmpView::Parse(ip->payload());
    if (!inner || inner->type() > 18 || IsErrorType(inner->type())) return;
  }
  // Route back to the sender; quote from our own address when the
  // offending packet was addressed to us.
  const Ipv4Addr src = inet_.IsLocal(ip->dst()) ? ip->dst() : Ipv4Addr();
  std::optional<RouteResult> rt = inet_.RouteOutput(dst, src);
  if (!rt) return;
  const bool to_self = rt->type == RouteType::kLocal;
  if (!to_self && !GlobalAllow(type, code)) return;
  if (!to_self && !PeerAllow(dst, type, code)) return;
  // Quote the IP header and as much payload as fits in 576 bytes.
  const size_t room = std::min<size_t>(rt->mtu, kIcmpErrorMax) - kIpv4MinHeaderLen - kIcmpHeaderLen;
  const size_t quote = std::min({size_t{ip->total_len()}, in.size(), room});
  const uint8_t tos = static_cast<uint8_t>((ip->tos() & 0x1e) | 0xc0);  // IPTOS_PREC_INTERNETCONTROL
  const uint32_t rest = (type == kIcmpDestUnreach && code == kIcmpFragNeeded) ? (info & 0xffff)
                        : (type == kIcmpParameterProb) ? (info << 24) : 0;
  Reply(rt->src, dst, tos, type, code, rest, {skb_in.network_header(), quote});
}

void Icmp::Rcv(SkbPtr skb) {
  Mib<IcmpMib>& mib = inet_.icmp_mib;
  mib.Inc(IcmpMib::kInMsgs);
  auto icmp = IcmpView::Parse(skb->cspan());
  if (!icmp) {
    mib.Inc(IcmpMib::kInErrors);
    inet_.core().Drop(std::move(skb), DropReason::kPKT_TOO_SMALL);
    return;
  }
  if (skb->ip_summed != CsumState::kUnnecessary && !icmp->ChecksumValid()) {
    mib.Inc(IcmpMib::kInCsumErrors);
    mib.Inc(IcmpMib::kInErrors);
    inet_.core().Drop(std::move(skb), DropReason::kICMP_CSUM);
    return;
  }
  auto ip = Ipv4View::Parse({skb->network_header(), static_cast<size_t>(skb->tail() - skb->network_header())});
  const uint8_t type = icmp->type();
  inet_.icmpmsg_mib.InInc(type);
  // Sent to a broadcast or multicast address: only echo/timestamp/address
  // requests make sense, and echo is ignored by default.
  if (skb->pkt_type == PacketType::kBroadcast || skb->pkt_type == PacketType::kMulticast ||
      inet_.ClassifyAddr(ip->dst()) == AddrType::kBroadcast) {
    const bool request = type == kIcmpEcho || type == kIcmpTimestamp;
    if (!request || inet_.config().icmp_echo_ignore_broadcasts) {
      inet_.core().Drop(std::move(skb), DropReason::kINVALID_PROTO);
      return;
    }
  }
  switch (type) {
    case kIcmpEcho:
      mib.Inc(IcmpMib::kInEchos);
      Echo(std::move(skb), *ip, *icmp);
      return;
    case kIcmpEchoReply:
      mib.Inc(IcmpMib::kInEchoReps);
      inet_.ping().Rcv(std::move(skb));
      return;
    case kIcmpTimestamp:
      mib.Inc(IcmpMib::kInTimestamps);
      Timestamp(std::move(skb), *ip, *icmp);
      return;
    case kIcmpTimestampReply: mib.Inc(IcmpMib::kInTimestampReps); break;
    case kIcmpDestUnreach:
      mib.Inc(IcmpMib::kInDestUnreachs);
      Unreach(std::move(skb), *ip, *icmp);
      return;
    case kIcmpSourceQuench:
      mib.Inc(IcmpMib::kInSrcQuenchs);
      Unreach(std::move(skb), *ip, *icmp);
      return;
    case kIcmpTimeExceeded:
      mib.Inc(IcmpMib::kInTimeExcds);
      Unreach(std::move(skb), *ip, *icmp);
      return;
    case kIcmpParameterProb:
      mib.Inc(IcmpMib::kInParmProbs);
      Unreach(std::move(skb), *ip, *icmp);
      return;
    case kIcmpRedirect: mib.Inc(IcmpMib::kInRedirects); break;  // hosts ignore (no forwarding)
    default:
      if (type > 18) {
        mib.Inc(IcmpMib::kInErrors);
        inet_.core().Drop(std::move(skb), DropReason::kICMP_INVALID);
        return;
      }
      break;
  }
  inet_.core().Consume(std::move(skb));
}

void Icmp::Err(const IcmpErr& err) { inet_.ping().Err(err); }

void Icmp::Echo(SkbPtr skb, const Ipv4View& ip, const IcmpView& icmp) {
  if (inet_.config().icmp_echo_ignore_all) {
    inet_.core().Consume(std::move(skb));
    return;
  }
  // Answer from the address asked (or the device's, for a broadcast ping).
  const Ipv4Addr src = inet_.IsLocal(ip.dst()) ? ip.dst() : inet_.DeviceAddr(skb->dev);
  Reply(src, ip.src(), ip.tos(), kIcmpEchoReply, 0, icmp.rest(), icmp.payload());
  inet_.core().Consume(std::move(skb));
}

void Icmp::Timestamp(SkbPtr skb, const Ipv4View& ip, const IcmpView& icmp) {
  // RFC 792: originate, receive, transmit; ms since midnight UT.
  if (icmp.payload().size() < 12) {
    inet_.icmp_mib.Inc(IcmpMib::kInErrors);
    inet_.core().Drop(std::move(skb), DropReason::kICMP_INVALID);
    return;
  }
  const int64_t ms = absl::ToUnixMillis(inet_.core().now()) % 86'400'000;
  std::byte data[12];
  std::copy_n(icmp.payload().data(), 4, data);
  StoreBe32(data + 4, static_cast<uint32_t>(ms));
  StoreBe32(data + 8, static_cast<uint32_t>(ms));
  const Ipv4Addr src = inet_.IsLocal(ip.dst()) ? ip.dst() : inet_.DeviceAddr(skb->dev);
  Reply(src, ip.src(), ip.tos(), kIcmpTimestampReply, 0, icmp.rest(), data);
  inet_.core().Consume(std::move(skb));
}

// icmp_unreach: an error about something we sent; tell its protocol.
void Icmp::Unreach(SkbPtr skb, const Ipv4View& ip, const IcmpView& icmp) {
  // The quote may stop short of the inner total length; it must hold the
  // inner header and 8 bytes (Linux pskb_may_pull(ihl * 4 + 8)).
  auto inner = Ipv4View::ParseQuoted(icmp.payload());
  if (!inner || inner->payload().size() < 8) {
    inet_.icmp_mib.Inc(IcmpMib::kInErrors);
    inet_.core().Drop(std::move(skb), DropReason::kICMP_INVALID);
    return;
  }
  IcmpErr err;
  err.type = icmp.type();
  err.code = icmp.code();
  err.info = (err.type == kIcmpDestUnreach && err.code == kIcmpFragNeeded) ? icmp.next_hop_mtu() : 0;
  err.offender = ip.src();
  err.inner = *inner;
  err.inner_l4 = inner->payload();
  if (InetProtocol* p = inet_.FindProtocol(inner->protocol())) p->Err(err);
  inet_.core().Consume(std::move(skb));
}

}  // namespace usnet
