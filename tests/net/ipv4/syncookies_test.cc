#include "net/ipv4/syncookies.h"

#include <bit>
#include <cstdint>
#include <optional>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace usnet {
namespace {

// A client 192.0.2.7:51000 opening a connection to 198.51.100.1:443.
const Ipv4Addr kClient = Ipv4Addr::FromOctets(192, 0, 2, 7);
const Ipv4Addr kServer = Ipv4Addr::FromOctets(198, 51, 100, 1);
const Port kClientPort(51000);
const Port kServerPort(443);
const SeqNum kClientIsn(0x89abcdef);

SynCookieKeys Keys(uint64_t seed) {
  std::mt19937_64 rng(seed);
  return SynCookieKeys::Random(rng);
}

// Some instant well after the epoch, 17 s into its minute.
const absl::Time kIssue = absl::UnixEpoch() + absl::Hours(24 * 365 * 30) + absl::Seconds(17);

// A SYN answered with a cookie, then the client's ACK checked at `at`.
uint16_t RoundTrip(const SynCookieKeys& keys, uint16_t client_mss, absl::Time issue, absl::Time at,
                   uint16_t* encoded_mss = nullptr) {
  uint16_t mss = client_mss;
  const uint32_t cookie = CookieV4InitSequence(keys, kClient, kServer, kClientPort, kServerPort,
                                               kClientIsn, &mss, issue);
  if (encoded_mss) *encoded_mss = mss;
  // The ACK: seq = client ISN + 1, ack = cookie + 1; the check takes both
  // minus one.
  const SeqNum ack_seq = SeqNum(cookie) + 1;
  const SeqNum seq = kClientIsn + 1;
  return CookieV4Check(keys, kClient, kServer, kClientPort, kServerPort, seq - 1,
                       (ack_seq - 1).value(), at);
}

// ---------------------------------------------------------------------------
// The sequence-number cookie

TEST(SynCookie, CookieTimeIsWholeMinutes) {
  EXPECT_EQ(TcpCookieTime(absl::UnixEpoch()), 0u);
  EXPECT_EQ(TcpCookieTime(absl::UnixEpoch() + absl::Seconds(59.999)), 0u);
  EXPECT_EQ(TcpCookieTime(absl::UnixEpoch() + absl::Seconds(60)), 1u);
  EXPECT_EQ(TcpCookieTime(absl::UnixEpoch() + absl::Hours(3) + absl::Minutes(25)), 205u);
  // jiffies64 / (60 HZ) is truncated to u32.
  EXPECT_EQ(TcpCookieTime(absl::UnixEpoch() + absl::Minutes((int64_t{1} << 32) + 5)), 5u);
  EXPECT_EQ(kTcpSyncookieValid, absl::Minutes(2));
}

// Against a Python model of Linux's secure_tcp_syn_cookie on x86-64 (the
// SipHash reference in tests/net/core/siphash_test.cc; addresses and ports
// as their wire bytes read little-endian):
//   h(key, count) = siphash(key, <IIII(be32raw(saddr), be32raw(daddr),
//                                      be16raw(sport) << 16 | be16raw(dport), count))
//   cookie = h(K0, 0) + isn + (count << 24) + ((h(K1, count) + mssind) & 0xffffff)
// with K0 = (0x0123456789abcdef, 0xfedcba9876543210),
//      K1 = (0x243f6a8885a308d3, 0x13198a2e03707344), count = 205.
TEST(SynCookie, MatchesLinuxOnLittleEndian) {
  if constexpr (std::endian::native != std::endian::little) {
    GTEST_SKIP() << "expected values are for a little-endian Linux";
  }
  SynCookieKeys keys;
  keys.secret[0] = SipHashKey{{0x0123456789abcdef, 0xfedcba9876543210}};
  keys.secret[1] = SipHashKey{{0x243f6a8885a308d3, 0x13198a2e03707344}};
  const absl::Time now = absl::UnixEpoch() + absl::Hours(3) + absl::Minutes(25) + absl::Seconds(17);
  const uint32_t want[4] = {0x99a7a14c, 0x99a7a14d, 0x99a7a14e, 0x99a7a14f};
  for (uint32_t i = 0; i < 4; ++i) {
    EXPECT_EQ(internal::SecureTcpSynCookie(keys, kClient, kServer, kClientPort, kServerPort,
                                           kClientIsn.value(), i, 205),
              want[i]);
    uint16_t mss = kCookieMssTab[i];
    EXPECT_EQ(CookieV4InitSequence(keys, kClient, kServer, kClientPort, kServerPort, kClientIsn,
                                   &mss, now),
              want[i]);
  }
}

TEST(SynCookie, RoundTripEveryMssIndex) {
  const SynCookieKeys keys = Keys(1);
  for (size_t i = 0; i < kCookieMssTab.size(); ++i) {
    uint16_t mss = 0;
    EXPECT_EQ(RoundTrip(keys, kCookieMssTab[i], kIssue, kIssue, &mss), kCookieMssTab[i]);
    EXPECT_EQ(mss, kCookieMssTab[i]);
    EXPECT_EQ(internal::CheckTcpSynCookie(
                  keys,
                  internal::SecureTcpSynCookie(keys, kClient, kServer, kClientPort, kServerPort,
                                               kClientIsn.value(), static_cast<uint32_t>(i), 77),
                  kClient, kServer, kClientPort, kServerPort, kClientIsn.value(), 77),
              i);
  }
}

// The MSS is rounded down to a table entry, except below 536: Linux's loop
// never compares index 0, so a smaller MSS is encoded (and later used) as
// 536.
TEST(SynCookie, ClientMssAroundTableBoundaries) {
  const SynCookieKeys keys = Keys(2);
  const struct {
    uint16_t client, encoded;
  } cases[] = {
      {0, 536},     {88, 536},    {535, 536},   {536, 536},   {537, 536},
      {1299, 536},  {1300, 1300}, {1301, 1300}, {1439, 1300}, {1440, 1440},
      {1459, 1440}, {1460, 1460}, {1461, 1460}, {9000, 1460}, {65535, 1460},
  };
  for (const auto& c : cases) {
    uint16_t mss = 0;
    EXPECT_EQ(RoundTrip(keys, c.client, kIssue, kIssue, &mss), c.encoded) << c.client;
    EXPECT_EQ(mss, c.encoded) << c.client;
  }
}

// Valid while the minute counter has moved by 0 or 1 since the cookie was
// made (so for 60 to 120 s, depending on where in its minute it was
// issued), refused from 2 on.
TEST(SynCookie, ValidAtMinuteZeroAndOneRejectedFromTwo) {
  const SynCookieKeys keys = Keys(3);
  const absl::Time minute_start = absl::FromUnixSeconds(int64_t{60} * TcpCookieTime(kIssue));
  for (absl::Duration into : {absl::ZeroDuration(), absl::Seconds(17), absl::Seconds(59.999)}) {
    const absl::Time issue = minute_start + into;
    const absl::Time next = minute_start + absl::Minutes(1);
    EXPECT_EQ(RoundTrip(keys, 1460, issue, issue), 1460);
    EXPECT_EQ(RoundTrip(keys, 1460, issue, next - absl::Nanoseconds(1)), 1460);
    EXPECT_EQ(RoundTrip(keys, 1460, issue, next), 1460);  // age 1
    EXPECT_EQ(RoundTrip(keys, 1460, issue, next + absl::Seconds(59.999)), 1460);
    EXPECT_EQ(RoundTrip(keys, 1460, issue, next + absl::Minutes(1)), 0);  // age 2
    EXPECT_EQ(RoundTrip(keys, 1460, issue, next + absl::Minutes(2)), 0);
    EXPECT_EQ(RoundTrip(keys, 1460, issue, next + absl::Hours(1)), 0);
    // An ACK "from before" the SYN: age 255 modulo 256.
    EXPECT_EQ(RoundTrip(keys, 1460, issue, minute_start - absl::Nanoseconds(1)), 0);
  }
}

TEST(SynCookie, AgeIsCheckedModulo256Minutes) {
  const SynCookieKeys keys = Keys(4);
  const auto check = [&](uint32_t issue_count, uint32_t now_count) {
    const uint32_t cookie = internal::SecureTcpSynCookie(
        keys, kClient, kServer, kClientPort, kServerPort, kClientIsn.value(), 3, issue_count);
    return internal::CheckTcpSynCookie(keys, cookie, kClient, kServer, kClientPort, kServerPort,
                                       kClientIsn.value(), now_count);
  };
  // The top byte wrapping (255 -> 256) and the u32 counter wrapping.
  EXPECT_EQ(check(255, 256), 3u);
  EXPECT_EQ(check(0xffffffff, 0), 3u);
  EXPECT_EQ(check(0xfffffffe, 0), ~0u);
  // 256 minutes later the age reads 0 again, but the inner hash is then
  // recomputed with the wrong count: the data is garbage, and the caller's
  // range check refuses it (this key and 4-tuple, odds 4 in 2^24 otherwise).
  const uint32_t stale = check(1000, 1256);
  EXPECT_NE(stale, ~0u);
  EXPECT_GE(stale, kCookieMssTab.size());
}

TEST(SynCookie, WrongFourTupleOrIsnRejected) {
  const SynCookieKeys keys = Keys(5);
  uint16_t mss = 1460;
  const uint32_t cookie = CookieV4InitSequence(keys, kClient, kServer, kClientPort, kServerPort,
                                               kClientIsn, &mss, kIssue);
  const auto check = [&](Ipv4Addr s, Ipv4Addr d, Port sp, Port dp, SeqNum isn, uint32_t c) {
    return CookieV4Check(keys, s, d, sp, dp, isn, c, kIssue);
  };
  const Ipv4Addr other = Ipv4Addr::FromOctets(192, 0, 2, 8);
  EXPECT_EQ(check(kClient, kServer, kClientPort, kServerPort, kClientIsn, cookie), 1460);
  EXPECT_EQ(check(other, kServer, kClientPort, kServerPort, kClientIsn, cookie), 0);
  EXPECT_EQ(check(kClient, other, kClientPort, kServerPort, kClientIsn, cookie), 0);
  EXPECT_EQ(check(kClient, kServer, Port(51001), kServerPort, kClientIsn, cookie), 0);
  EXPECT_EQ(check(kClient, kServer, kClientPort, Port(444), kClientIsn, cookie), 0);
  EXPECT_EQ(check(kServer, kClient, kServerPort, kClientPort, kClientIsn, cookie), 0);
  EXPECT_EQ(check(kClient, kServer, kClientPort, kServerPort, kClientIsn + 0x1000, cookie), 0);
  EXPECT_EQ(check(kClient, kServer, kClientPort, kServerPort, kClientIsn, cookie + 0x1000), 0);
  EXPECT_EQ(check(kClient, kServer, kClientPort, kServerPort, kClientIsn, cookie ^ 0x80000000), 0);
  // Linux's cookie is linear in the client ISN and in the index (both are
  // plain addends), so small shifts only move the index: ISN + 1 reads
  // index 3 - 1 = 2, ISN - 1 reads index 4, off the table. Harmless: it
  // takes a valid cookie to start with, and it can only lower the MSS.
  EXPECT_EQ(check(kClient, kServer, kClientPort, kServerPort, kClientIsn + 1, cookie), 1440);
  EXPECT_EQ(check(kClient, kServer, kClientPort, kServerPort, kClientIsn - 1, cookie), 0);
  EXPECT_EQ(check(kClient, kServer, kClientPort, kServerPort, kClientIsn, cookie - 3), 536);
  EXPECT_EQ(check(kClient, kServer, kClientPort, kServerPort, kClientIsn, cookie + 1), 0);
  EXPECT_EQ(check(kClient, kServer, kClientPort, kServerPort, kClientIsn + 1, cookie + 1), 1460);
  // Another host's keys.
  EXPECT_EQ(CookieV4Check(Keys(6), kClient, kServer, kClientPort, kServerPort, kClientIsn, cookie,
                          kIssue),
            0);
}

TEST(SynCookie, ClientIsnWraparound) {
  const SynCookieKeys keys = Keys(7);
  for (uint32_t isn : {0xffffffffu, 0xfffffffeu, 0u, 0x7fffffffu, 0x80000000u}) {
    uint16_t mss = 1440;
    const uint32_t cookie = CookieV4InitSequence(keys, kClient, kServer, kClientPort, kServerPort,
                                                 SeqNum(isn), &mss, kIssue);
    // The ACK's sequence number is isn + 1, which wraps to 0 for 0xffffffff.
    const SeqNum ack_seq_field = SeqNum(isn) + 1;
    EXPECT_EQ(CookieV4Check(keys, kClient, kServer, kClientPort, kServerPort, ack_seq_field - 1,
                            cookie, kIssue + absl::Minutes(1)),
              1440)
        << isn;
  }
}

// A cookie of 0xffffffff: the ACK's ack_seq = cookie + 1 wraps to 0. The
// cookie is the client ISN plus terms that do not depend on it, so shifting
// the ISN by the distance to 2^32 - 1 lands the cookie there exactly.
TEST(SynCookie, CookieValueWraparound) {
  const SynCookieKeys keys = Keys(8);
  uint16_t mss = 536;
  const uint32_t cookie = CookieV4InitSequence(keys, kClient, kServer, kClientPort, kServerPort,
                                               kClientIsn, &mss, kIssue);
  const SeqNum isn = kClientIsn + (0xffffffffu - cookie);
  const uint32_t top =
      CookieV4InitSequence(keys, kClient, kServer, kClientPort, kServerPort, isn, &mss, kIssue);
  ASSERT_EQ(top, 0xffffffffu);
  const SeqNum ack_seq_field = SeqNum(top) + 1;
  EXPECT_EQ(ack_seq_field.value(), 0u);
  EXPECT_EQ(CookieV4Check(keys, kClient, kServer, kClientPort, kServerPort, isn,
                          (ack_seq_field - 1).value(), kIssue),
            536);
}

// An attacker who cannot see our SYN-ACKs guesses the ack number. A guess
// passes only if (1) the top byte, once the outer hash and the ISN are
// removed, is within kMaxSyncookieAge of the counter (2 in 256) and (2) the
// low 24 bits minus the inner hash land on a valid index (4 in 2^24): odds
// 2/256 * 4/2^24 = 2^-29 per guess, so 1e6 guesses pass 0.0019 times on
// average. The bound of 2 is exceeded with probability about 1e-9
// (Poisson); the seed is fixed, so the test is deterministic anyway.
TEST(SynCookie, RandomCookiesAreAlmostNeverAccepted) {
  const SynCookieKeys keys = Keys(9);
  std::mt19937_64 rng(2024);
  constexpr int kTries = 1000000;
  int accepted = 0, age_ok = 0;
  for (int i = 0; i < kTries; ++i) {
    const uint32_t guess = static_cast<uint32_t>(rng());
    if (CookieV4Check(keys, kClient, kServer, kClientPort, kServerPort, kClientIsn, guess,
                      kIssue) != 0) {
      ++accepted;
    }
    age_ok += internal::CheckTcpSynCookie(keys, guess, kClient, kServer, kClientPort, kServerPort,
                                          kClientIsn.value(), TcpCookieTime(kIssue)) != ~0u;
  }
  EXPECT_LE(accepted, 2);
  // Step (1) alone passes 2/256 of random values: 7812.5 expected, standard
  // deviation 88; allow 5 of them.
  EXPECT_NEAR(age_ok, kTries * 2.0 / 256, 5 * 88);
}

// A stronger attacker who knows everything but the inner key (so gets step
// (1) right every time) still needs the 24-bit part: 4 in 2^24 per guess,
// 0.24 expected in 1e6; more than 4 has probability about 1e-6.
TEST(SynCookie, GuessingTheInnerHashIsAlmostNeverAccepted) {
  const SynCookieKeys keys = Keys(10);
  const uint32_t count = TcpCookieTime(kIssue);
  const uint32_t outer =
      internal::CookieHash(keys, kClient, kServer, kClientPort, kServerPort, 0, 0);
  std::mt19937_64 rng(6528);
  int accepted = 0;
  for (int i = 0; i < 1000000; ++i) {
    const uint32_t guess = outer + kClientIsn.value() + (count << kCookieBits) +
                           (static_cast<uint32_t>(rng()) & kCookieMask);
    accepted += CookieV4Check(keys, kClient, kServer, kClientPort, kServerPort, kClientIsn, guess,
                              kIssue) != 0;
  }
  EXPECT_LE(accepted, 4);
}

// ---------------------------------------------------------------------------
// Options in the timestamp

struct TsCase {
  std::optional<uint8_t> wscale;  // nullopt: the SYN had no window scale option
  bool sack, ecn;
};

std::vector<TsCase> AllOptionCombinations() {
  std::vector<TsCase> v;
  std::vector<std::optional<uint8_t>> scales = {std::nullopt};
  for (uint8_t w = 0; w <= kTcpMaxWscale; ++w) scales.push_back(w);
  for (auto w : scales) {
    for (bool sack : {false, true}) {
      for (bool ecn : {false, true}) v.push_back({w, sack, ecn});
    }
  }
  return v;
}

std::vector<uint32_t> ClockValues() {
  std::vector<uint32_t> v = {0,          1,          5,          63,         64,         65,
                             127,        128,        1000,       0x12345678, 0x7fffffff, 0x80000000,
                             0xffffff80, 0xffffffbf, 0xffffffc0, 0xfffffffe, 0xffffffff};
  // Every low-6-bit value under a few bases, so the options are both above
  // and below the clock's low bits.
  for (uint32_t base : {0u, 64u * 1000, 0xffffffc0u}) {
    for (uint32_t low = 0; low < 64; ++low) v.push_back(base + low);
  }
  return v;
}

TEST(SynCookieTimestamp, RoundTripEveryOptionAtEveryClock) {
  const uint32_t ts_off = 0x3d10a6b4;  // any per-peer offset
  for (const TsCase& c : AllOptionCombinations()) {
    for (uint32_t now : ClockValues()) {
      const uint32_t ts =
          CookieInitTimestamp(c.wscale.has_value(), c.wscale.value_or(0), c.sack, c.ecn, now);
      SCOPED_TRACE(testing::Message()
                   << "now " << now << " wscale " << (c.wscale ? int{*c.wscale} : -1) << " sack "
                   << c.sack << " ecn " << c.ecn << " ts " << ts);
      // Never ahead of the clock, and at most one 64 ms period behind it
      // (modulo 2^32, as TSvals compare).
      EXPECT_LT(now - ts, 64u);
      if (now >= 64) {
        EXPECT_LE(ts, now);
      }
      // The SYN-ACK carries ts + ts_off; the ACK echoes it; we remove ts_off.
      const uint32_t tsecr = (ts + ts_off) - ts_off;
      CookieTsOptions o;
      ASSERT_TRUE(CookieTimestampDecode(tsecr, /*peer_sent_ts=*/true, &o));
      EXPECT_TRUE(o.tstamp_ok);
      EXPECT_EQ(o.wscale_ok, c.wscale.has_value());
      EXPECT_EQ(o.snd_wscale, c.wscale.value_or(0));
      EXPECT_LE(o.snd_wscale, kTcpMaxWscale);
      EXPECT_EQ(o.sack_ok, c.sack);
      EXPECT_EQ(CookieEcnOk(tsecr, true), c.ecn);
    }
  }
}

TEST(SynCookieTimestamp, OptionsReplaceTheLowBits) {
  // No wscale (0xf), SACK (0x10), no ECN: options 0x1f; the clock's low
  // bits 0x25 are above them, so no step back.
  EXPECT_EQ(CookieInitTimestamp(false, 0, true, false, 64 * 1000 + 0x25), 64u * 1000 + 0x1f);
  // wscale 7, ECN (0x20): 0x27 > 0x25, so one 64 ms period back.
  EXPECT_EQ(CookieInitTimestamp(true, 7, false, true, 64 * 1000 + 0x25), 64u * 999 + 0x27);
  // Equal low bits: ts == now, kept.
  EXPECT_EQ(CookieInitTimestamp(true, 7, false, true, 64 * 1000 + 0x27), 64u * 1000 + 0x27);
  // Everything set: 0x3f only fits below a clock ending in 0x3f.
  EXPECT_EQ(CookieInitTimestamp(false, 0, true, true, 64 * 1000 + 0x3e), 64u * 999 + 0x3f);
  EXPECT_EQ(CookieInitTimestamp(false, 0, true, true, 64 * 1000 + 0x3f), 64u * 1000 + 0x3f);
}

TEST(SynCookieTimestamp, StepBackWrapsBelowZero) {
  // At clock 5 with options 0x2e (ECN, wscale 14) the value would be 0x2e >
  // 5, and the step back wraps to just below 2^32, which is "before" 5 in
  // modulo-2^32 order.
  const uint32_t ts = CookieInitTimestamp(true, 14, false, true, 5);
  EXPECT_EQ(ts, 0xffffffc0u | 0x2e);
  EXPECT_LT(SeqNum(ts), SeqNum(5));
}

// Without timestamps in the ACK there is nowhere for options to come from:
// Linux clears them (tcp_clear_options) and accepts, whatever the TSecr
// field held.
TEST(SynCookieTimestamp, NoTimestampMeansNoOptions) {
  for (uint32_t tsecr : {0u, 0x3fu, 0x12345678u}) {
    CookieTsOptions o;
    o.sack_ok = o.wscale_ok = o.tstamp_ok = true;
    o.snd_wscale = 9;
    EXPECT_TRUE(CookieTimestampDecode(tsecr, /*peer_sent_ts=*/false, &o));
    EXPECT_EQ(o, CookieTsOptions{});
    EXPECT_FALSE(CookieEcnOk(tsecr, false));
  }
}

TEST(SynCookieTimestamp, EveryScaleNibbleDecodesToALegalShift) {
  for (uint32_t nibble = 0; nibble < 16; ++nibble) {
    CookieTsOptions o;
    ASSERT_TRUE(CookieTimestampDecode(0x12345640 | nibble, true, &o));
    EXPECT_EQ(o.wscale_ok, nibble != kTsOptWscaleMask) << nibble;
    EXPECT_LE(o.snd_wscale, kTcpMaxWscale);
    if (o.wscale_ok) {
      EXPECT_EQ(o.snd_wscale, nibble);
    }
  }
}

// Linux quirk, kept: cookie_v4_check subtracts ts_off only from a nonzero
// TSecr, and decodes a zero TSecr as "window scale 0, no SACK".
TEST(SynCookieTimestamp, ZeroTsecrDecodesAsScaleZero) {
  CookieTsOptions o;
  ASSERT_TRUE(CookieTimestampDecode(0, true, &o));
  EXPECT_TRUE(o.wscale_ok);
  EXPECT_EQ(o.snd_wscale, 0);
  EXPECT_FALSE(o.sack_ok);
}

TEST(SynCookieTimestamp, RefusesOptionsTheHostHasSwitchedOff) {
  const uint32_t sack_ws7 = CookieInitTimestamp(true, 7, true, false, 100000);
  const uint32_t plain = CookieInitTimestamp(false, 0, false, false, 100000);
  CookieTsOptions o;
  EXPECT_FALSE(CookieTimestampDecode(plain, true, &o, {.tcp_timestamps = false}));
  EXPECT_FALSE(CookieTimestampDecode(sack_ws7, true, &o, {.tcp_sack = false}));
  EXPECT_FALSE(CookieTimestampDecode(sack_ws7, true, &o, {.tcp_window_scaling = false}));
  EXPECT_TRUE(CookieTimestampDecode(plain, true, &o, {.tcp_sack = false}));
  EXPECT_TRUE(CookieTimestampDecode(plain, true, &o, {.tcp_window_scaling = false}));
  // Without timestamps in the ACK, nothing is asked for, so nothing refused.
  EXPECT_TRUE(CookieTimestampDecode(sack_ws7, false, &o, {.tcp_timestamps = false}));
}

}  // namespace
}  // namespace usnet
