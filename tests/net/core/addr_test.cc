#include "net/core/addr.h"

#include <random>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "gtest/gtest.h"

namespace usnet {
namespace {

TEST(Ipv4AddrTest, ParseAccepts) {
  struct Case {
    const char* text;
    uint32_t value;
  };
  const Case cases[] = {
      {"0.0.0.0", 0},
      {"255.255.255.255", 0xffffffff},
      {"10.0.0.2", 0x0a000002},
      {"192.168.1.254", 0xc0a801fe},
      {"1.2.3.4", 0x01020304},
      {"127.0.0.1", 0x7f000001},
      {"224.0.0.251", 0xe00000fb},
  };
  for (const Case& c : cases) {
    std::optional<Ipv4Addr> a = Ipv4Addr::Parse(c.text);
    ASSERT_TRUE(a.has_value()) << c.text;
    EXPECT_EQ(a->value(), c.value) << c.text;
  }
}

TEST(Ipv4AddrTest, ParseRejects) {
  for (const char* bad : {
           "",
           "1.2.3",
           "1.2.3.4.5",
           "256.1.1.1",
           "1.2.3.256",
           "1.2.3.999",
           "1.2.3.1000",
           "1.2.3.-1",
           "-1.2.3.4",
           "+1.2.3.4",
           "1..3.4",
           ".1.2.3",
           "1.2.3.",
           "1.2.3.4.",
           "a.b.c.d",
           "1.2.3.x",
           "0x1.2.3.4",
           " 1.2.3.4",
           "1.2.3.4 ",
           "1.2. 3.4",
           "1.2.3.4/24",
           "1,2,3,4",
           "4294967295",
           "...",
       }) {
    EXPECT_FALSE(Ipv4Addr::Parse(bad).has_value()) << '"' << bad << '"';
  }
}

TEST(Ipv4AddrTest, ParseDoesNotReadPastTheView) {
  const std::string s = "10.0.0.25";
  EXPECT_EQ(Ipv4Addr::Parse(std::string_view(s).substr(0, 8)), Ipv4Addr::FromOctets(10, 0, 0, 2));
}

TEST(Ipv4AddrTest, ToStringRoundTrips) {
  EXPECT_EQ(Ipv4Addr().ToString(), "0.0.0.0");
  EXPECT_EQ(Ipv4Addr::Broadcast().ToString(), "255.255.255.255");
  EXPECT_EQ(Ipv4Addr::FromOctets(10, 0, 0, 2).ToString(), "10.0.0.2");
  EXPECT_EQ(Ipv4Addr(0xc0a80001).ToString(), "192.168.0.1");
  std::mt19937 rng(5);
  for (int i = 0; i < 2000; ++i) {
    const Ipv4Addr a(static_cast<uint32_t>(rng()));
    std::optional<Ipv4Addr> back = Ipv4Addr::Parse(a.ToString());
    ASSERT_TRUE(back.has_value()) << a.ToString();
    EXPECT_EQ(*back, a);
  }
}

TEST(Ipv4AddrTest, FromOctetsAndOrdering) {
  EXPECT_EQ(Ipv4Addr::FromOctets(1, 2, 3, 4).value(), 0x01020304u);
  EXPECT_LT(Ipv4Addr::FromOctets(9, 255, 255, 255), Ipv4Addr::FromOctets(10, 0, 0, 0));
  EXPECT_GT(Ipv4Addr::FromOctets(192, 168, 0, 1), Ipv4Addr::FromOctets(10, 0, 0, 1));
  EXPECT_EQ(Ipv4Addr::Any(), Ipv4Addr());
  absl::flat_hash_set<Ipv4Addr> set = {Ipv4Addr(1), Ipv4Addr(2), Ipv4Addr(1)};
  EXPECT_EQ(set.size(), 2u);
}

TEST(Ipv4AddrTest, Classification) {
  struct Case {
    const char* text;
    bool any, broadcast, multicast, loopback, zeronet;
  };
  const Case cases[] = {
      // text              any    bcast  mcast  loop   zeronet
      {"0.0.0.0",          true,  false, false, false, true},
      {"0.1.2.3",          false, false, false, false, true},
      {"0.255.255.255",    false, false, false, false, true},
      {"1.0.0.0",          false, false, false, false, false},
      {"10.0.0.1",         false, false, false, false, false},
      {"126.255.255.255",  false, false, false, false, false},
      {"127.0.0.1",        false, false, false, true,  false},
      {"127.255.255.254",  false, false, false, true,  false},
      {"128.0.0.0",        false, false, false, false, false},
      {"223.255.255.255",  false, false, false, false, false},
      {"224.0.0.0",        false, false, true,  false, false},
      {"224.0.0.251",      false, false, true,  false, false},
      {"239.255.255.255",  false, false, true,  false, false},
      // Class E is not multicast and, as in Linux (ipv4_is_zeronet tests
      // 0/8 only), not "zero net" either.
      {"240.0.0.1",        false, false, false, false, false},
      {"255.255.255.254",  false, false, false, false, false},
      {"255.255.255.255",  false, true,  false, false, false},
  };
  for (const Case& c : cases) {
    const Ipv4Addr a = *Ipv4Addr::Parse(c.text);
    EXPECT_EQ(a.IsAny(), c.any) << c.text;
    EXPECT_EQ(a.IsBroadcast(), c.broadcast) << c.text;
    EXPECT_EQ(a.IsMulticast(), c.multicast) << c.text;
    EXPECT_EQ(a.IsLoopback(), c.loopback) << c.text;
    EXPECT_EQ(a.IsZeroNet(), c.zeronet) << c.text;
  }
}

TEST(Ipv4PrefixTest, ParseAccepts) {
  struct Case {
    const char* text;
    uint32_t addr;
    int len;
  };
  const Case cases[] = {
      {"10.0.0.0/8", 0x0a000000, 8},
      {"10.0.0.2/24", 0x0a000002, 24},  // host bits kept, as `ip addr add`
      {"0.0.0.0/0", 0, 0},
      {"1.2.3.4/32", 0x01020304, 32},
      {"1.2.3.4", 0x01020304, 32},  // no length: a host
      {"192.168.0.0/16", 0xc0a80000, 16},
      {"172.16.0.0/12", 0xac100000, 12},
  };
  for (const Case& c : cases) {
    std::optional<Ipv4Prefix> p = Ipv4Prefix::Parse(c.text);
    ASSERT_TRUE(p.has_value()) << c.text;
    EXPECT_EQ(p->addr.value(), c.addr) << c.text;
    EXPECT_EQ(p->len, c.len) << c.text;
  }
}

TEST(Ipv4PrefixTest, ParseRejects) {
  for (const char* bad : {
           "",
           "/24",
           "1.2.3/24",
           "1.2.3.4/33",
           "1.2.3.4/100",
           "1.2.3.4/",
           "1.2.3.4/-1",
           "1.2.3.4/a",
           "1.2.3.4/24/8",
           "1.2.3.4/2x",
           "256.0.0.0/8",
           "1.2.3.4//8",
       }) {
    EXPECT_FALSE(Ipv4Prefix::Parse(bad).has_value()) << '"' << bad << '"';
  }
}

TEST(Ipv4PrefixTest, MasksNetworkBroadcastContains) {
  EXPECT_EQ(Ipv4Prefix::MaskOf(0), 0u);
  EXPECT_EQ(Ipv4Prefix::MaskOf(1), 0x80000000u);
  EXPECT_EQ(Ipv4Prefix::MaskOf(8), 0xff000000u);
  EXPECT_EQ(Ipv4Prefix::MaskOf(24), 0xffffff00u);
  EXPECT_EQ(Ipv4Prefix::MaskOf(31), 0xfffffffeu);
  EXPECT_EQ(Ipv4Prefix::MaskOf(32), 0xffffffffu);

  const Ipv4Prefix p = *Ipv4Prefix::Parse("10.1.2.3/16");
  EXPECT_EQ(p.mask(), 0xffff0000u);
  EXPECT_EQ(p.network(), Ipv4Addr::FromOctets(10, 1, 0, 0));
  EXPECT_EQ(p.broadcast(), Ipv4Addr::FromOctets(10, 1, 255, 255));
  EXPECT_TRUE(p.Contains(Ipv4Addr::FromOctets(10, 1, 0, 0)));
  EXPECT_TRUE(p.Contains(Ipv4Addr::FromOctets(10, 1, 255, 255)));
  EXPECT_FALSE(p.Contains(Ipv4Addr::FromOctets(10, 2, 0, 0)));
  EXPECT_FALSE(p.Contains(Ipv4Addr::FromOctets(10, 0, 255, 255)));

  const Ipv4Prefix all = *Ipv4Prefix::Parse("0.0.0.0/0");
  EXPECT_TRUE(all.Contains(Ipv4Addr::Broadcast()));
  EXPECT_TRUE(all.Contains(Ipv4Addr()));
  EXPECT_EQ(all.broadcast(), Ipv4Addr::Broadcast());

  const Ipv4Prefix host = *Ipv4Prefix::Parse("10.0.0.7/32");
  EXPECT_TRUE(host.Contains(Ipv4Addr::FromOctets(10, 0, 0, 7)));
  EXPECT_FALSE(host.Contains(Ipv4Addr::FromOctets(10, 0, 0, 6)));
  EXPECT_EQ(host.network(), host.broadcast());
}

TEST(Ipv4PrefixTest, ToStringRoundTrips) {
  for (const char* text : {"10.0.0.0/8", "10.0.0.2/24", "0.0.0.0/0", "1.2.3.4/32"}) {
    const Ipv4Prefix p = *Ipv4Prefix::Parse(text);
    EXPECT_EQ(p.ToString(), text);
    EXPECT_EQ(Ipv4Prefix::Parse(p.ToString()), p);
  }
  EXPECT_EQ(Ipv4Prefix::Parse("1.2.3.4")->ToString(), "1.2.3.4/32");
}

TEST(MacAddrTest, ParseAccepts) {
  struct Case {
    const char* text;
    std::array<uint8_t, 6> bytes;
  };
  const Case cases[] = {
      {"00:00:00:00:00:00", {0, 0, 0, 0, 0, 0}},
      {"ff:ff:ff:ff:ff:ff", {0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
      {"52:54:00:12:34:56", {0x52, 0x54, 0x00, 0x12, 0x34, 0x56}},
      {"AA:bb:Cc:0D:e0:F9", {0xaa, 0xbb, 0xcc, 0x0d, 0xe0, 0xf9}},
  };
  for (const Case& c : cases) {
    std::optional<MacAddr> m = MacAddr::Parse(c.text);
    ASSERT_TRUE(m.has_value()) << c.text;
    EXPECT_EQ(m->bytes(), c.bytes) << c.text;
  }
}

TEST(MacAddrTest, ParseRejects) {
  for (const char* bad : {
           "",
           "01:02:03:04:05",
           "01:02:03:04:05:06:07",
           "zz:00:00:00:00:00",
           "00:00:00:00:00:zz",
           "0g:00:00:00:00:00",
           "001:02:03:04:05:06",
           "01:02:03:04:05:",
           ":01:02:03:04:05",
           "01-02-03-04-05-06",
           "0102.0304.0506",
           "01:02:03:04:05:06:",
           "::::::",
       }) {
    EXPECT_FALSE(MacAddr::Parse(bad).has_value()) << '"' << bad << '"';
  }
}

TEST(MacAddrTest, ToStringRoundTrips) {
  EXPECT_EQ(MacAddr().ToString(), "00:00:00:00:00:00");
  EXPECT_EQ(MacAddr::Broadcast().ToString(), "ff:ff:ff:ff:ff:ff");
  EXPECT_EQ(MacAddr::Parse("AA:BB:CC:DD:EE:0F")->ToString(), "aa:bb:cc:dd:ee:0f");
  std::mt19937 rng(9);
  for (int i = 0; i < 1000; ++i) {
    std::array<uint8_t, 6> b;
    for (uint8_t& x : b) x = static_cast<uint8_t>(rng());
    const MacAddr m(b);
    EXPECT_EQ(MacAddr::Parse(m.ToString()), m) << m.ToString();
  }
}

TEST(MacAddrTest, Classification) {
  EXPECT_TRUE(MacAddr::Broadcast().IsBroadcast());
  EXPECT_TRUE(MacAddr::Broadcast().IsMulticast());  // group bit set
  EXPECT_FALSE(MacAddr::Broadcast().IsZero());
  EXPECT_TRUE(MacAddr().IsZero());
  EXPECT_FALSE(MacAddr().IsMulticast());
  EXPECT_FALSE(MacAddr().IsBroadcast());

  const MacAddr mdns = *MacAddr::Parse("01:00:5e:00:00:fb");
  EXPECT_TRUE(mdns.IsMulticast());
  EXPECT_FALSE(mdns.IsBroadcast());
  const MacAddr ipv6_mc = *MacAddr::Parse("33:33:00:00:00:01");
  EXPECT_TRUE(ipv6_mc.IsMulticast());
  const MacAddr unicast = *MacAddr::Parse("52:54:00:12:34:56");
  EXPECT_FALSE(unicast.IsMulticast());
  EXPECT_FALSE(unicast.IsBroadcast());
  EXPECT_FALSE(unicast.IsZero());
  EXPECT_FALSE(MacAddr::Parse("fe:ff:ff:ff:ff:ff")->IsMulticast());
  EXPECT_FALSE(MacAddr::Parse("ff:ff:ff:ff:ff:fe")->IsBroadcast());
}

TEST(MacAddrTest, LocalIsLocallyAdministeredUnicast) {
  EXPECT_EQ(MacAddr::Local(0).ToString(), "02:00:00:00:00:00");
  EXPECT_EQ(MacAddr::Local(1).ToString(), "02:00:00:00:00:01");
  EXPECT_EQ(MacAddr::Local(0x12345678).ToString(), "02:00:12:34:56:78");
  EXPECT_EQ(MacAddr::Local(0xffffffff).ToString(), "02:00:ff:ff:ff:ff");
  for (uint32_t n : {0u, 1u, 0xffffffffu}) {
    const MacAddr m = MacAddr::Local(n);
    EXPECT_FALSE(m.IsMulticast());
    EXPECT_EQ(m.bytes()[0] & 0x02, 0x02);  // locally administered bit
  }
  EXPECT_NE(MacAddr::Local(1), MacAddr::Local(2));
}

TEST(PortTest, ValueAndOrdering) {
  EXPECT_EQ(Port().value(), 0);
  EXPECT_EQ(Port(65535).value(), 65535);
  EXPECT_LT(Port(80), Port(443));
  EXPECT_EQ(Port(53), Port(53));
  absl::flat_hash_set<Port> set = {Port(1), Port(1), Port(2)};
  EXPECT_EQ(set.size(), 2u);
}

}  // namespace
}  // namespace usnet
