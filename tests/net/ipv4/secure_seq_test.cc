#include "net/ipv4/secure_seq.h"

#include <bit>
#include <cstdint>
#include <random>
#include <set>

#include "gtest/gtest.h"

namespace usnet {
namespace {

const Ipv4Addr kA = Ipv4Addr::FromOctets(10, 0, 0, 1);
const Ipv4Addr kB = Ipv4Addr::FromOctets(10, 0, 0, 2);
const Port kEphemeral(40000);
const Port kHttp(80);

absl::Time At(int64_t ns) { return absl::UnixEpoch() + absl::Nanoseconds(ns); }

SecureSeqSecrets Secrets(uint64_t seed) {
  std::mt19937_64 rng(seed);
  return SecureSeqSecrets::Random(rng);
}

// Values from a Python model of Linux on x86-64 (secure_tcp_seq,
// secure_tcp_ts_off, secure_ipv4_port_ephemeral), built on the SipHash
// reference in tests/net/core/siphash_test.cc: the __be32/__be16 fields are
// passed as their wire bytes read little-endian, as `(__force u32)` does.
//   be32raw = lambda ip: int.from_bytes(socket.inet_aton(ip), 'little')
//   be16raw = lambda p: int.from_bytes(struct.pack('>H', p), 'little')
//   isn = (siphash(KA, <III(be32raw(s), be32raw(d), be16raw(sp) << 16 | be16raw(dp)))
//          & 0xffffffff) + (ns >> 6)                            (mod 2^32)
//   tsoff = siphash(KB, <II(be32raw(s), be32raw(d))) & 0xffffffff
//   eph = siphash(KA, <IIII(be32raw(s), be32raw(d), be16raw(dp), seconds // 10))
TEST(SecureSeq, MatchesLinuxOnLittleEndian) {
  if constexpr (std::endian::native != std::endian::little) {
    GTEST_SKIP() << "expected values are for a little-endian Linux";
  }
  SecureSeqSecrets s;
  s.net_secret = SipHashKey{{0x0123456789abcdef, 0xfedcba9876543210}};  // KA
  s.ts_secret = SipHashKey{{0x243f6a8885a308d3, 0x13198a2e03707344}};   // KB
  EXPECT_EQ(SecureTcpSeq(s, kA, kB, kEphemeral, kHttp, At(1234567890123)), SeqNum(0xbdec0b05));
  EXPECT_EQ(SecureTcpTsOff(s, kA, kB), 0x3d10a6b4u);
  EXPECT_EQ(SecureIpv4PortEphemeral(s, kA, kB, kHttp, absl::FromUnixSeconds(1234)),
            0xf33e3b25cbcb3624u);
}

TEST(SecureSeq, LinuxWordsAreWireBytes) {
  // 10.0.0.1 is 0a 00 00 01 on the wire; read as a little-endian word that
  // is 0x0100000a.
  if constexpr (std::endian::native == std::endian::little) {
    EXPECT_EQ(internal::LinuxBe32(kA), 0x0100000au);
    EXPECT_EQ(internal::LinuxBe16(Port(0x1234)), 0x3412u);
    EXPECT_EQ(internal::LinuxPorts(Port(0x1234), Port(0x5678)), 0x34127856u);
  } else {
    EXPECT_EQ(internal::LinuxBe32(kA), kA.value());
  }
}

TEST(SecureSeq, SeqScaleCounts64NsTicks) {
  EXPECT_EQ(SeqScale(0, At(0)), 0u);
  EXPECT_EQ(SeqScale(0, At(63)), 0u);
  EXPECT_EQ(SeqScale(0, At(64)), 1u);
  EXPECT_EQ(SeqScale(5, At(640)), 15u);
  // 2^38 ns: the 32-bit tick count wraps.
  EXPECT_EQ(SeqScale(7, At(int64_t{1} << 38)), 7u);
  EXPECT_EQ(SeqScale(0xffffffff, At(64)), 0u);
}

TEST(SecureSeq, IsnAdvancesOnePer64Ns) {
  const SecureSeqSecrets s = Secrets(1);
  const int64_t base = int64_t{1700000000} * 1000000000;  // a multiple of 64 ns
  ASSERT_EQ(base % 64, 0);
  const SeqNum isn = SecureTcpSeq(s, kA, kB, kEphemeral, kHttp, At(base));
  EXPECT_EQ(SecureTcpSeq(s, kA, kB, kEphemeral, kHttp, At(base + 63)), isn);
  EXPECT_EQ(SecureTcpSeq(s, kA, kB, kEphemeral, kHttp, At(base + 64)), isn + 1);
  EXPECT_EQ(SecureTcpSeq(s, kA, kB, kEphemeral, kHttp, At(base + 64 * 1000)), isn + 1000);
  // 1 s = 15,625,000 ticks.
  EXPECT_EQ(SecureTcpSeq(s, kA, kB, kEphemeral, kHttp, At(base) + absl::Seconds(1)),
            isn + 15625000);
  // 2 minutes (an MSL) moves it by less than the 2^31 half-space, so a new
  // incarnation's ISN is still "after" the old one.
  const SeqNum later = SecureTcpSeq(s, kA, kB, kEphemeral, kHttp, At(base) + absl::Minutes(2));
  EXPECT_GT(later, isn);
  EXPECT_EQ(later - isn, static_cast<int32_t>(120 * 15625000));
  // After 2^38 ns (about 274.9 s) it is back where it was.
  EXPECT_EQ(SecureTcpSeq(s, kA, kB, kEphemeral, kHttp, At(base + (int64_t{1} << 38))), isn);
}

TEST(SecureSeq, IsnDiffersPerFourTuple) {
  const SecureSeqSecrets s = Secrets(2);
  const absl::Time now = At(123456789);
  std::set<uint32_t> seen;
  const SeqNum isn = SecureTcpSeq(s, kA, kB, kEphemeral, kHttp, now);
  seen.insert(isn.value());
  const Ipv4Addr c = Ipv4Addr::FromOctets(10, 0, 0, 3);
  for (SeqNum other : {
           SecureTcpSeq(s, c, kB, kEphemeral, kHttp, now),
           SecureTcpSeq(s, kA, c, kEphemeral, kHttp, now),
           SecureTcpSeq(s, kA, kB, Port(40001), kHttp, now),
           SecureTcpSeq(s, kA, kB, kEphemeral, Port(81), now),
           SecureTcpSeq(s, kB, kA, kHttp, kEphemeral, now),  // the other direction
           SecureTcpSeq(s, kA, kB, kHttp, kEphemeral, now),  // ports swapped
       }) {
    EXPECT_TRUE(seen.insert(other.value()).second) << other.value();
  }
  // Many source ports towards one server: all distinct (a collision among
  // 1000 32-bit values has odds of about 1 in 10^4; the seed is fixed).
  std::set<uint32_t> ports;
  for (uint16_t p = 30000; p < 31000; ++p) {
    ports.insert(SecureTcpSeq(s, kA, kB, Port(p), kHttp, now).value());
  }
  EXPECT_EQ(ports.size(), 1000u);
}

TEST(SecureSeq, IsnDiffersPerKey) {
  const absl::Time now = At(987654321);
  const SeqNum a = SecureTcpSeq(Secrets(1), kA, kB, kEphemeral, kHttp, now);
  const SeqNum b = SecureTcpSeq(Secrets(2), kA, kB, kEphemeral, kHttp, now);
  EXPECT_NE(a, b);
  // Only the net secret goes into the ISN.
  SecureSeqSecrets s = Secrets(1);
  s.ts_secret = Secrets(3).ts_secret;
  EXPECT_EQ(SecureTcpSeq(s, kA, kB, kEphemeral, kHttp, now), a);
}

TEST(SecureSeq, SecretsRepeatWithTheSeedAndKeysDiffer) {
  const SecureSeqSecrets a = Secrets(42), b = Secrets(42);
  EXPECT_EQ(a.net_secret, b.net_secret);
  EXPECT_EQ(a.ts_secret, b.ts_secret);
  EXPECT_NE(a.net_secret, a.ts_secret);
}

TEST(SecureSeq, TsOffIsPerAddressPairAndKeyNotTime) {
  const SecureSeqSecrets s = Secrets(5);
  const uint32_t off = SecureTcpTsOff(s, kA, kB);
  EXPECT_NE(SecureTcpTsOff(s, kB, kA), off);
  EXPECT_NE(SecureTcpTsOff(s, kA, Ipv4Addr::FromOctets(10, 0, 0, 3)), off);
  EXPECT_NE(SecureTcpTsOff(Secrets(6), kA, kB), off);
  // It uses the ts secret, not the net secret.
  SecureSeqSecrets t = s;
  t.net_secret = Secrets(7).net_secret;
  EXPECT_EQ(SecureTcpTsOff(t, kA, kB), off);
}

TEST(SecureSeq, EphemeralOffsetShufflesEveryTenSeconds) {
  const SecureSeqSecrets s = Secrets(8);
  const absl::Time t0 = absl::FromUnixSeconds(1000);  // a multiple of 10 s
  const uint64_t off = SecureIpv4PortEphemeral(s, kA, kB, kHttp, t0);
  EXPECT_EQ(SecureIpv4PortEphemeral(s, kA, kB, kHttp, t0 + absl::Seconds(9.999)), off);
  EXPECT_NE(SecureIpv4PortEphemeral(s, kA, kB, kHttp, t0 + absl::Seconds(10)), off);
  EXPECT_NE(SecureIpv4PortEphemeral(s, kA, kB, kHttp, t0 - absl::Nanoseconds(1)), off);
  // Per destination port and address, and per key.
  EXPECT_NE(SecureIpv4PortEphemeral(s, kA, kB, Port(443), t0), off);
  EXPECT_NE(SecureIpv4PortEphemeral(s, kA, Ipv4Addr::FromOctets(10, 0, 0, 3), kHttp, t0), off);
  EXPECT_NE(SecureIpv4PortEphemeral(Secrets(9), kA, kB, kHttp, t0), off);
  // Linux's remark in secure_seq.c: with sport 0 and no time seed the two
  // would coincide; the time word keeps the ISN and the port offset apart.
  EXPECT_NE(static_cast<uint32_t>(off),
            SecureTcpSeq(s, kA, kB, Port(0), kHttp, absl::UnixEpoch()).value());
}

}  // namespace
}  // namespace usnet
