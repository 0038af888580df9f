// Unpredictable per-connection numbers (Linux net/core/secure_seq.c): the
// initial sequence number of RFC 6528, the per-peer TCP timestamp offset,
// and the starting offset of the ephemeral port search (RFC 6056 algorithm
// 3, used by inet_hash_connect). Each is SipHash-2-4 of the addresses and
// ports under a secret key, so an off-path attacker cannot guess them,
// while the same 4-tuple keeps a consistent value (an ISN that grows with
// the clock, so a reused 4-tuple does not land in its old incarnation's
// window).
//
// Linux hashes `(__force u32)` of its big-endian __be32/__be16 fields, i.e.
// the wire bytes read as a host-order word; we feed the hash the same
// words, so with the same key our values are the ones Linux computes on a
// machine of our byte order.
//
//   SecureSeqSecrets secrets = SecureSeqSecrets::Random(core.rng());  // once
//   // tcp_v4_connect: local address and port first.
//   SeqNum isn = SecureTcpSeq(secrets, laddr, raddr, lport, rport, now);
//   uint32_t ts_off = SecureTcpTsOff(secrets, laddr, raddr);
//   uint64_t port_offset = SecureIpv4PortEphemeral(secrets, laddr, raddr, rport, now);
#pragma once

#include <bit>
#include <cstdint>
#include <random>

#include "absl/time/time.h"
#include "net/core/addr.h"
#include "net/core/siphash.h"
#include "net/ipv4/tcp_seq.h"

namespace usnet {

// The keys, drawn once per host (Linux's file-scope statics, each filled on
// first use by net_get_random_once).
struct SecureSeqSecrets {
  SipHashKey net_secret;  // ISNs and ephemeral port offsets
  SipHashKey ts_secret;   // timestamp offsets

  static SecureSeqSecrets Random(std::mt19937_64& rng);
};

// Linux seq_scale: adds the 64 ns clock (ktime_get_real_ns() >> 6; our
// clock's nanoseconds since its epoch) to a hash. At 15.6 million per
// second the 32-bit space turns over every 2^38 ns = 274.9 s, more than the
// 2-minute MSL, and much faster than any flow can advance through it.
uint32_t SeqScale(uint32_t hash, absl::Time now);

// Linux secure_tcp_seq: RFC 6528's ISN = M + F(localip, localport,
// remoteip, remoteport, secretkey) with M the 64 ns clock and F SipHash of
// (saddr, daddr, sport << 16 | dport). Callers pass the local end first:
// tcp_v4_connect passes (saddr, daddr, sport, dport) of the socket,
// tcp_v4_init_seq the incoming SYN's (daddr, saddr, dest, source).
SeqNum SecureTcpSeq(const SecureSeqSecrets& secrets, Ipv4Addr saddr, Ipv4Addr daddr, Port sport,
                    Port dport, absl::Time now);

// Linux secure_tcp_ts_off: the random offset added to our TSvals towards
// one peer (RFC 7323's privacy considerations), per address pair, so
// TSvals reveal neither our uptime nor a clock shared with other peers. Linux returns 0 when
// net.ipv4.tcp_timestamps != 1 (2 means "timestamps without offsets"); that
// sysctl check is the caller's.
//
// Linux computes it this way since 28ee1b746f49 ("secure_seq: downgrade to
// per-host timestamp offsets", 2017) up to 6.18, the version DESIGN.md
// measures. In 2026, 165573e41f2f ("tcp: secure_seq: add back ports to TS
// offset") went back to one SipHash of the 4-tuple for both the ISN (low
// half) and the offset (high half).
uint32_t SecureTcpTsOff(const SecureSeqSecrets& secrets, Ipv4Addr saddr, Ipv4Addr daddr);

// Linux secure_ipv4_port_ephemeral (5.19+): where inet_hash_connect starts
// its search for a free local port towards (daddr, dport). The low bits
// pick a table_perturb slot, the high 32 bits are the offset (Linux
// __inet_hash_connect: index = port_offset & (INET_TABLE_PERTURB_SIZE - 1);
// offset = table_perturb[index] + (port_offset >> 32)). The hash also takes
// the time in 10-second steps (jiffies / EPHEMERAL_PORT_SHUFFLE_PERIOD), so
// the starting point for one destination changes every 10 s.
uint64_t SecureIpv4PortEphemeral(const SecureSeqSecrets& secrets, Ipv4Addr saddr, Ipv4Addr daddr,
                                 Port dport, absl::Time now);

namespace internal {

// Linux `(__force u32)be32`: the address's wire bytes read as a host word.
constexpr uint32_t LinuxBe32(Ipv4Addr a) {
  if constexpr (std::endian::native == std::endian::little) return __builtin_bswap32(a.value());
  return a.value();
}
// Linux `(__force u32)be16`.
constexpr uint32_t LinuxBe16(Port p) {
  if constexpr (std::endian::native == std::endian::little) return __builtin_bswap16(p.value());
  return p.value();
}
// Linux `(__force u32)sport << 16 | (__force u32)dport`, the third word of
// secure_tcp_seq and cookie_hash.
constexpr uint32_t LinuxPorts(Port sport, Port dport) {
  return LinuxBe16(sport) << 16 | LinuxBe16(dport);
}

}  // namespace internal
}  // namespace usnet
