#include "net/ipv4/secure_seq.h"

namespace usnet {

namespace {
// Linux EPHEMERAL_PORT_SHUFFLE_PERIOD (10 * HZ).
constexpr int64_t kEphemeralPortShufflePeriodS = 10;
}  // namespace

SecureSeqSecrets SecureSeqSecrets::Random(std::mt19937_64& rng) {
  SecureSeqSecrets s;
  s.net_secret = SipHashKey::Random(rng);
  s.ts_secret = SipHashKey::Random(rng);
  return s;
}

uint32_t SeqScale(uint32_t hash, absl::Time now) {
  // ktime_get_real_ns() is a u64; only its low 38 bits survive the shift
  // and the truncation to 32 bits.
  const uint64_t ns = static_cast<uint64_t>(absl::ToUnixNanos(now));
  return hash + static_cast<uint32_t>(ns >> 6);
}

SeqNum SecureTcpSeq(const SecureSeqSecrets& secrets, Ipv4Addr saddr, Ipv4Addr daddr, Port sport,
                    Port dport, absl::Time now) {
  // Linux: hash = siphash_3u32(saddr, daddr, sport << 16 | dport,
  // &net_secret), truncated to u32, then seq_scale(hash).
  const uint32_t hash =
      static_cast<uint32_t>(SipHash3u32(internal::LinuxBe32(saddr), internal::LinuxBe32(daddr),
                                        internal::LinuxPorts(sport, dport), secrets.net_secret));
  return SeqNum(SeqScale(hash, now));
}

uint32_t SecureTcpTsOff(const SecureSeqSecrets& secrets, Ipv4Addr saddr, Ipv4Addr daddr) {
  return static_cast<uint32_t>(
      SipHash2u32(internal::LinuxBe32(saddr), internal::LinuxBe32(daddr), secrets.ts_secret));
}

uint64_t SecureIpv4PortEphemeral(const SecureSeqSecrets& secrets, Ipv4Addr saddr, Ipv4Addr daddr,
                                 Port dport, absl::Time now) {
  // Linux: siphash_4u32(saddr, daddr, (__force u16)dport,
  // jiffies / EPHEMERAL_PORT_SHUFFLE_PERIOD, &net_secret). The time seed is
  // an unsigned long passed as u32; ToUnixSeconds floors.
  const uint32_t timeseed = static_cast<uint32_t>(static_cast<uint64_t>(absl::ToUnixSeconds(now)) /
                                                  kEphemeralPortShufflePeriodS);
  return SipHash4u32(internal::LinuxBe32(saddr), internal::LinuxBe32(daddr),
                     internal::LinuxBe16(dport), timeseed, secrets.net_secret);
}

}  // namespace usnet
