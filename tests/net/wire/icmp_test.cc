#include "net/wire/icmp.h"

#include <vector>

#include "gtest/gtest.h"
#include "net/wire/ipv4.h"
#include "net/wire/udp.h"
#include "tests/support/bytes.h"

namespace usnet {
namespace {

using testing::Bytes;
using testing::BytesOf;
using testing::Hex;
using testing::Prefix;

// Echo request id 0x1234 seq 1, data "abcdefgh"; checksum 0x5435 (python3).
const std::vector<std::byte> kEchoRequest = Bytes({
    0x08, 0x00, 0x54, 0x35, 0x12, 0x34, 0x00, 0x01,  //
    0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68,
});

// Echo reply id 0x1234 seq 2 with an odd-length payload "abc"; checksum 0x2967.
const std::vector<std::byte> kEchoReplyOdd = Bytes({
    0x00, 0x00, 0x29, 0x67, 0x12, 0x34, 0x00, 0x02, 0x61, 0x62, 0x63,
});

// Destination unreachable / fragmentation needed, next-hop MTU 1400,
// quoting the IPv4 header and the 8-byte UDP header of a 33-byte datagram
// 10.0.0.1:12345 -> 10.0.0.2:53. Checksum 0x4f77.
const std::vector<std::byte> kFragNeeded = Bytes({
    0x03, 0x04, 0x4f, 0x77, 0x00, 0x00, 0x05, 0x78,  // type 3 code 4, mtu 1400
    0x45, 0x00, 0x00, 0x21, 0x1c, 0x46, 0x40, 0x00, 0x40, 0x11, 0x0a, 0x84, 0x0a, 0x00,
    0x00, 0x01, 0x0a, 0x00, 0x00, 0x02,              // quoted IPv4 header
    0x30, 0x39, 0x00, 0x35, 0x00, 0x0d, 0x77, 0x91,  // quoted UDP header
});

TEST(IcmpWire, ParsesEchoRequest) {
  auto icmp = IcmpView::Parse(kEchoRequest);
  ASSERT_TRUE(icmp.ok()) << ParseErrorName(icmp.error());
  EXPECT_EQ(icmp->type(), kIcmpEcho);
  EXPECT_EQ(icmp->code(), 0);
  EXPECT_EQ(icmp->checksum(), 0x5435);
  EXPECT_EQ(icmp->rest(), 0x12340001u);
  EXPECT_EQ(icmp->echo_id(), 0x1234);
  EXPECT_EQ(icmp->echo_seq(), 1);
  EXPECT_EQ(Hex(icmp->payload()), Hex(BytesOf("abcdefgh")));
  EXPECT_EQ(icmp->bytes().data(), kEchoRequest.data());
  EXPECT_EQ(icmp->bytes().size(), kEchoRequest.size());
  EXPECT_TRUE(icmp->ChecksumValid());
}

TEST(IcmpWire, ParsesOddLengthEchoReply) {
  auto icmp = IcmpView::Parse(kEchoReplyOdd);
  ASSERT_TRUE(icmp.ok());
  EXPECT_EQ(icmp->type(), kIcmpEchoReply);
  EXPECT_EQ(icmp->echo_id(), 0x1234);
  EXPECT_EQ(icmp->echo_seq(), 2);
  EXPECT_EQ(icmp->payload().size(), 3u);
  EXPECT_TRUE(icmp->ChecksumValid());
}

TEST(IcmpWire, ParsesFragNeededAndItsQuote) {
  auto icmp = IcmpView::Parse(kFragNeeded);
  ASSERT_TRUE(icmp.ok());
  EXPECT_EQ(icmp->type(), kIcmpDestUnreach);
  EXPECT_EQ(icmp->code(), kIcmpFragNeeded);
  EXPECT_EQ(icmp->next_hop_mtu(), 1400);
  EXPECT_EQ(icmp->rest(), 1400u);
  EXPECT_TRUE(icmp->ChecksumValid());

  // The quote is cut short: Parse refuses it, ParseQuoted takes it.
  EXPECT_EQ(Ipv4View::Parse(icmp->payload()).error(), ParseError::kTruncated);
  auto inner = Ipv4View::ParseQuoted(icmp->payload());
  ASSERT_TRUE(inner.ok()) << ParseErrorName(inner.error());
  EXPECT_EQ(inner->protocol(), kIpProtoUdp);
  EXPECT_EQ(inner->src(), Ipv4Addr::FromOctets(10, 0, 0, 1));
  EXPECT_EQ(inner->dst(), Ipv4Addr::FromOctets(10, 0, 0, 2));
  EXPECT_EQ(inner->total_len(), 33);
  ASSERT_EQ(inner->payload().size(), 8u);
  // The quoted UDP header claims 13 bytes but only 8 are here, so a full
  // UdpView parse is refused; error handlers read the ports directly.
  EXPECT_EQ(UdpView::Parse(inner->payload()).error(), ParseError::kTruncated);
  EXPECT_EQ(LoadBe16(inner->payload().data()), 12345);
  EXPECT_EQ(LoadBe16(inner->payload().data() + 2), 53);
}

TEST(IcmpWire, EmitEchoRequestMatchesLiteral) {
  std::vector<std::byte> out(kEchoRequest.size(), std::byte{0xee});
  const std::vector<std::byte> data = BytesOf("abcdefgh");
  std::copy(data.begin(), data.end(), out.begin() + kIcmpHeaderLen);
  const IcmpRepr r{.type = kIcmpEcho, .code = 0, .rest = IcmpRepr::Echo(0x1234, 1)};
  r.Emit(out.data(), data.size());
  EXPECT_EQ(Hex(out), Hex(kEchoRequest));
}

TEST(IcmpWire, EmitOddLengthEchoReplyMatchesLiteral) {
  std::vector<std::byte> out(kEchoReplyOdd.size(), std::byte{0xee});
  const std::vector<std::byte> data = BytesOf("abc");
  std::copy(data.begin(), data.end(), out.begin() + kIcmpHeaderLen);
  IcmpRepr{.type = kIcmpEchoReply, .code = 0, .rest = IcmpRepr::Echo(0x1234, 2)}.Emit(out.data(),
                                                                                      3);
  EXPECT_EQ(Hex(out), Hex(kEchoReplyOdd));
}

TEST(IcmpWire, EmitFragNeededMatchesLiteral) {
  std::vector<std::byte> out = kFragNeeded;
  std::fill(out.begin(), out.begin() + kIcmpHeaderLen, std::byte{0xee});
  IcmpRepr{.type = kIcmpDestUnreach, .code = kIcmpFragNeeded, .rest = 1400}.Emit(
      out.data(), kFragNeeded.size() - kIcmpHeaderLen);
  EXPECT_EQ(Hex(out), Hex(kFragNeeded));
}

TEST(IcmpWire, EmitHeaderOnlyIsValid) {
  std::vector<std::byte> out(kIcmpHeaderLen);
  IcmpRepr{.type = kIcmpTimeExceeded, .code = kIcmpExcTtl, .rest = 0}.Emit(out.data(), 0);
  EXPECT_EQ(Hex(out), "0b 00 f4 ff 00 00 00 00");
  EXPECT_TRUE(IcmpView::Parse(out)->ChecksumValid());
}

TEST(IcmpWire, EchoPacksIdAndSequence) {
  EXPECT_EQ(IcmpRepr::Echo(0x1234, 0x5678), 0x12345678u);
  EXPECT_EQ(IcmpRepr::Echo(0xffff, 0), 0xffff0000u);
  EXPECT_EQ(IcmpRepr::Echo(0, 0xffff), 0x0000ffffu);
}

TEST(IcmpWire, EveryTruncationIsRefused) {
  for (size_t n = 0; n < kIcmpHeaderLen; ++n) {
    EXPECT_EQ(IcmpView::Parse(Prefix(kEchoRequest, n)).error(), ParseError::kTruncated)
        << "length " << n;
  }
  for (size_t n = kIcmpHeaderLen; n <= kEchoRequest.size(); ++n) {
    const std::vector<std::byte> cut = Prefix(kEchoRequest, n);
    auto icmp = IcmpView::Parse(cut);
    ASSERT_TRUE(icmp.ok()) << "length " << n;
    EXPECT_EQ(icmp->payload().size(), n - kIcmpHeaderLen);
    // The checksum covers the whole message: a cut one is invalid.
    EXPECT_EQ(icmp->ChecksumValid(), n == kEchoRequest.size()) << "length " << n;
  }
}

TEST(IcmpWire, ChecksumFailsAfterAnySingleBitFlip) {
  for (const std::vector<std::byte>* pkt : {&kEchoRequest, &kEchoReplyOdd, &kFragNeeded}) {
    ASSERT_TRUE(IcmpView::Parse(*pkt)->ChecksumValid());
    for (size_t bit = 0; bit < pkt->size() * 8; ++bit) {
      std::vector<std::byte> b = *pkt;
      b[bit / 8] ^= static_cast<std::byte>(0x80 >> (bit % 8));
      auto icmp = IcmpView::Parse(b);
      ASSERT_TRUE(icmp.ok());
      EXPECT_FALSE(icmp->ChecksumValid()) << "bit " << bit;
    }
  }
}

}  // namespace
}  // namespace usnet
