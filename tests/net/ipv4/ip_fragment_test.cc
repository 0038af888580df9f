// IPv4 reassembly (Linux ip_defrag): order, duplicates, overlaps (RFC 5722
// rule), the 30 s timeout with its ICMP, the memory cap, oversize.
#include "net/ipv4/ip_fragment.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

#include "gtest/gtest.h"
#include "net/wire/icmp.h"
#include "net/wire/udp.h"
#include "syscalls/socket_api.h"
#include "tests/support/host_harness.h"

namespace usnet {
namespace {

using testing::Bytes;
using testing::HostHarness;
using testing::IpSpec;

// A UDP datagram (header + payload) to port 7 of the harness host.
Bytes Datagram(size_t payload_len, uint8_t fill = 'd') {
  Bytes u(kUdpHeaderLen + payload_len, std::byte{fill});
  for (size_t i = 0; i < payload_len; ++i) u[kUdpHeaderLen + i] = std::byte(static_cast<uint8_t>(i * 7 + fill));
  UdpRepr{Port(40000), Port(7), payload_len}.Emit(u.data(), Ipv4Addr::FromOctets(10, 0, 0, 1),
                                                  Ipv4Addr::FromOctets(10, 0, 0, 2));
  return u;
}

// Fragment [off, off+len) of `dgram` as an Ethernet frame.
Bytes Frag(const Bytes& dgram, size_t off, size_t len, bool more, uint16_t id = 42) {
  IpSpec s;
  s.protocol = kIpProtoUdp;
  s.id = id;
  s.mf = more;
  s.frag_offset = off;
  return HostHarness::IpFrame(s, std::span<const std::byte>(dgram).subspan(off, len));
}

class Reassembly : public ::testing::Test {
 protected:
  void SetUp() override {
    ProcessScope in(h.proc);
    fd = sys::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(7);
    ASSERT_EQ(sys::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
  }
  // The next datagram's payload, or "" if none.
  std::string Received() {
    ProcessScope in(h.proc);
    std::string buf(70000, '\0');
    ssize_t n = sys::recv(fd, buf.data(), buf.size(), MSG_DONTWAIT);
    return n < 0 ? "" : buf.substr(0, static_cast<size_t>(n));
  }
  static std::string PayloadOf(const Bytes& dgram) {
    return std::string(reinterpret_cast<const char*>(dgram.data()) + kUdpHeaderLen, dgram.size() - kUdpHeaderLen);
  }
  uint64_t Mem() { return h.host.inet().frags().mem(); }

  HostHarness h;
  int fd = -1;
};

TEST_F(Reassembly, InOrder) {
  Bytes d = Datagram(3000);  // 3008 bytes: 1480 + 1480 + 48
  h.Inject(Frag(d, 0, 1480, true));
  h.Inject(Frag(d, 1480, 1480, true));
  EXPECT_EQ(Received(), "");
  h.Inject(Frag(d, 2960, 48, false));
  EXPECT_EQ(Received(), PayloadOf(d));
  EXPECT_EQ(h.Counter("IpReasmReqds"), 3u);
  EXPECT_EQ(h.Counter("IpReasmOKs"), 1u);
  EXPECT_EQ(h.Counter("IpReasmFails"), 0u);
  EXPECT_EQ(h.host.inet().frags().queues(), 0u);
  EXPECT_EQ(Mem(), 0u);
  EXPECT_EQ(h.host.core().ledger().bytes(CopySite::kReassemble), d.size());
}

TEST_F(Reassembly, Reversed) {
  Bytes d = Datagram(3000);
  h.Inject(Frag(d, 2960, 48, false));
  h.Inject(Frag(d, 1480, 1480, true));
  h.Inject(Frag(d, 0, 1480, true));
  EXPECT_EQ(Received(), PayloadOf(d));
}

TEST_F(Reassembly, ShuffledSmallFragments) {
  Bytes d = Datagram(2000);
  std::vector<size_t> offs;
  for (size_t o = 0; o < d.size(); o += 80) offs.push_back(o);
  std::vector<size_t> order = offs;
  std::reverse(order.begin() + 3, order.end());
  std::swap(order[0], order[5]);
  for (size_t o : order) {
    size_t len = std::min<size_t>(80, d.size() - o);
    h.Inject(Frag(d, o, len, o + len < d.size()));
  }
  EXPECT_EQ(Received(), PayloadOf(d));
}

TEST_F(Reassembly, ExactDuplicateIsDroppedAndQueueKept) {
  Bytes d = Datagram(3000);
  h.Inject(Frag(d, 0, 1480, true));
  h.Inject(Frag(d, 0, 1480, true));
  EXPECT_EQ(h.Drops(DropReason::kDUP_FRAG), 1u);
  h.Inject(Frag(d, 1480, 1480, true));
  h.Inject(Frag(d, 2960, 48, false));
  EXPECT_EQ(Received(), PayloadOf(d));
}

TEST_F(Reassembly, PartialOverlapDiscardsTheWholeQueue) {
  Bytes d = Datagram(3000);
  h.Inject(Frag(d, 0, 1480, true));
  h.Inject(Frag(d, 1472, 1488, true));  // overlaps the first by 8 bytes
  EXPECT_EQ(h.Counter("IpExtReasmOverlaps"), 1u);
  EXPECT_EQ(h.Counter("IpReasmFails"), 1u);
  EXPECT_EQ(h.Drops(DropReason::kIP_OVERLAP), 2u);  // the new one and the one queued
  EXPECT_EQ(h.host.inet().frags().queues(), 0u);
  h.Inject(Frag(d, 2960, 48, false));
  EXPECT_EQ(Received(), "");  // the datagram never completes
}

TEST_F(Reassembly, TimeoutAfterIpfragTimeSendsTimeExceededWhenFirstFragmentCame) {
  Bytes d = Datagram(3000);
  h.Inject(Frag(d, 0, 1480, true));
  h.Inject(Frag(d, 2960, 48, false));
  h.Run(absl::Milliseconds(29999));
  EXPECT_EQ(h.Counter("IpReasmTimeout"), 0u);
  h.ClearSent();
  h.Run(absl::Milliseconds(1));
  EXPECT_EQ(h.Counter("IpReasmTimeout"), 1u);
  EXPECT_EQ(h.Counter("IpReasmFails"), 1u);
  EXPECT_EQ(h.Drops(DropReason::kFRAG_REASM_TIMEOUT), 2u);
  EXPECT_EQ(Mem(), 0u);
  // ICMP time exceeded, "fragment reassembly time exceeded", to the source
  // (after ARP: the first frame is the ARP request, so resolve it).
  h.Inject(HostHarness::ArpFrame(2, MacAddr::Local(1), Ipv4Addr::FromOctets(10, 0, 0, 1),
                                 MacAddr::Local(2), Ipv4Addr::FromOctets(10, 0, 0, 2), MacAddr::Local(2)));
  ASSERT_EQ(h.sent().size(), 2u);
  auto ip = Ipv4View::Parse(EthView::Parse(h.sent()[1])->payload());
  ASSERT_TRUE(ip);
  EXPECT_EQ(ip->dst(), Ipv4Addr::FromOctets(10, 0, 0, 1));
  auto icmp = IcmpView::Parse(ip->payload());
  ASSERT_TRUE(icmp);
  EXPECT_EQ(icmp->type(), kIcmpTimeExceeded);
  EXPECT_EQ(icmp->code(), kIcmpExcFragTime);
  EXPECT_TRUE(icmp->ChecksumValid());
  auto quoted = Ipv4View::ParseQuoted(icmp->payload());
  ASSERT_TRUE(quoted);
  EXPECT_EQ(quoted->id(), 42);
}

TEST_F(Reassembly, TimeoutWithoutFirstFragmentSendsNothing) {
  Bytes d = Datagram(3000);
  h.Inject(Frag(d, 1480, 1480, true));
  h.Run(absl::Seconds(31));
  EXPECT_EQ(h.Counter("IpReasmTimeout"), 1u);
  EXPECT_TRUE(h.sent().empty());
}

TEST_F(Reassembly, MemoryCapDropsNewFragmentsWhileOver) {
  ASSERT_TRUE(h.host.sysctl().Set("net.ipv4.ipfrag_high_thresh", "20000").ok());
  Bytes d = Datagram(3000);
  int accepted = 0;
  for (uint16_t id = 1; id <= 40; ++id) {
    const uint64_t fails = h.Counter("IpReasmFails");
    h.Inject(Frag(d, 0, 1480, true, id));
    if (h.Counter("IpReasmFails") == fails) ++accepted;
    // Memory may pass the threshold by at most one fragment.
    EXPECT_LE(Mem(), 20000u + 4096u);
  }
  EXPECT_GT(accepted, 0);
  EXPECT_LT(accepted, 40);
  EXPECT_EQ(h.Counter("IpReasmFails"), static_cast<uint64_t>(40 - accepted));
  // Expiry frees the memory, and reassembly works again.
  h.Run(absl::Seconds(31));
  EXPECT_EQ(Mem(), 0u);
  h.Inject(Frag(d, 0, 1480, true, 99));
  h.Inject(Frag(d, 1480, 1480, true, 99));
  h.Inject(Frag(d, 2960, 48, false, 99));
  EXPECT_EQ(Received(), PayloadOf(d));
}

TEST_F(Reassembly, DatagramOver65535BytesIsDiscarded) {
  Bytes d = Datagram(100);
  IpSpec s;
  s.protocol = kIpProtoUdp;
  s.id = 7;
  s.mf = false;
  s.frag_offset = 65528;  // + 20 header + 16 bytes > 65535
  Bytes tail(16, std::byte{1});
  h.Inject(HostHarness::IpFrame(s, tail));
  EXPECT_EQ(h.Drops(DropReason::kPKT_TOO_BIG), 1u);
  EXPECT_EQ(h.host.inet().frags().queues(), 0u);
}

TEST_F(Reassembly, DisagreeingLastFragmentsDiscardTheQueue) {
  Bytes d = Datagram(3000);
  h.Inject(Frag(d, 2960, 48, false));
  h.Inject(Frag(d, 1480, 1488, false));  // claims a different end
  EXPECT_EQ(h.host.inet().frags().queues(), 0u);
  EXPECT_GE(h.Counter("IpReasmFails"), 1u);
}

}  // namespace
}  // namespace usnet

namespace usnet {
namespace {

// Found by the fuzzer: a head fragment with options and a tail without can
// each pass their own size check yet add up to more than 65535 bytes.
TEST_F(Reassembly, HeadWithOptionsCannotPushTheDatagramPast65535) {
  // Head: 60-byte header (40 bytes of NOP options) + 65440 bytes, MF: a
  // 65500-byte packet, legal on its own.
  testing::Bytes head = testing::HostHarness::IpPacket({.protocol = kIpProtoUdp, .id = 9, .mf = true},
                                                       testing::Bytes(65440, std::byte{1}));
  head.insert(head.begin() + kIpv4MinHeaderLen, 40, std::byte{1});  // NOPs
  head[0] = std::byte{0x4f};                                         // ihl 15
  StoreBe16(head.data() + 2, static_cast<uint16_t>(head.size()));
  Ipv4UpdateChecksum(head.data());
  h.Inject(testing::HostHarness::EthFrame(MacAddr::Local(1), MacAddr::Local(2), kEthPIp, head));
  // Tail: 20-byte header + 36 bytes at 65440: the payload ends at 65476, and
  // 60 + 65476 = 65536 bytes would not fit an IPv4 datagram.
  testing::IpSpec t{.protocol = kIpProtoUdp, .id = 9, .frag_offset = 65440};
  h.Inject(testing::HostHarness::IpFrame(t, testing::Bytes(36, std::byte{2})));
  EXPECT_EQ(Received(), "");
  EXPECT_EQ(h.Counter("IpReasmOKs"), 0u);
  EXPECT_GE(h.Counter("IpReasmFails"), 1u);
  EXPECT_EQ(h.host.inet().frags().queues(), 0u);
}

}  // namespace
}  // namespace usnet
