#include "net/wire/ipv4.h"

#include <array>
#include <vector>

#include "gtest/gtest.h"
#include "tests/support/bytes.h"

namespace usnet {
namespace {

using testing::Bytes;
using testing::Hex;
using testing::Prefix;

// 10.0.0.1 -> 10.0.0.2 UDP 12345 -> 53 "hello": id 0x1c46, DF, TTL 64.
// Header checksum 0x0a84 computed with python3 (RFC 1071 over the header).
const std::vector<std::byte> kUdpPacket = Bytes({
    0x45, 0x00, 0x00, 0x21,  // v4 ihl 5, tos 0, total 33
    0x1c, 0x46, 0x40, 0x00,  // id, DF
    0x40, 0x11, 0x0a, 0x84,  // ttl 64, UDP, checksum
    0x0a, 0x00, 0x00, 0x01,  // src
    0x0a, 0x00, 0x00, 0x02,  // dst
    0x30, 0x39, 0x00, 0x35, 0x00, 0x0d, 0x77, 0x91, 0x68, 0x65, 0x6c, 0x6c, 0x6f,  // UDP
});

// With options (ihl 6: NOP NOP NOP EOL), tos 0x10, id 0xbeef, MF set and
// fragment offset 3 (24 bytes), TTL 1, ICMP, 192.168.1.10 -> 192.168.1.20,
// carrying a 16-byte ICMP echo request. Header checksum 0x5463.
const std::vector<std::byte> kOptionsPacket = Bytes({
    0x46, 0x10, 0x00, 0x28, 0xbe, 0xef, 0x20, 0x03, 0x01, 0x01, 0x54, 0x63, 0xc0, 0xa8,
    0x01, 0x0a, 0xc0, 0xa8, 0x01, 0x14,  // fixed header
    0x01, 0x01, 0x01, 0x00,              // options
    0x08, 0x00, 0x54, 0x35, 0x12, 0x34, 0x00, 0x01, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66,
    0x67, 0x68,  // ICMP
});

// The header from the Wikipedia "IPv4 header checksum" example: total
// length 115, checksum 0xb861, no payload given (as quoted in ICMP errors).
const std::vector<std::byte> kWikipediaHeader = Bytes({
    0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
    0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7,
});

constexpr Ipv4Addr kA = Ipv4Addr::FromOctets(10, 0, 0, 1);
constexpr Ipv4Addr kB = Ipv4Addr::FromOctets(10, 0, 0, 2);

TEST(Ipv4Wire, ParsesEveryField) {
  auto ip = Ipv4View::Parse(kUdpPacket);
  ASSERT_TRUE(ip.ok()) << ParseErrorName(ip.error());
  EXPECT_EQ(ip->header_len(), 20u);
  EXPECT_EQ(ip->tos(), 0);
  EXPECT_EQ(ip->total_len(), 33);
  EXPECT_EQ(ip->id(), 0x1c46);
  EXPECT_TRUE(ip->df());
  EXPECT_FALSE(ip->mf());
  EXPECT_FALSE(ip->reserved_flag());
  EXPECT_EQ(ip->frag_offset(), 0u);
  EXPECT_FALSE(ip->is_fragment());
  EXPECT_EQ(ip->ttl(), 64);
  EXPECT_EQ(ip->protocol(), kIpProtoUdp);
  EXPECT_EQ(ip->checksum(), 0x0a84);
  EXPECT_EQ(ip->src(), kA);
  EXPECT_EQ(ip->dst(), kB);
  EXPECT_TRUE(ip->options().empty());
  EXPECT_EQ(ip->header().data(), kUdpPacket.data());
  EXPECT_EQ(ip->header().size(), 20u);
  EXPECT_EQ(ip->payload().data(), kUdpPacket.data() + 20);
  EXPECT_EQ(ip->payload().size(), 13u);
  EXPECT_TRUE(ip->ChecksumValid());
}

TEST(Ipv4Wire, ParsesOptionsAndFragmentFields) {
  ASSERT_EQ(kOptionsPacket.size(), 40u);
  auto ip = Ipv4View::Parse(kOptionsPacket);
  ASSERT_TRUE(ip.ok()) << ParseErrorName(ip.error());
  EXPECT_EQ(ip->header_len(), 24u);
  EXPECT_EQ(ip->tos(), 0x10);
  EXPECT_EQ(ip->total_len(), 40);
  EXPECT_EQ(ip->id(), 0xbeef);
  EXPECT_FALSE(ip->df());
  EXPECT_TRUE(ip->mf());
  EXPECT_EQ(ip->frag_offset(), 24u);
  EXPECT_TRUE(ip->is_fragment());
  EXPECT_EQ(ip->ttl(), 1);
  EXPECT_EQ(ip->protocol(), kIpProtoIcmp);
  EXPECT_EQ(ip->src(), Ipv4Addr::FromOctets(192, 168, 1, 10));
  EXPECT_EQ(ip->dst(), Ipv4Addr::FromOctets(192, 168, 1, 20));
  EXPECT_EQ(Hex(ip->options()), "01 01 01 00");
  EXPECT_EQ(ip->header().size(), 24u);
  ASSERT_EQ(ip->payload().size(), 16u);
  EXPECT_EQ(static_cast<uint8_t>(ip->payload()[0]), 8);  // echo request
  EXPECT_TRUE(ip->ChecksumValid());
  EXPECT_EQ(Ipv4Repr::Parse(*ip).payload_len, 16u);
}

TEST(Ipv4Wire, FragmentFlagsDecodeIndependently) {
  struct Case {
    uint16_t flags_frag;
    bool reserved, df, mf;
    size_t offset;
    bool is_fragment;
  };
  const Case cases[] = {
      {0x0000, false, false, false, 0, false},  {0x4000, false, true, false, 0, false},
      {0x2000, false, false, true, 0, true},    {0x0001, false, false, false, 8, true},
      {0x1fff, false, false, false, 65528, true}, {0x8000, true, false, false, 0, false},
      {0xe0b9, true, true, true, 185 * 8, true},
  };
  for (const Case& c : cases) {
    std::vector<std::byte> b = kUdpPacket;
    StoreBe16(b.data() + 6, c.flags_frag);
    auto ip = Ipv4View::Parse(b);
    ASSERT_TRUE(ip.ok());
    EXPECT_EQ(ip->reserved_flag(), c.reserved) << std::hex << c.flags_frag;
    EXPECT_EQ(ip->df(), c.df) << std::hex << c.flags_frag;
    EXPECT_EQ(ip->mf(), c.mf) << std::hex << c.flags_frag;
    EXPECT_EQ(ip->frag_offset(), c.offset) << std::hex << c.flags_frag;
    EXPECT_EQ(ip->is_fragment(), c.is_fragment) << std::hex << c.flags_frag;
  }
}

TEST(Ipv4Wire, ReprParseMatchesFields) {
  auto ip = Ipv4View::Parse(kUdpPacket);
  ASSERT_TRUE(ip.ok());
  const Ipv4Repr expected{.src = kA,
                          .dst = kB,
                          .protocol = kIpProtoUdp,
                          .ttl = 64,
                          .tos = 0,
                          .id = 0x1c46,
                          .df = true,
                          .mf = false,
                          .frag_offset = 0,
                          .payload_len = 13};
  EXPECT_EQ(Ipv4Repr::Parse(*ip), expected);
}

TEST(Ipv4Wire, EmitMatchesLiteralHeaderIncludingChecksum) {
  std::array<std::byte, kIpv4MinHeaderLen> out;
  out.fill(std::byte{0xee});
  Ipv4Repr{.src = kA,
           .dst = kB,
           .protocol = kIpProtoUdp,
           .ttl = 64,
           .id = 0x1c46,
           .df = true,
           .payload_len = 13}
      .Emit(out.data());
  EXPECT_EQ(Hex(out), Hex(Prefix(kUdpPacket, 20)));
}

TEST(Ipv4Wire, EmitWikipediaExample) {
  std::array<std::byte, kIpv4MinHeaderLen> out;
  Ipv4Repr{.src = Ipv4Addr::FromOctets(192, 168, 0, 1),
           .dst = Ipv4Addr::FromOctets(192, 168, 0, 199),
           .protocol = kIpProtoUdp,
           .ttl = 64,
           .df = true,
           .payload_len = 0x73 - 20}
      .Emit(out.data());
  EXPECT_EQ(Hex(out), Hex(kWikipediaHeader));
}

TEST(Ipv4Wire, EmitFragmentFields) {
  // The fixed part of kOptionsPacket, re-emitted without options (ihl 5):
  // compare field by field since the checksum and length differ.
  std::array<std::byte, kIpv4MinHeaderLen> out;
  const Ipv4Repr r{.src = Ipv4Addr::FromOctets(192, 168, 1, 10),
                   .dst = Ipv4Addr::FromOctets(192, 168, 1, 20),
                   .protocol = kIpProtoIcmp,
                   .ttl = 1,
                   .tos = 0x10,
                   .id = 0xbeef,
                   .mf = true,
                   .frag_offset = 24,
                   .payload_len = 16};
  r.Emit(out.data());
  EXPECT_EQ(Hex(std::span(out).first(10)), "45 10 00 24 be ef 20 03 01 01");
  std::vector<std::byte> pkt(out.begin(), out.end());
  pkt.resize(36);
  auto ip = Ipv4View::Parse(pkt);
  ASSERT_TRUE(ip.ok());
  EXPECT_TRUE(ip->ChecksumValid());
  EXPECT_EQ(Ipv4Repr::Parse(*ip), r);
}

TEST(Ipv4Wire, UpdateChecksumCoversOptions) {
  std::vector<std::byte> b = kOptionsPacket;
  b[8] = std::byte{0x00};  // TTL 1 -> 0 breaks the checksum
  ASSERT_FALSE(Ipv4View::Parse(b)->ChecksumValid());
  Ipv4UpdateChecksum(b.data());
  EXPECT_TRUE(Ipv4View::Parse(b)->ChecksumValid());
  b[8] = std::byte{0x01};
  Ipv4UpdateChecksum(b.data());
  EXPECT_EQ(b, kOptionsPacket);
}

TEST(Ipv4Wire, TrailingBytesAreNotPayload) {
  // Ethernet pads short frames: the view stops at total length.
  std::vector<std::byte> padded = kUdpPacket;
  padded.resize(46, std::byte{0});
  auto ip = Ipv4View::Parse(padded);
  ASSERT_TRUE(ip.ok());
  EXPECT_EQ(ip->payload().size(), 13u);
}

TEST(Ipv4Wire, EveryTruncationIsRefused) {
  for (const std::vector<std::byte>* pkt : {&kUdpPacket, &kOptionsPacket}) {
    for (size_t n = 0; n < pkt->size(); ++n) {
      const std::vector<std::byte> cut = Prefix(*pkt, n);  // exact size: ASan sees overreads
      EXPECT_EQ(Ipv4View::Parse(cut).error(), ParseError::kTruncated) << "length " << n;
    }
    EXPECT_TRUE(Ipv4View::Parse(Prefix(*pkt, pkt->size())).ok());
  }
}

TEST(Ipv4Wire, BadVersionIsRefused) {
  for (uint8_t v : {0, 1, 5, 6, 15}) {
    std::vector<std::byte> b = kUdpPacket;
    b[0] = static_cast<std::byte>((v << 4) | 5);
    EXPECT_EQ(Ipv4View::Parse(b).error(), ParseError::kBadVersion) << "version " << int{v};
    EXPECT_EQ(Ipv4View::ParseQuoted(b).error(), ParseError::kBadVersion) << "version " << int{v};
  }
}

TEST(Ipv4Wire, IhlBelowFiveIsBadLength) {
  for (uint8_t ihl = 0; ihl < 5; ++ihl) {
    std::vector<std::byte> b = kUdpPacket;
    b[0] = static_cast<std::byte>(0x40 | ihl);
    EXPECT_EQ(Ipv4View::Parse(b).error(), ParseError::kBadLength) << "ihl " << int{ihl};
    EXPECT_EQ(Ipv4View::ParseQuoted(b).error(), ParseError::kBadLength) << "ihl " << int{ihl};
  }
}

TEST(Ipv4Wire, IhlBeyondTheBytesIsTruncated) {
  std::vector<std::byte> b = kUdpPacket;
  b[0] = std::byte{0x4f};  // 60-byte header, 33 bytes given
  StoreBe16(b.data() + 2, 60);
  EXPECT_EQ(Ipv4View::Parse(b).error(), ParseError::kTruncated);
  EXPECT_EQ(Ipv4View::ParseQuoted(b).error(), ParseError::kTruncated);
}

TEST(Ipv4Wire, TotalLengthBelowHeaderIsBadLength) {
  for (uint16_t total : {0, 1, 19}) {
    std::vector<std::byte> b = kUdpPacket;
    StoreBe16(b.data() + 2, total);
    EXPECT_EQ(Ipv4View::Parse(b).error(), ParseError::kBadLength) << "total " << total;
    EXPECT_EQ(Ipv4View::ParseQuoted(b).error(), ParseError::kBadLength) << "total " << total;
  }
  // With options the header is 24 bytes: a total of 20..23 is too short.
  for (uint16_t total : {20, 23}) {
    std::vector<std::byte> b = kOptionsPacket;
    StoreBe16(b.data() + 2, total);
    EXPECT_EQ(Ipv4View::Parse(b).error(), ParseError::kBadLength) << "total " << total;
  }
}

TEST(Ipv4Wire, TotalLengthEqualToHeaderHasEmptyPayload) {
  std::vector<std::byte> b = kUdpPacket;
  StoreBe16(b.data() + 2, 20);
  auto ip = Ipv4View::Parse(b);
  ASSERT_TRUE(ip.ok());
  EXPECT_TRUE(ip->payload().empty());
}

TEST(Ipv4Wire, TotalLengthBeyondTheBytesIsTruncated) {
  for (uint16_t total : {34, 1500, 65535}) {
    std::vector<std::byte> b = kUdpPacket;
    StoreBe16(b.data() + 2, total);
    EXPECT_EQ(Ipv4View::Parse(b).error(), ParseError::kTruncated) << "total " << total;
  }
}

TEST(Ipv4Wire, ParseQuotedAcceptsACutShortQuote) {
  // An ICMP error quotes the IP header and 8 bytes of the datagram.
  const std::vector<std::byte> quote = Prefix(kUdpPacket, 28);
  EXPECT_EQ(Ipv4View::Parse(quote).error(), ParseError::kTruncated);
  auto ip = Ipv4View::ParseQuoted(quote);
  ASSERT_TRUE(ip.ok()) << ParseErrorName(ip.error());
  EXPECT_EQ(ip->total_len(), 33);  // what the header says, not what is here
  EXPECT_EQ(ip->src(), kA);
  EXPECT_EQ(ip->dst(), kB);
  EXPECT_EQ(ip->protocol(), kIpProtoUdp);
  EXPECT_TRUE(ip->ChecksumValid());
  ASSERT_EQ(ip->payload().size(), 8u);  // the UDP header
  EXPECT_EQ(Hex(ip->payload()), "30 39 00 35 00 0d 77 91");
}

TEST(Ipv4Wire, ParseQuotedOfHeaderOnly) {
  auto ip = Ipv4View::ParseQuoted(kWikipediaHeader);
  ASSERT_TRUE(ip.ok());
  EXPECT_EQ(ip->total_len(), 115);
  EXPECT_TRUE(ip->payload().empty());
  EXPECT_TRUE(ip->ChecksumValid());
  EXPECT_EQ(ip->checksum(), 0xb861);
}

TEST(Ipv4Wire, ParseQuotedOfAWholePacketStopsAtTotalLength) {
  std::vector<std::byte> padded = kUdpPacket;
  padded.resize(64, std::byte{0});
  auto ip = Ipv4View::ParseQuoted(padded);
  ASSERT_TRUE(ip.ok());
  EXPECT_EQ(ip->payload().size(), 13u);
}

TEST(Ipv4Wire, ParseQuotedRefusesLessThanAHeader) {
  for (size_t n = 0; n < 20; ++n) {
    EXPECT_EQ(Ipv4View::ParseQuoted(Prefix(kUdpPacket, n)).error(), ParseError::kTruncated)
        << "length " << n;
  }
  // Options announced but cut off.
  for (size_t n = 20; n < 24; ++n) {
    EXPECT_EQ(Ipv4View::ParseQuoted(Prefix(kOptionsPacket, n)).error(), ParseError::kTruncated)
        << "length " << n;
  }
  for (size_t n = 24; n <= kOptionsPacket.size(); ++n) {
    const std::vector<std::byte> cut = Prefix(kOptionsPacket, n);
    auto ip = Ipv4View::ParseQuoted(cut);
    ASSERT_TRUE(ip.ok()) << "length " << n;
    EXPECT_EQ(ip->payload().size(), n - 24);
  }
}

TEST(Ipv4Wire, ChecksumFailsAfterAnySingleBitFlipInTheHeader) {
  for (const std::vector<std::byte>* pkt : {&kUdpPacket, &kOptionsPacket}) {
    const size_t hlen = Ipv4View::Parse(*pkt)->header_len();
    for (size_t bit = 0; bit < hlen * 8; ++bit) {
      std::vector<std::byte> b = *pkt;
      b[bit / 8] ^= static_cast<std::byte>(0x80 >> (bit % 8));
      // Flips in version/ihl/length may make the header unparseable; the
      // checksum itself must then be checked over the original header span.
      const bool valid = CsumFold(CsumPartial(b.data(), hlen, 0)) == 0;
      EXPECT_FALSE(valid) << "bit " << bit;
      auto ip = Ipv4View::Parse(b);
      if (ip.ok() && ip->header_len() == hlen) {
        EXPECT_FALSE(ip->ChecksumValid()) << "bit " << bit;
      }
    }
  }
}

TEST(Ipv4Wire, ChecksumIgnoresPayload) {
  std::vector<std::byte> b = kUdpPacket;
  b[30] ^= std::byte{0x01};
  auto ip = Ipv4View::Parse(b);
  ASSERT_TRUE(ip.ok());
  EXPECT_TRUE(ip->ChecksumValid());
}

}  // namespace
}  // namespace usnet
