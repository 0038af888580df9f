#include "net/ipv4/syncookies.h"

#include "kernel/check.h"
#include "net/ipv4/secure_seq.h"

namespace usnet {

static_assert(kCookieMssTab.size() <= kCookieMask, "the index rides in the 24-bit part");
// Every 4-bit scale but the "none" marker is a legal shift, so decoding
// cannot produce one above TCP_MAX_WSCALE.
static_assert(kTsOptWscaleMask == kTcpMaxWscale + 1u);

SynCookieKeys SynCookieKeys::Random(std::mt19937_64& rng) {
  SynCookieKeys k;
  k.secret[0] = SipHashKey::Random(rng);
  k.secret[1] = SipHashKey::Random(rng);
  return k;
}

uint32_t TcpCookieTime(absl::Time now) {
  // Floor division, so an instant before the epoch (never seen in
  // practice) still belongs to the minute that contains it.
  const int64_t s = absl::ToUnixSeconds(now);  // floors
  const int64_t minutes = s >= 0 ? s / 60 : (s - 59) / 60;
  return static_cast<uint32_t>(minutes);
}

namespace internal {

uint32_t CookieHash(const SynCookieKeys& keys, Ipv4Addr saddr, Ipv4Addr daddr, Port sport,
                    Port dport, uint32_t count, int c) {
  return static_cast<uint32_t>(SipHash4u32(LinuxBe32(saddr), LinuxBe32(daddr),
                                           LinuxPorts(sport, dport), count, keys.secret[c]));
}

uint32_t SecureTcpSynCookie(const SynCookieKeys& keys, Ipv4Addr saddr, Ipv4Addr daddr, Port sport,
                            Port dport, uint32_t sseq, uint32_t data, uint32_t count) {
  // Linux: H(k0) + sseq + (count << COOKIEBITS)
  //        + ((H(count; k1) + data) & COOKIEMASK), all u32.
  return CookieHash(keys, saddr, daddr, sport, dport, 0, 0) + sseq + (count << kCookieBits) +
         ((CookieHash(keys, saddr, daddr, sport, dport, count, 1) + data) & kCookieMask);
}

uint32_t CheckTcpSynCookie(const SynCookieKeys& keys, uint32_t cookie, Ipv4Addr saddr,
                           Ipv4Addr daddr, Port sport, Port dport, uint32_t sseq, uint32_t count) {
  // Strip the outer layer: what is left is (issue count << 24) plus the
  // 24-bit inner value (the addition of the inner part cannot carry into
  // the top byte: it was masked to 24 bits before being added).
  cookie -= CookieHash(keys, saddr, daddr, sport, dport, 0, 0) + sseq;
  // The age in minutes, modulo 256 (the top byte is all of count that the
  // cookie keeps).
  const uint32_t diff = (count - (cookie >> kCookieBits)) & (~uint32_t{0} >> kCookieBits);
  if (diff >= kMaxSyncookieAge) return ~uint32_t{0};
  // Recompute the inner hash with the issue count and leave the data.
  return (cookie - CookieHash(keys, saddr, daddr, sport, dport, count - diff, 1)) & kCookieMask;
}

}  // namespace internal

uint32_t CookieV4InitSequence(const SynCookieKeys& keys, Ipv4Addr saddr, Ipv4Addr daddr, Port sport,
                              Port dport, SeqNum client_isn, uint16_t* mss_inout, absl::Time now) {
  // Linux: for (mssind = ARRAY_SIZE(msstab) - 1; mssind; mssind--)
  //          if (mss >= msstab[mssind]) break;
  // Index 0 is never compared: an MSS below 536 still gets 536.
  const uint16_t mss = *mss_inout;
  uint32_t mssind = kCookieMssTab.size() - 1;
  for (; mssind != 0; --mssind) {
    if (mss >= kCookieMssTab[mssind]) break;
  }
  *mss_inout = kCookieMssTab[mssind];
  return internal::SecureTcpSynCookie(keys, saddr, daddr, sport, dport, client_isn.value(), mssind,
                                      TcpCookieTime(now));
}

uint16_t CookieV4Check(const SynCookieKeys& keys, Ipv4Addr saddr, Ipv4Addr daddr, Port sport,
                       Port dport, SeqNum client_isn, uint32_t cookie, absl::Time now) {
  const uint32_t mssind = internal::CheckTcpSynCookie(keys, cookie, saddr, daddr, sport, dport,
                                                      client_isn.value(), TcpCookieTime(now));
  return mssind < kCookieMssTab.size() ? kCookieMssTab[mssind] : 0;
}

uint32_t CookieInitTimestamp(bool wscale_ok, uint8_t snd_wscale, bool sack_ok, bool ecn_ok,
                             uint32_t ts_now_ms) {
  // Linux keeps snd_wscale in a 4-bit field and tcp_parse_options clamps it
  // to 14; the mask keeps a bad value out of the SACK/ECN bits in release
  // builds.
  USNET_DCHECK(!wscale_ok || snd_wscale <= kTcpMaxWscale);
  uint32_t options = wscale_ok ? (snd_wscale & kTsOptWscaleMask) : kTsOptWscaleMask;
  if (sack_ok) options |= kTsOptSack;
  if (ecn_ok) options |= kTsOptEcn;

  uint32_t ts = (ts_now_ms >> kTsBits) << kTsBits;
  ts |= options;
  // Never ahead of the clock the connection's later TSvals come from. Linux
  // 6.7+ does this in 64-bit milliseconds (then nanoseconds); the u32 that
  // goes on the wire is the same as this u32 arithmetic, which is how Linux
  // computed it before.
  if (ts > ts_now_ms) ts -= uint32_t{1} << kTsBits;
  return ts;
}

bool CookieTimestampDecode(uint32_t tsecr, bool peer_sent_ts, CookieTsOptions* out,
                           const CookieTsSysctls& sysctls) {
  *out = CookieTsOptions{};
  if (!peer_sent_ts) return true;  // tcp_clear_options: the MSS is all we have
  out->tstamp_ok = true;
  if (!sysctls.tcp_timestamps) return false;

  out->sack_ok = (tsecr & kTsOptSack) != 0;
  if (out->sack_ok && !sysctls.tcp_sack) return false;

  if ((tsecr & kTsOptWscaleMask) == kTsOptWscaleMask) return true;  // no window scaling
  out->wscale_ok = true;
  out->snd_wscale = static_cast<uint8_t>(tsecr & kTsOptWscaleMask);
  return sysctls.tcp_window_scaling;
}

bool CookieEcnOk(uint32_t tsecr, bool peer_sent_ts) {
  return peer_sent_ts && (tsecr & kTsOptEcn) != 0;
}

}  // namespace usnet
