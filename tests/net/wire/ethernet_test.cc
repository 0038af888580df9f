#include "net/wire/ethernet.h"

#include <array>
#include <vector>

#include "gtest/gtest.h"
#include "tests/support/bytes.h"

namespace usnet {
namespace {

using testing::Bytes;
using testing::Hex;
using testing::Prefix;

// A minimum-size (60-byte) Ethernet II frame as a NIC hands it up: a
// 33-byte IPv4/UDP datagram 10.0.0.1:12345 -> 10.0.0.2:53 "hello" (checksums
// verified with python3) followed by 13 bytes of zero padding.
const std::vector<std::byte> kFrame = Bytes({
    0x52, 0x54, 0x00, 0x12, 0x34, 0x56,  // dst
    0x02, 0x00, 0x00, 0x00, 0x00, 0x01,  // src
    0x08, 0x00,                          // EtherType IPv4
    0x45, 0x00, 0x00, 0x21, 0x1c, 0x46, 0x40, 0x00, 0x40, 0x11, 0x0a, 0x84, 0x0a, 0x00, 0x00,
    0x01, 0x0a, 0x00, 0x00, 0x02, 0x30, 0x39, 0x00, 0x35, 0x00, 0x0d, 0x77, 0x91, 0x68, 0x65,
    0x6c, 0x6c, 0x6f,  // IPv4 + UDP + "hello"
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // padding
});

constexpr MacAddr kDst({0x52, 0x54, 0x00, 0x12, 0x34, 0x56});
constexpr MacAddr kSrc({0x02, 0x00, 0x00, 0x00, 0x00, 0x01});

TEST(EthernetWire, ParsesEveryField) {
  ASSERT_EQ(kFrame.size(), 60u);
  auto eth = EthView::Parse(kFrame);
  ASSERT_TRUE(eth.ok()) << ParseErrorName(eth.error());
  EXPECT_EQ(eth->dst(), kDst);
  EXPECT_EQ(eth->src(), kSrc);
  EXPECT_EQ(eth->ethertype(), kEthPIp);
  ASSERT_EQ(eth->payload().size(), 46u);  // Ethernet does not know the IP length
  EXPECT_EQ(eth->payload().data(), kFrame.data() + kEthHeaderLen);
  EXPECT_EQ(static_cast<uint8_t>(eth->payload()[0]), 0x45);
}

TEST(EthernetWire, ReprParseAndEmitMatchLiteral) {
  auto eth = EthView::Parse(kFrame);
  ASSERT_TRUE(eth.ok());
  const EthRepr repr = EthRepr::Parse(*eth);
  EXPECT_EQ(repr, (EthRepr{kDst, kSrc, kEthPIp}));

  std::array<std::byte, kEthHeaderLen> out;
  out.fill(std::byte{0xee});
  repr.Emit(out.data());
  EXPECT_EQ(Hex(out), Hex(Prefix(kFrame, kEthHeaderLen)));
}

TEST(EthernetWire, EmitWritesExactlyFourteenBytes) {
  std::array<std::byte, kEthHeaderLen + 2> out;
  out.fill(std::byte{0xee});
  EthRepr{MacAddr::Broadcast(), kSrc, kEthPArp}.Emit(out.data());
  EXPECT_EQ(Hex(out), Hex(Bytes({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x00, 0x00, 0x00, 0x00,
                                 0x01, 0x08, 0x06, 0xee, 0xee})));
}

TEST(EthernetWire, OtherEtherTypes) {
  for (uint16_t type : {kEthPArp, kEthPIpv6, kEthP8021Q, uint16_t{0x88cc}, uint16_t{0x0000},
                        uint16_t{0xffff}}) {
    std::vector<std::byte> f(kEthHeaderLen);
    EthRepr{kDst, kSrc, type}.Emit(f.data());
    auto eth = EthView::Parse(f);
    ASSERT_TRUE(eth.ok());
    EXPECT_EQ(eth->ethertype(), type);
    EXPECT_TRUE(eth->payload().empty());
  }
}

TEST(EthernetWire, HeaderOnlyFrameParsesWithEmptyPayload) {
  const std::vector<std::byte> header = Prefix(kFrame, kEthHeaderLen);
  auto eth = EthView::Parse(header);
  ASSERT_TRUE(eth.ok());
  EXPECT_TRUE(eth->payload().empty());
}

TEST(EthernetWire, EveryTruncationIsRefused) {
  for (size_t n = 0; n < kEthHeaderLen; ++n) {
    const std::vector<std::byte> cut = Prefix(kFrame, n);  // exact size: ASan sees overreads
    auto eth = EthView::Parse(cut);
    EXPECT_EQ(eth.error(), ParseError::kTruncated) << "length " << n;
    EXPECT_FALSE(eth.ok());
  }
  for (size_t n = kEthHeaderLen; n <= kFrame.size(); ++n) {
    const std::vector<std::byte> cut = Prefix(kFrame, n);
    auto eth = EthView::Parse(cut);
    ASSERT_TRUE(eth.ok()) << "length " << n;
    EXPECT_EQ(eth->payload().size(), n - kEthHeaderLen);
  }
}

}  // namespace
}  // namespace usnet
