// SYN cookies (Linux net/ipv4/syncookies.c, after D. J. Bernstein): when a
// listener's SYN queue is full (or net.ipv4.tcp_syncookies = 2) the
// SYN-ACK's sequence number carries, in place of a stored request, what is
// needed to rebuild the connection from the client's ACK. The codec is
// pure: the callers (tcp_ipv4.cc) own the keys, the sysctls and the
// counters.
//
// The cookie, all modulo 2^32 (Linux secure_tcp_syn_cookie):
//   H(4-tuple; k0) + client_isn + (count << 24)
//     + ((H(4-tuple, count; k1) + mss_index) & 0xffffff)
// with H = SipHash-2-4 truncated to 32 bits and count the minute counter.
// The ACK returns the cookie + 1: peeling off the first hash and the ISN
// leaves count's low 8 bits (the age) and the 24-bit keyed value hiding the
// MSS index. Only the MSS (one of four values) survives; when the client
// sent timestamps, the low 6 bits of our TSval carry its window scale, SACK
// and ECN (cookie_init_timestamp), and come back in its TSecr.
//
//   // tcp_conn_request, queue full: answer statelessly.
//   uint16_t mss = client_mss;
//   uint32_t isn = CookieV4InitSequence(keys, iph.saddr, iph.daddr, th.sport, th.dport,
//                                       th.seq, &mss, now);  // mss: rounded down
//   if (tstamp_ok) tsval = CookieInitTimestamp(wscale_ok, snd_wscale, sack_ok, ecn_ok,
//                                              ts_now_ms) + ts_off;
//   // cookie_v4_check, on the ACK that has no request sock:
//   uint16_t mss = CookieV4Check(keys, iph.saddr, iph.daddr, th.sport, th.dport,
//                                th.seq - 1, (th.ack_seq - 1).value(), now);
//   if (mss == 0) { /* LINUX_MIB_SYNCOOKIESFAILED, RST */ }
//   CookieTsOptions o;
//   if (!CookieTimestampDecode(tsecr - ts_off, saw_tstamp, &o)) { /* drop */ }
#pragma once

#include <array>
#include <cstdint>
#include <random>

#include "absl/time/time.h"
#include "net/core/addr.h"
#include "net/core/siphash.h"
#include "net/ipv4/tcp_seq.h"
#include "net/wire/tcp.h"  // kTcpMaxWscale (TCP_MAX_WSCALE)

namespace usnet {

inline constexpr int kCookieBits = 24;                                     // COOKIEBITS
inline constexpr uint32_t kCookieMask = (uint32_t{1} << kCookieBits) - 1;  // COOKIEMASK
// A cookie is accepted while the minute counter has advanced by less than
// this since it was issued: between 1 and 2 minutes, depending on where in
// its minute it was issued (Linux MAX_SYNCOOKIE_AGE).
inline constexpr uint32_t kMaxSyncookieAge = 2;
inline constexpr absl::Duration kTcpSyncookiePeriod = absl::Minutes(1);  // TCP_SYNCOOKIE_PERIOD
// How long after the last SYN queue overflow an unmatched ACK is checked as
// a cookie (Linux TCP_SYNCOOKIE_VALID, tcp_synq_no_recent_overflow).
inline constexpr absl::Duration kTcpSyncookieValid = absl::Minutes(kMaxSyncookieAge);

// The MSS values a cookie can carry, sorted (Linux msstab, chosen from
// Alcock and Nelson's 2011 survey of observed MSS options; 1440 serves the
// PPPoE values 1440 and 1452).
inline constexpr std::array<uint16_t, 4> kCookieMssTab = {536, 1300, 1440, 1460};

// Linux syncookie_secret[2]: key 0 for the outer hash (no count), key 1 for
// the count-dependent inner hash.
struct SynCookieKeys {
  SipHashKey secret[2];

