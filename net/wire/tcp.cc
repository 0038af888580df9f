#include "net/wire/tcp.h"

#include <algorithm>

namespace usnet {

bool operator==(const TcpOptions& a, const TcpOptions& b) {
  return a.mss == b.mss && a.wscale == b.wscale && a.sack_permitted == b.sack_permitted &&
         a.has_timestamp == b.has_timestamp && a.tsval == b.tsval && a.tsecr == b.tsecr &&
         a.num_sack == b.num_sack && std::ranges::equal(a.sack_blocks(), b.sack_blocks());
}

namespace {

// One 32-bit option word, as Linux writes them: *ptr++ = htonl(...).
std::byte* Word(std::byte* p, uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  StoreBe32(p, (uint32_t{a} << 24) | (uint32_t{b} << 16) | (uint32_t{c} << 8) | d);
  return p + 4;
}

}  // namespace

size_t TcpOptionsLen(const TcpOptions& o) {
  size_t n = 0;
  if (o.mss) n += 4;
  if (o.has_timestamp) n += 12;                      // SACK_PERM rides in its padding
  if (o.sack_permitted && !o.has_timestamp) n += 4;  // NOP NOP SACK_PERM
  if (o.wscale) n += 4;                              // NOP WS
  if (o.num_sack != 0) n += 4 + size_t{kTcpOptLenSackPerBlock} * o.num_sack;
  return n;
}

// Linux tcp_options_write: the order and padding below are what Linux puts
// on the wire (its comment warns that middleboxes depend on this order, and
// packetdrill scripts compare the bytes):
//   MSS                               02 04 mm mm
//   timestamps with SACK-permitted    04 02 08 0a <tsval> <tsecr>
//   timestamps alone                  01 01 08 0a <tsval> <tsecr>
//   SACK-permitted alone              01 01 04 02
//   window scale                      01 03 03 ss
//   SACK blocks                       01 01 05 <2+8n> <start end>...
// So a Linux SYN with everything is 20 bytes: mss, sackOK, TS, nop, wscale.
void TcpWriteOptions(std::byte* p, const TcpOptions& o) {
  if (o.mss) {
    p = Word(p, kTcpOptMss, kTcpOptLenMss, static_cast<uint8_t>(*o.mss >> 8),
             static_cast<uint8_t>(*o.mss & 0xff));
  }
  if (o.has_timestamp) {
    p = o.sack_permitted
            ? Word(p, kTcpOptSackPerm, kTcpOptLenSackPerm, kTcpOptTimestamp, kTcpOptLenTimestamp)
            : Word(p, kTcpOptNop, kTcpOptNop, kTcpOptTimestamp, kTcpOptLenTimestamp);
    StoreBe32(p, o.tsval);
    StoreBe32(p + 4, o.tsecr);
    p += 8;
  } else if (o.sack_permitted) {
    p = Word(p, kTcpOptNop, kTcpOptNop, kTcpOptSackPerm, kTcpOptLenSackPerm);
  }
  if (o.wscale) p = Word(p, kTcpOptNop, kTcpOptWindow, kTcpOptLenWindow, *o.wscale);
  if (o.num_sack != 0) {
    const auto len = static_cast<uint8_t>(kTcpOptLenSackBase + kTcpOptLenSackPerBlock * o.num_sack);
    p = Word(p, kTcpOptNop, kTcpOptNop, kTcpOptSack, len);
    for (const SackBlock& b : o.sack_blocks()) {
      StoreBe32(p, b.start.value());
      StoreBe32(p + 4, b.end.value());
      p += 8;
    }
  }
}

// Linux tcp_parse_options, option by option:
// - EOL ends the list; NOP is one byte of padding.
// - Any other kind needs a length byte: a kind in the last byte, a length
//   below 2 ("silly options") or one running past the end stops parsing,
//   keeping what was already parsed.
// - A known kind with the wrong length is skipped by its length, as is an
//   unknown kind. A repeated option overwrites the earlier one.
// - MSS counts only with length 4 and a nonzero value (Linux: `if (in_mss)`);
//   window scale only with length 3, a shift above 14 read as 14 (Linux logs
//   "Illegal window scaling value"); SACK-permitted only with length 2;
//   timestamps only with length 10; SACK only with length 2 + 8n, n >= 1.
TcpOptions TcpParseOptions(std::span<const std::byte> b) {
  TcpOptions o;
  size_t i = 0;
  while (i < b.size()) {
    const uint8_t kind = Load8(&b[i]);
    if (kind == kTcpOptEol) break;
    if (kind == kTcpOptNop) {
      ++i;
      continue;
    }
    if (b.size() - i < 2) break;
    const size_t len = Load8(&b[i + 1]);
    if (len < 2 || len > b.size() - i) break;
    const std::byte* v = &b[i + 2];
    switch (kind) {
      case kTcpOptMss:
        if (len == kTcpOptLenMss && LoadBe16(v) != 0) o.mss = LoadBe16(v);
        break;
      case kTcpOptWindow:
        if (len == kTcpOptLenWindow) o.wscale = std::min(Load8(v), kTcpMaxWscale);
        break;
      case kTcpOptSackPerm:
        if (len == kTcpOptLenSackPerm) o.sack_permitted = true;
        break;
      case kTcpOptTimestamp:
        if (len == kTcpOptLenTimestamp) {
          o.has_timestamp = true;
          o.tsval = LoadBe32(v);
          o.tsecr = LoadBe32(v + 4);
        }
        break;
      case kTcpOptSack:
        // Linux records where the last well-formed SACK option is and
        // tcp_sacktag_write_queue reads min(4, (len - 2) / 8) blocks from it.
        if (len >= kTcpOptLenSackBase + kTcpOptLenSackPerBlock &&
            (len - kTcpOptLenSackBase) % kTcpOptLenSackPerBlock == 0) {
          const size_t n =
              std::min((len - kTcpOptLenSackBase) / kTcpOptLenSackPerBlock, kTcpMaxSackBlocks);
          o.sack = {};
          o.num_sack = static_cast<uint8_t>(n);
          for (size_t k = 0; k < n; ++k) {
            o.sack[k] = {SeqNum(LoadBe32(v + 8 * k)), SeqNum(LoadBe32(v + 8 * k + 4))};
          }
        }
        break;
      default:
        break;  // unknown: skipped by its length
    }
    i += len;
  }
  return o;
}

void TcpRepr::Emit(std::byte* p) const {
  const size_t olen = OptionsLen();
  USNET_CHECK(opts.num_sack <= kTcpMaxSackBlocks && olen <= kTcpMaxOptionsLen);
  const size_t hlen = kTcpMinHeaderLen + olen;
  StoreBe16(p, src_port.value());
  StoreBe16(p + 2, dst_port.value());
  StoreBe32(p + 4, seq.value());
  StoreBe32(p + 8, ack.value());
  Store8(p + 12, static_cast<uint8_t>((hlen / 4) << 4));
  Store8(p + 13, flags);
  StoreBe16(p + 14, window);
  StoreCsum(p + 16, 0);
  StoreBe16(p + 18, urgent);
  TcpWriteOptions(p + kTcpMinHeaderLen, opts);
}

}  // namespace usnet
