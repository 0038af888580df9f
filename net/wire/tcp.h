// TCP header (RFC 9293 3.1) and its options: MSS (RFC 9293 3.7.1), window
// scale and timestamps (RFC 7323), SACK-permitted and SACK (RFC 2018).
//
// Options are parsed the way Linux tcp_parse_options (net/ipv4/tcp_input.c)
// parses them and written byte-for-byte the way tcp_options_write
// (net/ipv4/tcp_output.c) writes them, so packet scripts written against
// Linux match our segments exactly.
//
//   auto th = TcpView::Parse(ip->payload());   // checks data offset vs bytes
//   if (!th) count(th.error());
//   if (!th->ChecksumValid(ip->src(), ip->dst())) drop();
//   TcpOptions opt = th->ParseOptions();
//
//   TcpRepr r{.src_port = lport, .dst_port = rport, .seq = isn, .ack = SeqNum(0),
//             .flags = kTcpSyn, .window = 64240,
//             .opts = {.mss = 1460, .wscale = 7, .sack_permitted = true,
//                      .has_timestamp = true, .tsval = now_ms}};
//   std::byte* p = skb->Push(r.HeaderLen());
//   r.Emit(p);                                  // checksum field left 0
//   TcpFillChecksum(p, skb->len(), saddr, daddr);
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "kernel/check.h"
#include "net/core/addr.h"
#include "net/core/byteorder.h"
#include "net/core/checksum.h"
#include "net/ipv4/tcp_seq.h"
#include "net/wire/ipv4.h"
#include "net/wire/parse.h"

namespace usnet {

inline constexpr size_t kTcpMinHeaderLen = 20;
inline constexpr size_t kTcpMaxHeaderLen = 60;
inline constexpr size_t kTcpMaxOptionsLen = kTcpMaxHeaderLen - kTcpMinHeaderLen;  // 40

// Flag bits of header byte 13 (Linux TCPHDR_*).
inline constexpr uint8_t kTcpFin = 0x01;
inline constexpr uint8_t kTcpSyn = 0x02;
inline constexpr uint8_t kTcpRst = 0x04;
inline constexpr uint8_t kTcpPsh = 0x08;
inline constexpr uint8_t kTcpAck = 0x10;
inline constexpr uint8_t kTcpUrg = 0x20;
inline constexpr uint8_t kTcpEce = 0x40;
inline constexpr uint8_t kTcpCwr = 0x80;

// Option kinds and lengths (Linux TCPOPT_* / TCPOLEN_*).
inline constexpr uint8_t kTcpOptEol = 0;
inline constexpr uint8_t kTcpOptNop = 1;
inline constexpr uint8_t kTcpOptMss = 2;
inline constexpr uint8_t kTcpOptWindow = 3;
inline constexpr uint8_t kTcpOptSackPerm = 4;
inline constexpr uint8_t kTcpOptSack = 5;
inline constexpr uint8_t kTcpOptTimestamp = 8;
inline constexpr uint8_t kTcpOptLenMss = 4;
inline constexpr uint8_t kTcpOptLenWindow = 3;
inline constexpr uint8_t kTcpOptLenSackPerm = 2;
inline constexpr uint8_t kTcpOptLenTimestamp = 10;
inline constexpr uint8_t kTcpOptLenSackBase = 2;
inline constexpr uint8_t kTcpOptLenSackPerBlock = 8;

// RFC 7323 2.3: a shift above 14 is used as 14 (Linux TCP_MAX_WSCALE).
inline constexpr uint8_t kTcpMaxWscale = 14;
// Four blocks fill 34 of the 40 option bytes (Linux TCP_NUM_SACKS).
inline constexpr size_t kTcpMaxSackBlocks = 4;

struct SackBlock {
  SeqNum start;  // first sequence number of the block
  SeqNum end;    // one past the last
  friend constexpr bool operator==(const SackBlock&, const SackBlock&) = default;
};

// The options of one segment, as received or to be sent. A received option
// is recorded whatever the segment's flags: Linux honours MSS, window scale
// and SACK-permitted only on a SYN, and timestamps/SACK only once
// negotiated, and so must the caller.
struct TcpOptions {
  std::optional<uint16_t> mss{};
  std::optional<uint8_t> wscale{};  // already capped at kTcpMaxWscale when parsed
  bool sack_permitted = false;
  bool has_timestamp = false;
  uint32_t tsval = 0;
  uint32_t tsecr = 0;
  uint8_t num_sack = 0;  // blocks in use at the front of `sack`
  std::array<SackBlock, kTcpMaxSackBlocks> sack{};

  std::span<const SackBlock> sack_blocks() const {
    return std::span(sack).first(std::min<size_t>(num_sack, kTcpMaxSackBlocks));
  }
  // Blocks past num_sack are not part of the value.
  friend bool operator==(const TcpOptions& a, const TcpOptions& b);
};

// Bytes the options take on the wire, in tcp_options_write's layout (a
// multiple of 4). Linux: tcp_syn_options / tcp_established_options sizes.
size_t TcpOptionsLen(const TcpOptions& o);
// Writes TcpOptionsLen(o) bytes at p; see tcp.cc for the exact layout.
void TcpWriteOptions(std::byte* p, const TcpOptions& o);
// Parses an option area (the bytes between the fixed header and the data)
// exactly as Linux tcp_parse_options does; never reads outside `b`.
TcpOptions TcpParseOptions(std::span<const std::byte> b);

class TcpView {
 public:
  TcpView() = default;
  // Valid when the fixed header fits, the data offset is at least 5 words
  // (else kBadLength) and the header it claims fits in the bytes given (else
  // kTruncated). TCP has no length field: the view covers all of `b`, which
  // the IP layer has already trimmed to the datagram's total length.
  static ParseResult<TcpView> Parse(std::span<const std::byte> b) {
    if (b.size() < kTcpMinHeaderLen) return ParseError::kTruncated;
    const size_t hlen = (size_t{Load8(b.data() + 12)} >> 4) * 4;
    if (hlen < kTcpMinHeaderLen) return ParseError::kBadLength;
    if (hlen > b.size()) return ParseError::kTruncated;
    return TcpView(b);
  }

