#include "net/wire/udp.h"

#include <vector>

#include "gtest/gtest.h"
#include "tests/support/bytes.h"

namespace usnet {
namespace {

using testing::Bytes;
using testing::BytesOf;
using testing::Hex;
using testing::Prefix;

constexpr Ipv4Addr kA = Ipv4Addr::FromOctets(10, 0, 0, 1);
constexpr Ipv4Addr kB = Ipv4Addr::FromOctets(10, 0, 0, 2);

// 10.0.0.1:12345 -> 10.0.0.2:53 "hello": length 13, checksum 0x7791 over
// the pseudo-header 0a000001 0a000002 0011 000d (python3).
const std::vector<std::byte> kDatagram = Bytes({
    0x30, 0x39, 0x00, 0x35, 0x00, 0x0d, 0x77, 0x91, 0x68, 0x65, 0x6c, 0x6c, 0x6f,
});

// 10.0.0.1:1000 -> 10.0.0.2:2000 with payload e0 1f: the checksum computes
// to 0x0000, which RFC 768 sends as 0xffff (0 means "no checksum").
const std::vector<std::byte> kZeroSumDatagram = Bytes({
    0x03, 0xe8, 0x07, 0xd0, 0x00, 0x0a, 0xff, 0xff, 0xe0, 0x1f,
});

TEST(UdpWire, ParsesEveryField) {
  auto udp = UdpView::Parse(kDatagram);
  ASSERT_TRUE(udp.ok()) << ParseErrorName(udp.error());
  EXPECT_EQ(udp->src_port(), Port(12345));
  EXPECT_EQ(udp->dst_port(), Port(53));
  EXPECT_EQ(udp->length(), 13);
  EXPECT_EQ(udp->checksum(), 0x7791);
  EXPECT_EQ(udp->payload().data(), kDatagram.data() + kUdpHeaderLen);
  EXPECT_EQ(Hex(udp->payload()), Hex(BytesOf("hello")));
  EXPECT_TRUE(udp->ChecksumValid(kA, kB));
}

TEST(UdpWire, ChecksumDependsOnThePseudoHeader) {
  auto udp = UdpView::Parse(kDatagram);
  ASSERT_TRUE(udp.ok());
  EXPECT_TRUE(udp->ChecksumValid(kB, kA));  // swapping src and dst leaves the sum alone
  EXPECT_FALSE(udp->ChecksumValid(kA, Ipv4Addr::FromOctets(10, 0, 0, 3)));
  EXPECT_FALSE(udp->ChecksumValid(Ipv4Addr::FromOctets(11, 0, 0, 1), kB));
}

TEST(UdpWire, EmitMatchesLiteral) {
  std::vector<std::byte> out(kDatagram.size(), std::byte{0xee});
  const std::vector<std::byte> payload = BytesOf("hello");
  std::copy(payload.begin(), payload.end(), out.begin() + kUdpHeaderLen);
  const UdpRepr r{.src_port = Port(12345), .dst_port = Port(53), .payload_len = 5};
  r.Emit(out.data(), kA, kB);
  EXPECT_EQ(Hex(out), Hex(kDatagram));
}

TEST(UdpWire, EmitSendsAComputedZeroAsAllOnes) {
  std::vector<std::byte> out = kZeroSumDatagram;
  out[6] = out[7] = std::byte{0xee};
  UdpRepr{.src_port = Port(1000), .dst_port = Port(2000), .payload_len = 2}.Emit(out.data(), kA,
                                                                                 kB);
  EXPECT_EQ(Hex(out), Hex(kZeroSumDatagram));
  auto udp = UdpView::Parse(out);
  ASSERT_TRUE(udp.ok());
  EXPECT_EQ(udp->checksum(), 0xffff);
  EXPECT_TRUE(udp->ChecksumValid(kA, kB));
}

TEST(UdpWire, EmitPartialLeavesThePseudoHeaderSumForTheDevice) {
  std::vector<std::byte> out(kDatagram.size(), std::byte{0xee});
  const std::vector<std::byte> payload = BytesOf("hello");
  std::copy(payload.begin(), payload.end(), out.begin() + kUdpHeaderLen);
  UdpRepr{.src_port = Port(12345), .dst_port = Port(53), .payload_len = 5}.EmitPartial(out.data(),
                                                                                       kA, kB);
  // Linux: uh->check = ~csum_tcpudp_magic(...): the folded, uncomplemented
  // pseudo-header sum 0x0a00+0x0001+0x0a00+0x0002+0x0011+0x000d = 0x1421.
  EXPECT_EQ(Hex(std::span(out).first(kUdpHeaderLen)), "30 39 00 35 00 0d 14 21");
  // The device sums from csum_start to the end and stores the folded
  // complement at csum_offset: the result is the full checksum.
  const uint16_t c = CsumFold(CsumPartial(out.data(), out.size(), 0));
  StoreCsum(out.data() + 6, c);
  EXPECT_EQ(Hex(out), Hex(kDatagram));
}

TEST(UdpWire, ZeroChecksumMeansNone) {
  std::vector<std::byte> b = kDatagram;
  b[6] = b[7] = std::byte{0};
  b[12] = std::byte{'X'};  // corrupt the payload too: nothing to verify
  auto udp = UdpView::Parse(b);
  ASSERT_TRUE(udp.ok());
  EXPECT_EQ(udp->checksum(), 0);
  EXPECT_TRUE(udp->ChecksumValid(kA, kB));
}

TEST(UdpWire, ViewCoversTheLengthFieldOnly) {
  std::vector<std::byte> b = kDatagram;
  b.resize(40, std::byte{0});  // e.g. Ethernet padding after a short IP packet
  auto udp = UdpView::Parse(b);
  ASSERT_TRUE(udp.ok());
  EXPECT_EQ(udp->payload().size(), 5u);
  EXPECT_TRUE(udp->ChecksumValid(kA, kB));
}

TEST(UdpWire, HeaderOnlyDatagram) {
  std::vector<std::byte> out(kUdpHeaderLen);
  UdpRepr{.src_port = Port(7), .dst_port = Port(9), .payload_len = 0}.Emit(out.data(), kA, kB);
  auto udp = UdpView::Parse(out);
  ASSERT_TRUE(udp.ok());
  EXPECT_EQ(udp->length(), 8);
  EXPECT_TRUE(udp->payload().empty());
  EXPECT_TRUE(udp->ChecksumValid(kA, kB));
}

TEST(UdpWire, EveryTruncationIsRefused) {
  for (size_t n = 0; n < kDatagram.size(); ++n) {
    const std::vector<std::byte> cut = Prefix(kDatagram, n);  // exact size
    EXPECT_EQ(UdpView::Parse(cut).error(), ParseError::kTruncated) << "length " << n;
  }
  EXPECT_TRUE(UdpView::Parse(Prefix(kDatagram, kDatagram.size())).ok());
}

TEST(UdpWire, LengthFieldBelowHeaderIsBadLength) {
  for (uint16_t len : {0, 1, 7}) {
    std::vector<std::byte> b = kDatagram;
    StoreBe16(b.data() + 4, len);
    EXPECT_EQ(UdpView::Parse(b).error(), ParseError::kBadLength) << "length field " << len;
  }
}

TEST(UdpWire, LengthFieldBeyondTheBytesIsTruncated) {
  for (uint16_t len : {14, 100, 65535}) {
    std::vector<std::byte> b = kDatagram;
    StoreBe16(b.data() + 4, len);
    EXPECT_EQ(UdpView::Parse(b).error(), ParseError::kTruncated) << "length field " << len;
  }
}

TEST(UdpWire, ShorterLengthFieldShrinksTheView) {
  std::vector<std::byte> b = kDatagram;
  StoreBe16(b.data() + 4, 8);
  auto udp = UdpView::Parse(b);
  ASSERT_TRUE(udp.ok());
  EXPECT_TRUE(udp->payload().empty());
  EXPECT_FALSE(udp->ChecksumValid(kA, kB));  // checksum was over 13 bytes
}

TEST(UdpWire, ChecksumFailsAfterAnySingleBitFlip) {
  for (const std::vector<std::byte>* pkt : {&kDatagram, &kZeroSumDatagram}) {
    for (size_t bit = 0; bit < pkt->size() * 8; ++bit) {
      if (bit / 8 == 4 || bit / 8 == 5) continue;  // length field: changes what is covered
      std::vector<std::byte> b = *pkt;
      b[bit / 8] ^= static_cast<std::byte>(0x80 >> (bit % 8));
      auto udp = UdpView::Parse(b);
      ASSERT_TRUE(udp.ok());
      EXPECT_FALSE(udp->ChecksumValid(kA, kB)) << "bit " << bit;
    }
  }
}

}  // namespace
}  // namespace usnet
