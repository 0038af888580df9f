#include "drivers/pcap/pcap_sniffer.h"

#include <unistd.h>

#include <cstring>
#include <fstream>
#include <iterator>

#include "gtest/gtest.h"
#include "net/core/checksum.h"
#include "net/core/net_core.h"
#include "net/wire/udp.h"

namespace usnet {
namespace {

std::vector<unsigned char> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<unsigned char>(std::istreambuf_iterator<char>(in), {});
}

uint32_t U32(const std::vector<unsigned char>& b, size_t off) {
  uint32_t v;
  std::memcpy(&v, b.data() + off, 4);
  return v;
}

TEST(PcapWriter, WritesClassicHeaderAndRecords) {
  std::string path = ::testing::TempDir() + "/w.pcap";
  PcapWriter w;
  ASSERT_TRUE(w.Open(path, PcapWriter::kLinkEthernet).ok());
  std::byte frame[3] = {std::byte{1}, std::byte{2}, std::byte{3}};
  w.Write(int64_t{5} * 1'000'000'000 + 123, frame);
  w.Close();
  auto b = ReadFile(path);
  ASSERT_EQ(b.size(), 24u + 16u + 3u);
  EXPECT_EQ(U32(b, 0), 0xa1b23c4du);  // nanosecond pcap
  EXPECT_EQ(U32(b, 20), 1u);          // LINKTYPE_ETHERNET
  EXPECT_EQ(U32(b, 24), 5u);          // seconds
  EXPECT_EQ(U32(b, 28), 123u);        // nanoseconds
  EXPECT_EQ(U32(b, 32), 3u);          // captured
  EXPECT_EQ(U32(b, 36), 3u);          // original
  EXPECT_EQ(b[40], 1);
  unlink(path.c_str());
}

TEST(PcapWriter, UnwritablePathIsAnError) {
  PcapWriter w;
  absl::Status s = w.Open("/nonexistent-dir/x.pcap", PcapWriter::kLinkEthernet);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("/nonexistent-dir/x.pcap"), std::string::npos);
}

class NullDevice final : public NetDevice {
 public:
  NullDevice() : NetDevice("eth0", DeviceType::kEther, MacAddr::Local(1), 1500) {}
  void StartXmit(SkbPtr skb) override { core_->Consume(std::move(skb)); }
};

TEST(PcapSniffer, FillsInPartialChecksumsInTheCapture) {
  ManualClock clock;
  EventLoop loop(clock);
  SkbPool pool;
  NetCore core(loop, pool, "t", 1);
  std::string path = ::testing::TempDir() + "/s.pcap";
  PcapWriter w;
  ASSERT_TRUE(w.Open(path, PcapWriter::kLinkRaw).ok());
  NetDevice* dev = core.AddDevice(std::make_unique<PcapSniffer>(std::make_unique<NullDevice>(), &w));
  // A UDP header + payload with the checksum left to the device.
  const Ipv4Addr src = Ipv4Addr::FromOctets(10, 0, 0, 1), dst = Ipv4Addr::FromOctets(10, 0, 0, 2);
  SkbPtr skb = core.AllocSkb(64, 12);
  std::byte* p = skb->Put(12);
  std::memcpy(p + 8, "data", 4);
  UdpRepr{Port(1), Port(2), 4}.EmitPartial(p, src, dst);
  skb->ip_summed = CsumState::kPartial;
  skb->csum_start = static_cast<uint32_t>(skb->headroom());
  skb->csum_offset = 6;
  skb->dev = dev;
  dev->StartXmit(std::move(skb));
  w.Close();
  auto b = ReadFile(path);
  ASSERT_EQ(b.size(), 24u + 16u + 12u);
  std::span<const std::byte> udp(reinterpret_cast<const std::byte*>(b.data() + 40), 12);
  auto v = UdpView::Parse(udp);
  ASSERT_TRUE(v);
  EXPECT_TRUE(v->ChecksumValid(src, dst));
  unlink(path.c_str());
}

}  // namespace
}  // namespace usnet
