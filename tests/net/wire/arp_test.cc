#include "net/wire/arp.h"

#include <array>
#include <vector>

#include "gtest/gtest.h"
#include "net/wire/ethernet.h"
#include "tests/support/bytes.h"

namespace usnet {
namespace {

using testing::Bytes;
using testing::Hex;
using testing::Prefix;

// "Who has 10.0.0.2? Tell 10.0.0.1" as Linux sends it: broadcast Ethernet,
// target MAC zero, padded to the 60-byte minimum frame.
const std::vector<std::byte> kRequestFrame = Bytes({
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06,  // eth
    0x00, 0x01,                          // htype Ethernet
    0x08, 0x00,                          // ptype IPv4
    0x06, 0x04,                          // hlen, plen
    0x00, 0x01,                          // op request
    0x02, 0x00, 0x00, 0x00, 0x00, 0x01,  // sender MAC
    0x0a, 0x00, 0x00, 0x01,              // sender IP
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // target MAC
    0x0a, 0x00, 0x00, 0x02,              // target IP
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00,  // padding
});

// "10.0.0.2 is at 52:54:00:12:34:56" (the bare 28-byte ARP body).
const std::vector<std::byte> kReply = Bytes({
    0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x02,  //
    0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x0a, 0x00, 0x00, 0x02,  // sender
    0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x01,  // target
});

constexpr MacAddr kMacA({0x02, 0x00, 0x00, 0x00, 0x00, 0x01});
constexpr MacAddr kMacB({0x52, 0x54, 0x00, 0x12, 0x34, 0x56});
constexpr Ipv4Addr kIpA = Ipv4Addr::FromOctets(10, 0, 0, 1);
constexpr Ipv4Addr kIpB = Ipv4Addr::FromOctets(10, 0, 0, 2);

TEST(ArpWire, ParsesRequestInsideItsFrame) {
  ASSERT_EQ(kRequestFrame.size(), 60u);
  auto eth = EthView::Parse(kRequestFrame);
  ASSERT_TRUE(eth.ok());
  EXPECT_TRUE(eth->dst().IsBroadcast());
  EXPECT_EQ(eth->ethertype(), kEthPArp);
  auto arp = ArpView::Parse(eth->payload());  // 46 bytes: padding is ignored
  ASSERT_TRUE(arp.ok()) << ParseErrorName(arp.error());
  EXPECT_EQ(arp->op(), kArpOpRequest);
  EXPECT_EQ(arp->sender_mac(), kMacA);
  EXPECT_EQ(arp->sender_ip(), kIpA);
  EXPECT_TRUE(arp->target_mac().IsZero());
  EXPECT_EQ(arp->target_ip(), kIpB);
}

TEST(ArpWire, ParsesReply) {
  auto arp = ArpView::Parse(kReply);
  ASSERT_TRUE(arp.ok());
  EXPECT_EQ(arp->op(), kArpOpReply);
  EXPECT_EQ(arp->sender_mac(), kMacB);
  EXPECT_EQ(arp->sender_ip(), kIpB);
  EXPECT_EQ(arp->target_mac(), kMacA);
  EXPECT_EQ(arp->target_ip(), kIpA);
  EXPECT_EQ(ArpRepr::Parse(*arp), (ArpRepr{kArpOpReply, kMacB, kIpB, kMacA, kIpA}));
}

TEST(ArpWire, EmitMatchesLiteralRequestAndReply) {
  std::array<std::byte, kArpLen> out;
  out.fill(std::byte{0xee});
  ArpRepr{kArpOpRequest, kMacA, kIpA, MacAddr(), kIpB}.Emit(out.data());
  EXPECT_EQ(Hex(out), Hex(std::span(kRequestFrame).subspan(kEthHeaderLen, kArpLen)));

  out.fill(std::byte{0xee});
  ArpRepr{kArpOpReply, kMacB, kIpB, kMacA, kIpA}.Emit(out.data());
  EXPECT_EQ(Hex(out), Hex(kReply));
}

TEST(ArpWire, EmitWritesExactly28Bytes) {
  std::array<std::byte, kArpLen + 1> out;
  out.fill(std::byte{0xee});
  ArpRepr{kArpOpReply, kMacB, kIpB, kMacA, kIpA}.Emit(out.data());
  EXPECT_EQ(out[kArpLen], std::byte{0xee});
}

TEST(ArpWire, ParseEmitRoundTrip) {
  auto arp = ArpView::Parse(kReply);
  ASSERT_TRUE(arp.ok());
  std::vector<std::byte> out(kArpLen);
  ArpRepr::Parse(*arp).Emit(out.data());
  EXPECT_EQ(out, kReply);
}

TEST(ArpWire, OtherOpcodesParse) {
  // The view does not judge the opcode (RARP 3/4, InARP 8/9): arp_rcv does.
  for (uint16_t op : {uint16_t{0}, uint16_t{3}, uint16_t{4}, uint16_t{8}, uint16_t{0xffff}}) {
    std::vector<std::byte> b = kReply;
    StoreBe16(b.data() + 6, op);
    auto arp = ArpView::Parse(b);
    ASSERT_TRUE(arp.ok());
    EXPECT_EQ(arp->op(), op);
  }
}

TEST(ArpWire, EveryTruncationIsRefused) {
  for (size_t n = 0; n < kArpLen; ++n) {
    const std::vector<std::byte> cut = Prefix(kReply, n);  // exact size: ASan sees overreads
    auto arp = ArpView::Parse(cut);
    EXPECT_EQ(arp.error(), ParseError::kTruncated) << "length " << n;
  }
  EXPECT_TRUE(ArpView::Parse(Prefix(kReply, kArpLen)).ok());
}

struct Unsupported {
  size_t offset;
  uint8_t value;
  const char* what;
};

TEST(ArpWire, NonEthernetOrNonIpv4IsUnsupported) {
  const Unsupported cases[] = {
      // Not htype 6 (IEEE 802): Linux arp_process accepts it on Ethernet.
      {1, 0x20, "htype 32 (InfiniBand)"},
      {1, 0x18, "htype 24 (IEEE 1394)"},
      {0, 0x01, "htype 0x0101"},
      {2, 0x86, "ptype 0x8600"},
      {3, 0xdd, "ptype 0x08dd"},
      {4, 0x08, "hlen 8"},
      {4, 0x00, "hlen 0"},
      {5, 0x10, "plen 16 (IPv6)"},
      {5, 0x06, "plen 6"},
  };
  for (const Unsupported& c : cases) {
    std::vector<std::byte> b = kReply;
    b[c.offset] = static_cast<std::byte>(c.value);
    EXPECT_EQ(ArpView::Parse(b).error(), ParseError::kUnsupported) << c.what;
    // Known from the first 8 bytes, so a short packet says so too.
    EXPECT_EQ(ArpView::Parse(Prefix(b, 8)).error(), ParseError::kUnsupported) << c.what;
    // Fewer than 8 bytes: the fixed part itself is cut.
    EXPECT_EQ(ArpView::Parse(Prefix(b, 7)).error(), ParseError::kTruncated) << c.what;
  }
}

}  // namespace
}  // namespace usnet