  static SynCookieKeys Random(std::mt19937_64& rng);
};

// Linux tcp_cookie_time: the minute counter, jiffies64 / (60 * HZ)
// truncated to 32 bits; for us whole minutes since the clock's epoch.
uint32_t TcpCookieTime(absl::Time now);

// Linux __cookie_v4_init_sequence, for a SYN from saddr:sport to
// daddr:dport with sequence number client_isn: the ISN of our SYN-ACK.
// *mss_inout is the client's MSS on entry and the MSS the cookie encodes on
// return: the largest table entry not above it, or 536 when the client's
// is smaller still (Linux's loop stops at index 0 without comparing).
uint32_t CookieV4InitSequence(const SynCookieKeys& keys, Ipv4Addr saddr, Ipv4Addr daddr, Port sport,
                              Port dport, SeqNum client_isn, uint16_t* mss_inout, absl::Time now);

// Linux __cookie_v4_check, for an ACK from saddr:sport to daddr:dport:
// client_isn is its sequence number minus 1 and cookie its acknowledgment
// number minus 1. Returns the MSS the cookie encodes, or 0 when it is not
// one of ours: too old (the minute counter moved kMaxSyncookieAge or more),
// or a forged / mismatched value whose decoded index is off the table.
uint16_t CookieV4Check(const SynCookieKeys& keys, Ipv4Addr saddr, Ipv4Addr daddr, Port sport,
                       Port dport, SeqNum client_isn, uint32_t cookie, absl::Time now);

// --- TCP options in the timestamp (RFC 7323 TSval; Linux TS_OPT_*) ---
//
//   | 31 ... 6 |  5  |  4   | 3 2 1 0 |
//   | ms clock | ECN | SACK | wscale  |     wscale 0xf: no window scaling
//
// There is no bit for "timestamps": an ACK that echoes one proves the
// client took part in them.
inline constexpr int kTsBits = 6;                                  // TSBITS
inline constexpr uint32_t kTsMask = (uint32_t{1} << kTsBits) - 1;  // TSMASK
inline constexpr uint32_t kTsOptWscaleMask = 0xf;                  // TS_OPT_WSCALE_MASK
inline constexpr uint32_t kTsOptSack = uint32_t{1} << 4;           // TS_OPT_SACK
inline constexpr uint32_t kTsOptEcn = uint32_t{1} << 5;            // TS_OPT_ECN

// Linux cookie_init_timestamp: the TSval (before the per-peer ts_off is
// added) of a cookie SYN-ACK sent at ts_now_ms (tcp_time_stamp, ms). The
// options replace the clock's low 6 bits; if that would put the value
// ahead of the clock, it steps back one 64 ms period, because every later
// TSval comes from the plain clock and must not go backwards. So
// ts_now_ms - result is always in [0, 63] modulo 2^32 (near 0 it wraps to
// just below 2^32, as the on-the-wire u32 does). snd_wscale (the client's
// shift) must be <= 14 when wscale_ok; tcp_parse_options clamps it so.
uint32_t CookieInitTimestamp(bool wscale_ok, uint8_t snd_wscale, bool sack_ok, bool ecn_ok,
                             uint32_t ts_now_ms);

// What cookie_timestamp_decode recovers (its fields of Linux
// tcp_options_received).
struct CookieTsOptions {
  bool tstamp_ok = false;  // saw_tstamp: the ACK carried a timestamp
  bool sack_ok = false;
  bool wscale_ok = false;
  uint8_t snd_wscale = 0;  // 0..14 when wscale_ok

  friend bool operator==(const CookieTsOptions&, const CookieTsOptions&) = default;
};

// The sysctls cookie_timestamp_decode consults (net.ipv4.tcp_*; Linux's
// defaults are all on).
struct CookieTsSysctls {
  bool tcp_timestamps = true;
  bool tcp_sack = true;
  bool tcp_window_scaling = true;
};

// Linux cookie_timestamp_decode. tsecr is the ACK's TSecr minus our ts_off
// for the peer; Linux subtracts ts_off only when TSecr != 0
// (cookie_v4_check / cookie_tcp_check). Returns false when the cookie asks
// for an option this host has switched off: timestamps at all, SACK when
// its bit is set, window scaling when a scale is set; the caller then drops
// the ACK.
//
// Linux has no "wscale > 14" check here and needs none: the 4-bit field
// holds 0..14 or 0xf, and 0xf means "no window scaling", so a decoded
// snd_wscale never exceeds TCP_MAX_WSCALE. And an ACK without timestamps
// (peer_sent_ts false) is not refused: it has no TSecr to carry option
// bits, so the options are cleared (tcp_clear_options) and the connection
// gets only the cookie's MSS.
bool CookieTimestampDecode(uint32_t tsecr, bool peer_sent_ts, CookieTsOptions* out,
                           const CookieTsSysctls& sysctls = {});

// Linux cookie_ecn_ok (6.8+: the TS_OPT_ECN bit of the echoed, offset-free
// TSecr; 0 without timestamps). The caller then keeps ECN only if
// net.ipv4.tcp_ecn is set or the route has the ECN feature (Linux
// cookie_v4_check: ecn_ok &= sysctl_tcp_ecn || dst_feature(RTAX_FEATURE_ECN)).
bool CookieEcnOk(uint32_t tsecr, bool peer_sent_ts);

namespace internal {

// The steps of the codec with the minute counter as a parameter, for
// tests. Linux cookie_hash (SipHash 4u32 of the 4-tuple and count under
// secret[c], truncated to 32 bits).
uint32_t CookieHash(const SynCookieKeys& keys, Ipv4Addr saddr, Ipv4Addr daddr, Port sport,
                    Port dport, uint32_t count, int c);
// Linux secure_tcp_syn_cookie: sseq is the client's ISN, data the MSS index.
uint32_t SecureTcpSynCookie(const SynCookieKeys& keys, Ipv4Addr saddr, Ipv4Addr daddr, Port sport,
                            Port dport, uint32_t sseq, uint32_t data, uint32_t count);
// Linux check_tcp_syn_cookie: the data (MSS index) the cookie carries, or
// 0xffffffff when it is kMaxSyncookieAge or more minutes old. A cookie
// that was never ours yields an arbitrary 24-bit value, which the caller
// must range-check.
uint32_t CheckTcpSynCookie(const SynCookieKeys& keys, uint32_t cookie, Ipv4Addr saddr,
                           Ipv4Addr daddr, Port sport, Port dport, uint32_t sseq, uint32_t count);

}  // namespace internal
}  // namespace usnet