  Port src_port() const { return Port(LoadBe16(b_.data())); }
  Port dst_port() const { return Port(LoadBe16(b_.data() + 2)); }
  SeqNum seq() const { return SeqNum(LoadBe32(b_.data() + 4)); }
  SeqNum ack() const { return SeqNum(LoadBe32(b_.data() + 8)); }
  size_t header_len() const { return (size_t{Load8(b_.data() + 12)} >> 4) * 4; }
  // The four bits between the data offset and the flags (reserved; AccECN
  // uses the lowest, formerly NS).
  uint8_t reserved() const { return Load8(b_.data() + 12) & 0x0f; }
  uint8_t flags() const { return Load8(b_.data() + 13); }
  bool fin() const { return (flags() & kTcpFin) != 0; }
  bool syn() const { return (flags() & kTcpSyn) != 0; }
  bool rst() const { return (flags() & kTcpRst) != 0; }
  bool psh() const { return (flags() & kTcpPsh) != 0; }
  bool ack_flag() const { return (flags() & kTcpAck) != 0; }
  bool urg() const { return (flags() & kTcpUrg) != 0; }
  bool ece() const { return (flags() & kTcpEce) != 0; }
  bool cwr() const { return (flags() & kTcpCwr) != 0; }
  uint16_t window() const { return LoadBe16(b_.data() + 14); }  // unscaled
  uint16_t checksum() const { return LoadBe16(b_.data() + 16); }
  uint16_t urgent() const { return LoadBe16(b_.data() + 18); }
  std::span<const std::byte> options() const {
    return b_.subspan(kTcpMinHeaderLen, header_len() - kTcpMinHeaderLen);
  }
  std::span<const std::byte> header() const { return b_.first(header_len()); }
  std::span<const std::byte> payload() const { return b_.subspan(header_len()); }
  std::span<const std::byte> bytes() const { return b_; }

  // Over the pseudo-header and the whole segment (RFC 9293 3.1).
  bool ChecksumValid(Ipv4Addr src, Ipv4Addr dst) const {
    const uint32_t s = PseudoHeaderSum(src, dst, kIpProtoTcp, static_cast<uint16_t>(b_.size()));
    return CsumFold(CsumPartial(b_.data(), b_.size(), s)) == 0;
  }
  TcpOptions ParseOptions() const { return TcpParseOptions(options()); }

 private:
  explicit TcpView(std::span<const std::byte> b) : b_(b) {}
  std::span<const std::byte> b_;
};

struct TcpRepr {
  Port src_port{};
  Port dst_port{};
  SeqNum seq{};
  SeqNum ack{};
  uint8_t flags = 0;
  uint16_t window = 0;  // as carried: the caller scales (and never in a SYN)
  uint16_t urgent = 0;
  TcpOptions opts{};

  static TcpRepr Parse(const TcpView& v) {
    return {v.src_port(), v.dst_port(), v.seq(),    v.ack(),
            v.flags(),    v.window(),   v.urgent(), v.ParseOptions()};
  }
  size_t OptionsLen() const { return TcpOptionsLen(opts); }
  size_t HeaderLen() const { return kTcpMinHeaderLen + OptionsLen(); }
  // Writes HeaderLen() bytes at p: the header with a zero checksum field,
  // then the options. The options must fit in 40 bytes (Linux sizes the
  // SACK blocks to the space left: tcp_established_options).
  void Emit(std::byte* p) const;
  friend bool operator==(const TcpRepr&, const TcpRepr&) = default;
};

// Fills the checksum of the `len`-byte segment (header + data) at p, whose
// checksum field may hold anything (Linux tcp_v4_check over the segment).
inline void TcpFillChecksum(std::byte* segment, size_t len, Ipv4Addr src, Ipv4Addr dst) {
  USNET_DCHECK(len >= kTcpMinHeaderLen && len <= 0xffff);
  StoreCsum(segment + 16, 0);
  const uint32_t s = PseudoHeaderSum(src, dst, kIpProtoTcp, static_cast<uint16_t>(len));
  StoreCsum(segment + 16, CsumFold(CsumPartial(segment, len, s)));
}

// Stores the folded, uncomplemented pseudo-header sum for a device that
// finishes the checksum over the segment (CHECKSUM_PARTIAL; csum_start = the
// TCP header, csum_offset = 16). Linux __tcp_v4_send_check:
// th->check = ~tcp_v4_check(skb->len, saddr, daddr, 0).
inline void TcpPartialChecksum(std::byte* segment, size_t len, Ipv4Addr src, Ipv4Addr dst) {
  USNET_DCHECK(len >= kTcpMinHeaderLen && len <= 0xffff);
  const uint32_t s = PseudoHeaderSum(src, dst, kIpProtoTcp, static_cast<uint16_t>(len));
  StoreCsum(segment + 16, static_cast<uint16_t>(~CsumFold(s)));
}

}  // namespace usnet
