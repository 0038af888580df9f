// ICMPv4 (Linux net/ipv4/icmp.c): answers echo and timestamp requests,
// hands errors about packets we sent to the protocol that sent them, and
// sends errors (icmp_send) under RFC 1122's rules and Linux's two rate
// limits: a global token bucket (icmp_msgs_per_sec, icmp_msgs_burst) and a
// per-destination one (icmp_ratelimit ms per message, burst of 6), both for
// the types in icmp_ratemask only, and never towards loopback.
#pragma once

#include "absl/container/flat_hash_map.h"
#include "net/ipv4/inet.h"
#include "net/wire/icmp.h"

namespace usnet {

// Linux icmp_err_convert: the errno an ICMP error maps to, and whether it
// is "hard" (fatal: connected sockets see it even without IP_RECVERR).
struct IcmpErrno {
  int err;
  bool fatal;
};
IcmpErrno IcmpToErrno(uint8_t type, uint8_t code);

class Icmp final : public InetProtocol {
 public:
  explicit Icmp(Inet& inet);
  void Rcv(SkbPtr skb) override;  // icmp_rcv
  // icmp_err: an ICMP error quoting an ICMP packet of ours (an echo request
  // from a ping socket).
  void Err(const IcmpErr& err) override;

  // icmp_send: reports `type`/`code` about `skb_in` (its network header
  // must be set) to its sender. Quietly does nothing where RFC 1122 forbids
  // an error (about an ICMP error, a non-first fragment, a broadcast, ...)
  // or a rate limit says no.
  void Send(const SkBuff& skb_in, uint8_t type, uint8_t code, uint32_t info);

 private:
  void Echo(SkbPtr skb, const Ipv4View& ip, const IcmpView& icmp);
  void Timestamp(SkbPtr skb, const Ipv4View& ip, const IcmpView& icmp);
  void Unreach(SkbPtr skb, const Ipv4View& ip, const IcmpView& icmp);
  // Sends `type`/`rest` with `data` to `dst` from `src`.
  void Reply(Ipv4Addr src, Ipv4Addr dst, uint8_t tos, uint8_t type, uint8_t code, uint32_t rest,
             std::span<const std::byte> data);
  bool GlobalAllow(uint8_t type, uint8_t code);
  bool PeerAllow(Ipv4Addr dst, uint8_t type, uint8_t code);
  void CountOut(uint8_t type);

  Inet& inet_;
  // Global limiter (icmp_global_allow).
  absl::Time global_stamp_;
  int64_t global_credit_;
  // Per-destination limiter (inet_peer rate_tokens/rate_last), in ms.
  struct Peer {
    absl::Time last;
    int64_t tokens_ms;
  };
  absl::flat_hash_map<uint32_t, Peer> peers_;
};

}  // namespace usnet
