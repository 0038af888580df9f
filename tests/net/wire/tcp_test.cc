#include "net/wire/tcp.h"

#include <cstdint>
#include <initializer_list>
#include <ostream>
#include <random>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "tests/support/bytes.h"

namespace usnet {

// Readable failure messages (internal linkage: other tests may print these too).
[[maybe_unused]] static void PrintTo(const TcpOptions& o, std::ostream* os) {
  *os << "{mss " << (o.mss ? std::to_string(*o.mss) : "-") << " ws "
      << (o.wscale ? std::to_string(*o.wscale) : "-") << " sackOK " << o.sack_permitted;
  if (o.has_timestamp) *os << " TS " << o.tsval << "/" << o.tsecr;
  for (const SackBlock& b : o.sack_blocks())
    *os << " sack " << b.start.value() << ":" << b.end.value();
  *os << "}";
}
[[maybe_unused]] static void PrintTo(const TcpRepr& r, std::ostream* os) {
  *os << "{" << r.src_port.value() << "->" << r.dst_port.value() << " seq " << r.seq.value()
      << " ack " << r.ack.value() << " flags 0x" << std::hex << int{r.flags} << std::dec << " win "
      << r.window << " urg " << r.urgent << " opts ";
  PrintTo(r.opts, os);
  *os << "}";
}

namespace {

using testing::Bytes;
using testing::BytesOf;
using testing::Concat;
using testing::Hex;
using testing::Prefix;

constexpr Ipv4Addr kA = Ipv4Addr::FromOctets(10, 0, 0, 1);  // the client
constexpr Ipv4Addr kB = Ipv4Addr::FromOctets(10, 0, 0, 2);  // the server
constexpr uint32_t kIsnA = 0xd3a1c2b5;
constexpr uint32_t kIsnB = 0x7a6b5c4d;

// Every segment below was built and checksummed with python3 (RFC 1071 over
// the pseudo-header 0a000001 0a000002 0006 <len> and the segment); the
// option bytes are what Linux tcp_options_write produces.

// A Linux SYN, 10.0.0.1:40000 -> 10.0.0.2:80, window 64240, with what
// tcpdump shows as [mss 1460,sackOK,TS val 1234567 ecr 0,nop,wscale 7].
const std::vector<std::byte> kSyn = Bytes({
    0x9c, 0x40, 0x00, 0x50,  // ports 40000 -> 80
    0xd3, 0xa1, 0xc2, 0xb5,  // seq
    0x00, 0x00, 0x00, 0x00,  // ack
    0xa0, 0x02, 0xfa, 0xf0,  // doff 10, SYN, window 64240
    0x2f, 0x8b, 0x00, 0x00,  // checksum, urgent
    0x02, 0x04, 0x05, 0xb4,  // MSS 1460
    0x04, 0x02, 0x08, 0x0a,  // SACK_PERM, TIMESTAMP
    0x00, 0x12, 0xd6, 0x87,  // TSval 1234567
    0x00, 0x00, 0x00, 0x00,  // TSecr 0
    0x01, 0x03, 0x03, 0x07,  // NOP, WS 7
});

// The SYN-ACK: 10.0.0.2:80 -> 10.0.0.1:40000, window 65160, [mss 1460,
// sackOK,TS val 1049561617 ecr 1234567,nop,wscale 7].
const std::vector<std::byte> kSynAck = Bytes({
    0x00, 0x50, 0x9c, 0x40, 0x7a, 0x6b, 0x5c, 0x4d, 0xd3, 0xa1, 0xc2, 0xb6,  //
    0xa0, 0x12, 0xfe, 0x88, 0x0c, 0x89, 0x00, 0x00,                          //
    0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a, 0x3e, 0x8f, 0x0a, 0x11,  //
    0x00, 0x12, 0xd6, 0x87, 0x01, 0x03, 0x03, 0x07,
});

// The SYN-ACK Linux sends when the SYN had no timestamps: [mss 1460,nop,nop,
// sackOK,nop,wscale 7], window 64240, doff 8.
const std::vector<std::byte> kSynAckNoTs = Bytes({
    0x00, 0x50, 0x9c, 0x40, 0x7a, 0x6b, 0x5c, 0x4d, 0xd3, 0xa1, 0xc2, 0xb6,  //
    0x80, 0x12, 0xfa, 0xf0, 0x56, 0x6c, 0x00, 0x00,                          //
    0x02, 0x04, 0x05, 0xb4, 0x01, 0x01, 0x04, 0x02, 0x01, 0x03, 0x03, 0x07,
});

// The third ACK: window 502, [nop,nop,TS val 1234571 ecr 1049561617].
const std::vector<std::byte> kPureAck = Bytes({
    0x9c, 0x40, 0x00, 0x50, 0xd3, 0xa1, 0xc2, 0xb6, 0x7a, 0x6b, 0x5c, 0x4e,  //
    0x80, 0x10, 0x01, 0xf6, 0x37, 0xe4, 0x00, 0x00,                          //
    0x01, 0x01, 0x08, 0x0a, 0x00, 0x12, 0xd6, 0x8b, 0x3e, 0x8f, 0x0a, 0x11,
});

// A duplicate ACK from the server with timestamps and two SACK blocks:
// [nop,nop,TS val 1049561637 ecr 1234585,nop,nop,sack 2 {1449:2897}
// {4345:5793}] (relative to ack = kIsnA + 1), window 509, doff 13.
const std::vector<std::byte> kSackAck = Bytes({
    0x00, 0x50, 0x9c, 0x40, 0x7a, 0x6b, 0x5c, 0x4e, 0xd3, 0xa1, 0xc2, 0xb6,  //
    0xd0, 0x10, 0x01, 0xfd, 0x4f, 0xa1, 0x00, 0x00,                          //
    0x01, 0x01, 0x08, 0x0a, 0x3e, 0x8f, 0x0a, 0x25, 0x00, 0x12, 0xd6, 0x99,  // TS
    0x01, 0x01, 0x05, 0x12,                                                  // SACK, len 18
    0xd3, 0xa1, 0xc8, 0x5e, 0xd3, 0xa1, 0xce, 0x06,                          // block 1
    0xd3, 0xa1, 0xd3, 0xae, 0xd3, 0xa1, 0xd9, 0x56,                          // block 2
});

// PSH|ACK carrying "hello" with timestamps: 37 bytes, checksum 0xf403.
const std::vector<std::byte> kData = Bytes({
    0x9c, 0x40, 0x00, 0x50, 0xd3, 0xa1, 0xc2, 0xb6, 0x7a, 0x6b, 0x5c, 0x4e,  //
    0x80, 0x18, 0x01, 0xf6, 0xf4, 0x03, 0x00, 0x00,                          //
    0x01, 0x01, 0x08, 0x0a, 0x00, 0x12, 0xd6, 0x8c, 0x3e, 0x8f, 0x0a, 0x11,  //
    0x68, 0x65, 0x6c, 0x6c, 0x6f,
});

// A 20-byte header (ports 1 -> 2, ACK, window 1000, checksum not filled)
// with `opts` as its option area: doff grows to cover them (a multiple of 4
// bytes is the caller's job). Exactly header-sized, so a parser reading past
// the options reads past the heap block.
std::vector<std::byte> WithOptions(std::initializer_list<uint8_t> opts) {
  std::vector<std::byte> seg = Bytes({0x00, 0x01, 0x00, 0x02, 0, 0, 0, 1, 0, 0, 0, 2,  //
                                      0x50, 0x10, 0x03, 0xe8, 0, 0, 0, 0});
  for (uint8_t b : opts) seg.push_back(static_cast<std::byte>(b));
  EXPECT_EQ(opts.size() % 4, 0u) << "options must fill whole words";
  seg[12] = static_cast<std::byte>((seg.size() / 4) << 4);
  return Prefix(seg, seg.size());  // push_back left spare capacity ASan would not see
}

TcpOptions ParseOptionsOf(const std::vector<std::byte>& seg) {
  auto th = TcpView::Parse(seg);
  EXPECT_TRUE(th.ok()) << ParseErrorName(th.error());
  return th.ok() ? th->ParseOptions() : TcpOptions{};
}

// Emits r into a buffer of exactly HeaderLen() bytes followed by payload,
// then fills the checksum.
std::vector<std::byte> Build(const TcpRepr& r, std::span<const std::byte> payload, Ipv4Addr src,
                             Ipv4Addr dst) {
  std::vector<std::byte> out(r.HeaderLen(), std::byte{0xee});
  out = Concat(out, payload);
  r.Emit(out.data());
  TcpFillChecksum(out.data(), out.size(), src, dst);
  return out;
}

TcpRepr SynRepr() {
  return TcpRepr{.src_port = Port(40000),
                 .dst_port = Port(80),
                 .seq = SeqNum(kIsnA),
                 .ack = SeqNum(0),
                 .flags = kTcpSyn,
                 .window = 64240,
                 .opts = {.mss = 1460,
                          .wscale = 7,
                          .sack_permitted = true,
                          .has_timestamp = true,
                          .tsval = 1234567,
                          .tsecr = 0}};
}

// --- Parsing whole segments ------------------------------------------------

TEST(TcpWire, ParsesLinuxSynEveryField) {
  auto th = TcpView::Parse(kSyn);
  ASSERT_TRUE(th.ok()) << ParseErrorName(th.error());
  EXPECT_EQ(th->src_port(), Port(40000));
  EXPECT_EQ(th->dst_port(), Port(80));
  EXPECT_EQ(th->seq(), SeqNum(kIsnA));
  EXPECT_EQ(th->ack(), SeqNum(0));
  EXPECT_EQ(th->header_len(), 40u);
  EXPECT_EQ(th->reserved(), 0);
  EXPECT_EQ(th->flags(), kTcpSyn);
  EXPECT_TRUE(th->syn());
  EXPECT_FALSE(th->ack_flag());
  EXPECT_FALSE(th->fin());
  EXPECT_FALSE(th->rst());
  EXPECT_FALSE(th->psh());
  EXPECT_FALSE(th->urg());
  EXPECT_FALSE(th->ece());
  EXPECT_FALSE(th->cwr());
  EXPECT_EQ(th->window(), 64240);
  EXPECT_EQ(th->checksum(), 0x2f8b);
  EXPECT_EQ(th->urgent(), 0);
  EXPECT_EQ(th->options().data(), kSyn.data() + 20);
  EXPECT_EQ(th->options().size(), 20u);
  EXPECT_EQ(th->header().size(), 40u);
  EXPECT_EQ(th->payload().data(), kSyn.data() + 40);
  EXPECT_TRUE(th->payload().empty());
  EXPECT_EQ(th->bytes().size(), kSyn.size());
  EXPECT_TRUE(th->ChecksumValid(kA, kB));

  const TcpOptions o = th->ParseOptions();
  EXPECT_EQ(o.mss, 1460);
  EXPECT_EQ(o.wscale, 7);
  EXPECT_TRUE(o.sack_permitted);
  EXPECT_TRUE(o.has_timestamp);
  EXPECT_EQ(o.tsval, 1234567u);
  EXPECT_EQ(o.tsecr, 0u);
  EXPECT_EQ(o.num_sack, 0);
  EXPECT_EQ(TcpRepr::Parse(*th), SynRepr());
}

TEST(TcpWire, EmitLinuxSynMatchesLiteral) {
  const TcpRepr r = SynRepr();
  EXPECT_EQ(r.OptionsLen(), 20u);
  EXPECT_EQ(r.HeaderLen(), 40u);
  std::vector<std::byte> out(r.HeaderLen(), std::byte{0xee});
  r.Emit(out.data());
  EXPECT_EQ(LoadCsum(out.data() + 16), 0);  // Emit leaves the checksum 0
  TcpFillChecksum(out.data(), out.size(), kA, kB);
  EXPECT_EQ(Hex(out), Hex(kSyn));
}

TEST(TcpWire, SynAckRoundTrips) {
  auto th = TcpView::Parse(kSynAck);
  ASSERT_TRUE(th.ok());
  EXPECT_TRUE(th->syn());
  EXPECT_TRUE(th->ack_flag());
  EXPECT_TRUE(th->ChecksumValid(kB, kA));
  const TcpRepr want{.src_port = Port(80),
                     .dst_port = Port(40000),
                     .seq = SeqNum(kIsnB),
                     .ack = SeqNum(kIsnA + 1),
                     .flags = kTcpSyn | kTcpAck,
                     .window = 65160,
                     .opts = {.mss = 1460,
                              .wscale = 7,
                              .sack_permitted = true,
                              .has_timestamp = true,
                              .tsval = 0x3e8f0a11,
                              .tsecr = 1234567}};
  EXPECT_EQ(TcpRepr::Parse(*th), want);
  EXPECT_EQ(Hex(Build(want, {}, kB, kA)), Hex(kSynAck));
}

TEST(TcpWire, SynAckWithoutTimestampsPadsSackPermWithNops) {
  auto th = TcpView::Parse(kSynAckNoTs);
  ASSERT_TRUE(th.ok());
  EXPECT_EQ(th->header_len(), 32u);
  EXPECT_TRUE(th->ChecksumValid(kB, kA));
  const TcpRepr want{.src_port = Port(80),
                     .dst_port = Port(40000),
                     .seq = SeqNum(kIsnB),
                     .ack = SeqNum(kIsnA + 1),
                     .flags = kTcpSyn | kTcpAck,
                     .window = 64240,
                     .opts = {.mss = 1460, .wscale = 7, .sack_permitted = true}};
  EXPECT_EQ(TcpRepr::Parse(*th), want);
  EXPECT_EQ(want.OptionsLen(), 12u);
  EXPECT_EQ(Hex(Build(want, {}, kB, kA)), Hex(kSynAckNoTs));
}

TEST(TcpWire, PureAckWithTimestamps) {
  auto th = TcpView::Parse(kPureAck);
  ASSERT_TRUE(th.ok());
  EXPECT_EQ(th->flags(), kTcpAck);
  EXPECT_EQ(th->header_len(), 32u);
  EXPECT_TRUE(th->payload().empty());
  EXPECT_TRUE(th->ChecksumValid(kA, kB));
  const TcpRepr want{.src_port = Port(40000),
                     .dst_port = Port(80),
                     .seq = SeqNum(kIsnA + 1),
                     .ack = SeqNum(kIsnB + 1),
                     .flags = kTcpAck,
                     .window = 502,
                     .opts = {.has_timestamp = true, .tsval = 1234571, .tsecr = 0x3e8f0a11}};
  EXPECT_EQ(TcpRepr::Parse(*th), want);
  EXPECT_EQ(Hex(Build(want, {}, kA, kB)), Hex(kPureAck));
}

TEST(TcpWire, AckWithTimestampsAndTwoSackBlocks) {
  auto th = TcpView::Parse(kSackAck);
  ASSERT_TRUE(th.ok());
  EXPECT_EQ(th->header_len(), 52u);
  EXPECT_TRUE(th->ChecksumValid(kB, kA));
  const SeqNum una(kIsnA + 1);
  TcpRepr want{.src_port = Port(80),
               .dst_port = Port(40000),
               .seq = SeqNum(kIsnB + 1),
               .ack = una,
               .flags = kTcpAck,
               .window = 509,
               .opts = {.has_timestamp = true, .tsval = 0x3e8f0a25, .tsecr = 1234585}};
  want.opts.num_sack = 2;
  want.opts.sack[0] = {una + 1448, una + 2896};
  want.opts.sack[1] = {una + 4344, una + 5792};
  const TcpOptions got = th->ParseOptions();
  ASSERT_EQ(got.num_sack, 2);
  EXPECT_EQ(got.sack[0], want.opts.sack[0]);
  EXPECT_EQ(got.sack[1], want.opts.sack[1]);
  EXPECT_EQ(TcpRepr::Parse(*th), want);
  EXPECT_EQ(want.OptionsLen(), 32u);
  EXPECT_EQ(Hex(Build(want, {}, kB, kA)), Hex(kSackAck));
}

TEST(TcpWire, SackBlocksOneToFourWithoutTimestamps) {
  // Block k is {0x1000k000, 0x1000k800}; Linux writes NOP NOP SACK <2+8n>.
  const std::vector<std::vector<std::byte>> want_opts = {
      Bytes({0x01, 0x01, 0x05, 0x0a, 0x10, 0x00, 0x00, 0x00, 0x10, 0x00, 0x08, 0x00}),
      Bytes({0x01, 0x01, 0x05, 0x12, 0x10, 0x00, 0x00, 0x00, 0x10, 0x00, 0x08, 0x00,  //
             0x10, 0x00, 0x10, 0x00, 0x10, 0x00, 0x18, 0x00}),
      Bytes({0x01, 0x01, 0x05, 0x1a, 0x10, 0x00, 0x00, 0x00, 0x10, 0x00, 0x08, 0x00,  //
             0x10, 0x00, 0x10, 0x00, 0x10, 0x00, 0x18, 0x00,                          //
             0x10, 0x00, 0x20, 0x00, 0x10, 0x00, 0x28, 0x00}),
      Bytes({0x01, 0x01, 0x05, 0x22, 0x10, 0x00, 0x00, 0x00, 0x10, 0x00, 0x08, 0x00,  //
             0x10, 0x00, 0x10, 0x00, 0x10, 0x00, 0x18, 0x00,                          //
             0x10, 0x00, 0x20, 0x00, 0x10, 0x00, 0x28, 0x00,                          //
             0x10, 0x00, 0x30, 0x00, 0x10, 0x00, 0x38, 0x00}),
  };
  for (uint8_t n = 1; n <= 4; ++n) {
    TcpRepr r{.src_port = Port(1), .dst_port = Port(2), .flags = kTcpAck, .window = 1000};
    r.opts.num_sack = n;
    for (uint8_t k = 0; k < n; ++k) {
      r.opts.sack[k] = {SeqNum(0x10000000u + k * 0x1000u), SeqNum(0x10000800u + k * 0x1000u)};
    }
    ASSERT_EQ(r.OptionsLen(), 4u + 8u * n);
    std::vector<std::byte> out(r.HeaderLen());
    r.Emit(out.data());
    EXPECT_EQ(static_cast<uint8_t>(out[12]) >> 4, (20 + 4 + 8 * n) / 4) << n << " blocks";
    EXPECT_EQ(Hex(std::span(out).subspan(20)), Hex(want_opts[n - 1])) << n << " blocks";
    auto th = TcpView::Parse(out);
    ASSERT_TRUE(th.ok());
    EXPECT_EQ(TcpRepr::Parse(*th), r) << n << " blocks";
  }
}

TEST(TcpWire, ThreeSackBlocksWithTimestampsFillTheOptionSpace) {
  TcpRepr r{.src_port = Port(1), .dst_port = Port(2), .flags = kTcpAck, .window = 1000};
  r.opts.has_timestamp = true;
  r.opts.tsval = 7;
  r.opts.tsecr = 9;
  r.opts.num_sack = 3;
  for (uint8_t k = 0; k < 3; ++k) r.opts.sack[k] = {SeqNum(100u * k), SeqNum(100u * k + 50)};
  EXPECT_EQ(r.OptionsLen(), kTcpMaxOptionsLen);
  EXPECT_EQ(r.HeaderLen(), kTcpMaxHeaderLen);
  std::vector<std::byte> out(r.HeaderLen());
  r.Emit(out.data());
  EXPECT_EQ(Hex(std::span(out).subspan(20, 16)), "01 01 08 0a 00 00 00 07 00 00 00 09 01 01 05 1a");
  auto th = TcpView::Parse(out);
  ASSERT_TRUE(th.ok());
  EXPECT_EQ(th->header_len(), 60u);
  EXPECT_EQ(TcpRepr::Parse(*th), r);
}

TEST(TcpWire, OptionLayoutFollowsTcpOptionsWrite) {
  struct Case {
    TcpOptions opts;
    const char* hex;
  };
  const Case cases[] = {
      {{}, ""},
      {{.mss = 536}, "02 04 02 18"},
      {{.wscale = 0}, "01 03 03 00"},
      {{.sack_permitted = true}, "01 01 04 02"},
      {{.has_timestamp = true, .tsval = 1, .tsecr = 2}, "01 01 08 0a 00 00 00 01 00 00 00 02"},
      {{.sack_permitted = true, .has_timestamp = true, .tsval = 1, .tsecr = 2},
       "04 02 08 0a 00 00 00 01 00 00 00 02"},
      {{.mss = 1460, .wscale = 14, .sack_permitted = true}, "02 04 05 b4 01 01 04 02 01 03 03 0e"},
      {{.mss = 1460, .wscale = 7, .has_timestamp = true, .tsval = 1, .tsecr = 0},
       "02 04 05 b4 01 01 08 0a 00 00 00 01 00 00 00 00\n01 03 03 07"},
  };
  for (const Case& c : cases) {
    std::vector<std::byte> out(TcpOptionsLen(c.opts), std::byte{0xee});
    TcpWriteOptions(out.data(), c.opts);
    EXPECT_EQ(Hex(out), c.hex);
    EXPECT_EQ(TcpParseOptions(out), c.opts) << c.hex;
  }
}

TEST(TcpWire, HeaderWithoutOptions) {
  const TcpRepr r{.src_port = Port(80),
                  .dst_port = Port(40000),
                  .seq = SeqNum(5),
                  .ack = SeqNum(0xffffffff),
                  .flags = kTcpRst | kTcpAck,
                  .window = 0,
                  .urgent = 0x1234};
  EXPECT_EQ(r.HeaderLen(), kTcpMinHeaderLen);
  std::vector<std::byte> out(r.HeaderLen(), std::byte{0xee});
  r.Emit(out.data());
  EXPECT_EQ(Hex(out), "00 50 9c 40 00 00 00 05 ff ff ff ff 50 14 00 00\n00 00 12 34");
  auto th = TcpView::Parse(out);
  ASSERT_TRUE(th.ok());
  EXPECT_TRUE(th->options().empty());
  EXPECT_EQ(th->ParseOptions(), TcpOptions{});
  EXPECT_EQ(TcpRepr::Parse(*th), r);
}

TEST(TcpWire, EachFlagBitHasItsGetter) {
  const std::pair<uint8_t, bool (TcpView::*)() const> bits[] = {
      {kTcpFin, &TcpView::fin}, {kTcpSyn, &TcpView::syn},      {kTcpRst, &TcpView::rst},
      {kTcpPsh, &TcpView::psh}, {kTcpAck, &TcpView::ack_flag}, {kTcpUrg, &TcpView::urg},
      {kTcpEce, &TcpView::ece}, {kTcpCwr, &TcpView::cwr},
  };
  for (const auto& [bit, getter] : bits) {
    std::vector<std::byte> seg = WithOptions({});
    seg[13] = static_cast<std::byte>(bit);
    auto th = TcpView::Parse(seg);
    ASSERT_TRUE(th.ok());
    EXPECT_EQ(th->flags(), bit);
    for (const auto& [other, other_getter] : bits) {
      EXPECT_EQ(((*th).*other_getter)(), other == bit) << int{bit} << " vs " << int{other};
    }
  }
}

TEST(TcpWire, ReservedBitsAreNotFlags) {
  std::vector<std::byte> seg = WithOptions({});
  seg[12] = std::byte{0x5f};  // doff 5, all four reserved bits set
  auto th = TcpView::Parse(seg);
  ASSERT_TRUE(th.ok());
  EXPECT_EQ(th->header_len(), 20u);
  EXPECT_EQ(th->reserved(), 0x0f);
  EXPECT_EQ(th->flags(), kTcpAck);
}

// --- Length checks --------------------------------------------------------

TEST(TcpWire, EveryTruncationIsRefused) {
  for (const std::vector<std::byte>* seg : {&kSyn, &kSynAck, &kSynAckNoTs, &kPureAck, &kSackAck}) {
    for (size_t n = 0; n < seg->size(); ++n) {
      const std::vector<std::byte> cut = Prefix(*seg, n);  // exact size
      EXPECT_EQ(TcpView::Parse(cut).error(), ParseError::kTruncated) << "length " << n;
    }
    EXPECT_TRUE(TcpView::Parse(Prefix(*seg, seg->size())).ok());
  }
  // With data the header is all that must be there; the view covers the rest.
  for (size_t n = 0; n < 32; ++n) EXPECT_FALSE(TcpView::Parse(Prefix(kData, n)).ok());
  for (size_t n = 32; n <= kData.size(); ++n) {
    const std::vector<std::byte> cut = Prefix(kData, n);
    auto th = TcpView::Parse(cut);
    ASSERT_TRUE(th.ok()) << "length " << n;
    EXPECT_EQ(th->payload().size(), n - 32);
  }
}

TEST(TcpWire, DataOffsetBelowFiveIsBadLength) {
  for (uint8_t doff = 0; doff < 5; ++doff) {
    std::vector<std::byte> seg = kSyn;
    seg[12] = static_cast<std::byte>(doff << 4);
    EXPECT_EQ(TcpView::Parse(seg).error(), ParseError::kBadLength) << "doff " << int{doff};
  }
}

TEST(TcpWire, DataOffsetBeyondTheBytesIsTruncated) {
  for (uint8_t doff = 11; doff <= 15; ++doff) {
    std::vector<std::byte> seg = kSyn;  // 40 bytes
    seg[12] = static_cast<std::byte>(doff << 4);
    EXPECT_EQ(TcpView::Parse(seg).error(), ParseError::kTruncated) << "doff " << int{doff};
  }
  std::vector<std::byte> seg = kSyn;
  seg[12] = std::byte{0x90};  // doff 9: the last option word becomes payload
  auto th = TcpView::Parse(seg);
  ASSERT_TRUE(th.ok());
  EXPECT_EQ(th->payload().size(), 4u);
  EXPECT_FALSE(th->ParseOptions().wscale.has_value());
}

// --- Options as Linux tcp_parse_options reads them -------------------------

TEST(TcpWire, EolEndsTheOptions) {
  const TcpOptions o =
      ParseOptionsOf(WithOptions({0x00, 0x02, 0x04, 0x05, 0xb4, 0x00, 0x00, 0x00}));
  EXPECT_EQ(o, TcpOptions{});
  const TcpOptions o2 =
      ParseOptionsOf(WithOptions({0x02, 0x04, 0x05, 0xb4, 0x00, 0x03, 0x03, 0x07}));
  EXPECT_EQ(o2, TcpOptions{.mss = 1460});
}

TEST(TcpWire, NopsArePadding) {
  EXPECT_EQ(ParseOptionsOf(WithOptions({0x01, 0x01, 0x01, 0x01})), TcpOptions{});
  EXPECT_EQ(ParseOptionsOf(WithOptions({0x01, 0x01, 0x01, 0x02, 0x04, 0x02, 0x18, 0x01})),
            TcpOptions{.mss = 536});
}

TEST(TcpWire, LengthZeroStopsParsingKeepingEarlierOptions) {
  // MSS, then kind 99 with length 0 (Linux: "silly options", return), then a
  // window scale that is never reached.
  const TcpOptions o = ParseOptionsOf(
      WithOptions({0x02, 0x04, 0x05, 0xb4, 0x63, 0x00, 0x01, 0x01, 0x01, 0x03, 0x03, 0x07}));
  EXPECT_EQ(o, TcpOptions{.mss = 1460});
}

TEST(TcpWire, LengthOneStopsParsingKeepingEarlierOptions) {
  const TcpOptions o = ParseOptionsOf(
      WithOptions({0x01, 0x03, 0x03, 0x05, 0x08, 0x01, 0x02, 0x04, 0x05, 0xb4, 0x01, 0x01}));
  EXPECT_EQ(o, TcpOptions{.wscale = 5});
}

TEST(TcpWire, OptionRunningPastTheEndIsNotParsed) {
  // A timestamp claiming 10 bytes with 8 left (Linux: "don't parse partial
  // options").
  const TcpOptions o = ParseOptionsOf(
      WithOptions({0x02, 0x04, 0x05, 0xb4, 0x08, 0x0a, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00}));
  EXPECT_EQ(o, TcpOptions{.mss = 1460});
  // Length 255 on the last option.
  EXPECT_EQ(ParseOptionsOf(WithOptions({0x01, 0x01, 0x04, 0xff})), TcpOptions{});
}

TEST(TcpWire, KindInTheLastByteIsNotParsed) {
  // Linux: `if (length < 2) return;` before reading the size. The segment is
  // exactly header-sized, so reading a length byte would overrun (ASan).
  EXPECT_EQ(ParseOptionsOf(WithOptions({0x01, 0x03, 0x03, 0x06, 0x01, 0x01, 0x01, 0x04})),
            TcpOptions{.wscale = 6});
}

TEST(TcpWire, MssWithLengthThreeIsSkippedByItsLength) {
  // 02 03 05 is skipped whole; the window scale after it is still parsed.
  const TcpOptions o =
      ParseOptionsOf(WithOptions({0x02, 0x03, 0x05, 0x03, 0x03, 0x07, 0x01, 0x01}));
  EXPECT_EQ(o, TcpOptions{.wscale = 7});
}

TEST(TcpWire, MssOfZeroIsIgnored) {
  // tcp_parse_options only takes a nonzero MSS (`if (in_mss)`).
  EXPECT_EQ(ParseOptionsOf(WithOptions({0x02, 0x04, 0x00, 0x00})), TcpOptions{});
}

TEST(TcpWire, UnknownKindIsSkippedByItsLength) {
  const TcpOptions o =
      ParseOptionsOf(WithOptions({0x63, 0x03, 0xaa, 0x02, 0x04, 0x05, 0xb4, 0x00}));
  EXPECT_EQ(o, TcpOptions{.mss = 1460});
  // A 2-byte unknown option (no data) too.
  EXPECT_EQ(ParseOptionsOf(WithOptions({0xfe, 0x02, 0x04, 0x02})),
            TcpOptions{.sack_permitted = true});
}

TEST(TcpWire, WindowScaleAboveFourteenIsCapped) {
  for (uint8_t ws : {14, 15, 16, 200, 255}) {
    const TcpOptions o = ParseOptionsOf(WithOptions({0x01, 0x03, 0x03, ws}));
    EXPECT_EQ(o.wscale, 14) << "shift " << int{ws};
  }
  EXPECT_EQ(ParseOptionsOf(WithOptions({0x01, 0x03, 0x03, 0x00})).wscale, 0);
}

TEST(TcpWire, KnownKindsWithTheWrongLengthAreIgnored) {
  // WS with length 4, SACK_PERM with length 3, TIMESTAMP with length 6, then
  // a good MSS: each bad one is skipped by its own length.
  const TcpOptions o = ParseOptionsOf(WithOptions({0x03, 0x04, 0x07, 0x00,              //
                                                   0x04, 0x03, 0x00,                    //
                                                   0x08, 0x06, 0x00, 0x00, 0x00, 0x01,  //
                                                   0x02, 0x04, 0x05, 0xb4, 0x01, 0x01, 0x01}));
  EXPECT_EQ(o, TcpOptions{.mss = 1460});
}

TEST(TcpWire, SackWithBadLengthIsIgnored) {
  // Lengths 2 (no block), 9 and 11 (not 2 + 8n) are skipped.
  EXPECT_EQ(ParseOptionsOf(WithOptions({0x05, 0x02, 0x01, 0x01})), TcpOptions{});
  EXPECT_EQ(ParseOptionsOf(WithOptions({0x05, 0x09, 0, 0, 0, 1, 0, 0, 0, 0x01, 0x01, 0x01})),
            TcpOptions{});
  EXPECT_EQ(ParseOptionsOf(
                WithOptions({0x05, 0x0b, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0x01, 0x04, 0x02, 0x01, 0x01})),
            TcpOptions{.sack_permitted = true});
}

TEST(TcpWire, RepeatedOptionOverwritesTheEarlierOne) {
  // Two timestamps: Linux stores each as it goes, so the last one wins.
  const TcpOptions o = ParseOptionsOf(WithOptions({0x08, 0x0a, 0, 0, 0, 1, 0, 0, 0, 2,  //
                                                   0x08, 0x0a, 0, 0, 0, 3, 0, 0, 0, 4}));
  EXPECT_TRUE(o.has_timestamp);
  EXPECT_EQ(o.tsval, 3u);
  EXPECT_EQ(o.tsecr, 4u);
  // Two SACK options: the last one's blocks, and only those.
  const TcpOptions s =
      ParseOptionsOf(WithOptions({0x05, 0x12, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4,  //
                                  0x05, 0x0a, 0, 0, 0, 5, 0, 0, 0, 6}));
  ASSERT_EQ(s.num_sack, 1);
  EXPECT_EQ(s.sack[0], (SackBlock{SeqNum(5), SeqNum(6)}));
  EXPECT_EQ(s.sack[1], SackBlock{});
}

TEST(TcpWire, OptionsEqualityIgnoresUnusedSackSlots) {
  TcpOptions a{.num_sack = 1};
  a.sack[0] = {SeqNum(1), SeqNum(2)};
  TcpOptions b = a;
  b.sack[3] = {SeqNum(7), SeqNum(8)};
  EXPECT_EQ(a, b);
  b.sack[0].end = SeqNum(3);
  EXPECT_NE(a, b);
}

TEST(TcpWire, ArbitraryOptionBytesNeverReadOutOfBounds) {
  // Exact-size option areas of every length with random bytes, biased
  // toward small kinds and lengths so the interesting paths are hit; under
  // ASan any read past the area fails. Parsing must also be idempotent with
  // respect to re-emitting: what was parsed re-parses to itself.
  std::mt19937 rng(12345);
  for (int iter = 0; iter < 20000; ++iter) {
    const size_t n = rng() % (kTcpMaxOptionsLen + 1);
    std::vector<std::byte> area(n);
    for (std::byte& b : area) {
      const uint32_t r = rng();
      b = static_cast<std::byte>((r & 0x300) ? (r % 12) : (r & 0xff));
    }
    const TcpOptions o = TcpParseOptions(area);
    ASSERT_LE(o.num_sack, kTcpMaxSackBlocks);
    ASSERT_LE(o.wscale.value_or(0), kTcpMaxWscale);
    if (TcpOptionsLen(o) <= kTcpMaxOptionsLen) {
      std::vector<std::byte> again(TcpOptionsLen(o));
      TcpWriteOptions(again.data(), o);
      ASSERT_EQ(TcpParseOptions(again), o) << Hex(area);
    }
  }
}

// --- Checksums --------------------------------------------------------------

TEST(TcpWire, DataSegmentChecksumMatchesReference) {
  auto th = TcpView::Parse(kData);
  ASSERT_TRUE(th.ok());
  EXPECT_EQ(th->flags(), kTcpPsh | kTcpAck);
  EXPECT_EQ(Hex(th->payload()), Hex(BytesOf("hello")));
  EXPECT_EQ(th->checksum(), 0xf403);
  EXPECT_TRUE(th->ChecksumValid(kA, kB));
  EXPECT_TRUE(th->ChecksumValid(kB, kA));  // the sum does not depend on the order
  EXPECT_FALSE(th->ChecksumValid(kA, Ipv4Addr::FromOctets(10, 0, 0, 3)));

  // TcpFillChecksum ignores whatever was in the field.
  std::vector<std::byte> seg = kData;
  seg[16] = std::byte{0x12};
  seg[17] = std::byte{0x34};
  TcpFillChecksum(seg.data(), seg.size(), kA, kB);
  EXPECT_EQ(Hex(seg), Hex(kData));

  const TcpRepr r = TcpRepr::Parse(*th);
  EXPECT_EQ(Hex(Build(r, BytesOf("hello"), kA, kB)), Hex(kData));
}

TEST(TcpWire, ChecksumFailsAfterAnySingleBitFlip) {
  for (const std::vector<std::byte>* seg : {&kSyn, &kData}) {
    for (size_t bit = 0; bit < seg->size() * 8; ++bit) {
      if (bit / 8 == 12) continue;  // the data offset: may change what parses
      std::vector<std::byte> b = *seg;
      b[bit / 8] ^= static_cast<std::byte>(0x80 >> (bit % 8));
      auto th = TcpView::Parse(b);
      ASSERT_TRUE(th.ok());
      EXPECT_FALSE(th->ChecksumValid(kA, kB)) << "bit " << bit;
    }
  }
}

TEST(TcpWire, ChecksumCoversEveryLengthIncludingOdd) {
  // Trimming the payload changes the pseudo-header length and the data: the
  // old checksum no longer holds, a fresh one does.
  for (size_t n = 32; n < kData.size(); ++n) {
    std::vector<std::byte> seg = Prefix(kData, n);
    auto th = TcpView::Parse(seg);
    ASSERT_TRUE(th.ok());
    EXPECT_FALSE(th->ChecksumValid(kA, kB)) << "length " << n;
    TcpFillChecksum(seg.data(), seg.size(), kA, kB);
    EXPECT_TRUE(TcpView::Parse(seg)->ChecksumValid(kA, kB)) << "length " << n;
  }
}

TEST(TcpWire, PartialChecksumLeavesThePseudoHeaderSumForTheDevice) {
  std::vector<std::byte> seg = kData;
  TcpPartialChecksum(seg.data(), seg.size(), kA, kB);
  // 0x0a00+0x0001+0x0a00+0x0002+0x0006+0x0025 (length 37) = 0x142e (python3).
  EXPECT_EQ(Hex(std::span(seg).subspan(16, 2)), "14 2e");
  // The device sums from csum_start (the TCP header) to the end and stores
  // the folded complement at csum_offset 16: the full checksum results.
  const uint16_t c = CsumFold(CsumPartial(seg.data(), seg.size(), 0));
  StoreCsum(seg.data() + 16, c);
  EXPECT_EQ(Hex(seg), Hex(kData));
}

}  // namespace
}  // namespace usnet
