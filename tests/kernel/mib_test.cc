#include "kernel/mib.h"

#include <cstdio>
#include <string>

#include "gtest/gtest.h"

namespace usnet {
namespace {

#define TEST_IP_MIB(X) X(InReceives) X(InHdrErrors) X(InDelivers) X(OutRequests)
enum class TestIpMib { TEST_IP_MIB(USNET_MIB_ENUM) kCount };
constexpr std::string_view kTestIpNames[] = {TEST_IP_MIB(USNET_MIB_NAME)};

#define TEST_IPEXT_MIB(X) X(InOctets) X(OutOctets)
enum class TestIpExtMib { TEST_IPEXT_MIB(USNET_MIB_ENUM) kCount };
constexpr std::string_view kTestIpExtNames[] = {TEST_IPEXT_MIB(USNET_MIB_NAME)};

// Linux nstat.c prints each counter with this format string; the expected
// lines below come from the same printf, so the layout is Linux's own.
std::string NstatLine(const char* name, unsigned long long v) {
  char buf[128];
  std::snprintf(buf, sizeof(buf), "%-32s%-16llu%6.1f\n", name, v, 0.0);
  return buf;
}

TEST(MibTest, NamesComeFromTheSameList) {
  static_assert(Mib<TestIpMib>::kSize == 4);
  static_assert(std::size(kTestIpNames) == Mib<TestIpMib>::kSize);
  EXPECT_EQ(kTestIpNames[static_cast<size_t>(TestIpMib::kInReceives)], "InReceives");
  EXPECT_EQ(kTestIpNames[static_cast<size_t>(TestIpMib::kOutRequests)], "OutRequests");
}

TEST(MibTest, IncDecSetGet) {
  Mib<TestIpMib> m;
  for (uint64_t v : m.values()) EXPECT_EQ(v, 0u);
  m.Inc(TestIpMib::kInReceives);
  m.Inc(TestIpMib::kInReceives);
  m.Inc(TestIpMib::kInDelivers, 10);
  EXPECT_EQ(m.Get(TestIpMib::kInReceives), 2u);
  EXPECT_EQ(m[TestIpMib::kInDelivers], 10u);
  EXPECT_EQ(m.Get(TestIpMib::kInHdrErrors), 0u);
  m.Dec(TestIpMib::kInDelivers, 3);
  m.Dec(TestIpMib::kInDelivers);
  EXPECT_EQ(m.Get(TestIpMib::kInDelivers), 6u);
  m.Set(TestIpMib::kOutRequests, 1234567890123ull);
  EXPECT_EQ(m.Get(TestIpMib::kOutRequests), 1234567890123ull);
  ASSERT_EQ(m.values().size(), 4u);
  EXPECT_EQ(m.values()[0], 2u);
  EXPECT_EQ(m.values()[3], 1234567890123ull);
  m.mutable_values()[1] = 5;
  EXPECT_EQ(m.Get(TestIpMib::kInHdrErrors), 5u);
}

class MibRegistryTest : public ::testing::Test {
 protected:
  MibRegistryTest() {
    reg_.Add("Ip", kTestIpNames, ip_.values());
    reg_.Add("IpExt", kTestIpExtNames, ipext_.values());
    reg_.Add("Drop_", std::vector<std::string>{"NO_SOCKET", "IP_CSUM"}, drops_);
  }
  Mib<TestIpMib> ip_;
  Mib<TestIpExtMib> ipext_;
  uint64_t drops_[2] = {0, 0};
  MibRegistry reg_;
};

TEST_F(MibRegistryTest, SnapshotListsEveryCounterInRegistrationOrder) {
  ip_.Inc(TestIpMib::kInReceives, 826);
  ipext_.Inc(TestIpExtMib::kOutOctets, 99);
  drops_[1] = 3;
  const std::vector<std::pair<std::string, uint64_t>> expected = {
      {"IpInReceives", 826}, {"IpInHdrErrors", 0},   {"IpInDelivers", 0},
      {"IpOutRequests", 0},  {"IpExtInOctets", 0},   {"IpExtOutOctets", 99},
      {"Drop_NO_SOCKET", 0}, {"Drop_IP_CSUM", 3},
  };
  EXPECT_EQ(reg_.Snapshot(), expected);
  ASSERT_EQ(reg_.groups().size(), 3u);
  EXPECT_EQ(reg_.groups()[1].prefix, "IpExt");
}

TEST_F(MibRegistryTest, RegistryReadsLiveValues) {
  uint64_t v = 1;
  ASSERT_TRUE(reg_.Lookup("IpInDelivers", &v));
  EXPECT_EQ(v, 0u);
  ip_.Inc(TestIpMib::kInDelivers, 7);
  ASSERT_TRUE(reg_.Lookup("IpInDelivers", &v));
  EXPECT_EQ(v, 7u);
}

TEST_F(MibRegistryTest, LookupResolvesOverlappingPrefixes) {
  ip_.Set(TestIpMib::kInReceives, 1);
  ipext_.Set(TestIpExtMib::kInOctets, 2);
  drops_[0] = 3;
  uint64_t v = 0;
  ASSERT_TRUE(reg_.Lookup("IpInReceives", &v));
  EXPECT_EQ(v, 1u);
  // "IpExtInOctets" also starts with "Ip": the Ip group must not swallow it.
  ASSERT_TRUE(reg_.Lookup("IpExtInOctets", &v));
  EXPECT_EQ(v, 2u);
  ASSERT_TRUE(reg_.Lookup("Drop_NO_SOCKET", &v));
  EXPECT_EQ(v, 3u);
}

TEST_F(MibRegistryTest, LookupOfUnknownNamesFailsAndLeavesTheValue) {
  uint64_t v = 42;
  for (const char* name : {"", "Ip", "IpExt", "InReceives", "IpInReceivesX", "ipInReceives",
                           "TcpInSegs", "IpExtInReceives", "IpInOctets"}) {
    EXPECT_FALSE(reg_.Lookup(name, &v)) << name;
    EXPECT_EQ(v, 42u) << name;
  }
}

TEST(NstatFormatTest, MatchesLinuxNstatLayout) {
  const std::string out = FormatNstat({{"IpInReceives", 826}, {"IpInDelivers", 3}}, false);
  EXPECT_EQ(out,
            "#kernel\n"
            "IpInReceives                    826                0.0\n"
            "IpInDelivers                    3                  0.0\n");
  EXPECT_EQ(out, "#kernel\n" + NstatLine("IpInReceives", 826) + NstatLine("IpInDelivers", 3));
}

TEST(NstatFormatTest, ZerosAreHiddenUnlessAsked) {
  const std::vector<std::pair<std::string, uint64_t>> c = {
      {"IpInReceives", 0}, {"UdpNoPorts", 5}, {"TcpExtListenDrops", 0}};
  EXPECT_EQ(FormatNstat(c, false), "#kernel\n" + NstatLine("UdpNoPorts", 5));
  EXPECT_EQ(FormatNstat(c, true), "#kernel\n" + NstatLine("IpInReceives", 0) +
                                      NstatLine("UdpNoPorts", 5) +
                                      NstatLine("TcpExtListenDrops", 0));
  EXPECT_EQ(FormatNstat({}, true), "#kernel\n");
  EXPECT_EQ(FormatNstat({{"IpInReceives", 0}}, false), "#kernel\n");
}

TEST(NstatFormatTest, LongNamesAndHugeValuesPushColumnsRatherThanTruncate) {
  const char* kLong = "TcpExtTCPDelivered_CE_Long_Name_Over_32";
  const uint64_t kMax = 18446744073709551615ull;
  EXPECT_EQ(FormatNstat({{kLong, 1}, {"IpOutRequests", kMax}}, false),
            "#kernel\n" + NstatLine(kLong, 1) + NstatLine("IpOutRequests", kMax));
  EXPECT_EQ(NstatLine("IpOutRequests", kMax),
            "IpOutRequests                   18446744073709551615   0.0\n");
}

TEST(NstatFormatTest, Json) {
  const std::vector<std::pair<std::string, uint64_t>> c = {
      {"IpInReceives", 826}, {"IpInHdrErrors", 0}, {"UdpNoPorts", 18446744073709551615ull}};
  EXPECT_EQ(FormatNstatJson(c, false),
            R"({"kernel":{"IpInReceives":826,"UdpNoPorts":18446744073709551615}})");
  EXPECT_EQ(FormatNstatJson(c, true),
            R"({"kernel":{"IpInReceives":826,"IpInHdrErrors":0,"UdpNoPorts":18446744073709551615}})");
  EXPECT_EQ(FormatNstatJson({}, false), R"({"kernel":{}})");
  EXPECT_EQ(FormatNstatJson({{"IpInReceives", 0}}, false), R"({"kernel":{}})");
  EXPECT_EQ(FormatNstatJson({{"IpInReceives", 0}}, true), R"({"kernel":{"IpInReceives":0}})");
}

TEST(NstatFormatTest, RegistrySnapshotFormats) {
  Mib<TestIpMib> ip;
  MibRegistry reg;
  reg.Add("Ip", kTestIpNames, ip.values());
  ip.Inc(TestIpMib::kInReceives, 826);
  ip.Inc(TestIpMib::kOutRequests, 2);
  EXPECT_EQ(FormatNstat(reg.Snapshot(), false),
            "#kernel\n" + NstatLine("IpInReceives", 826) + NstatLine("IpOutRequests", 2));
}

TEST(MibDeathTest, NamesAndValuesMustHaveTheSameLength) {
  uint64_t v[2] = {0, 0};
  EXPECT_DEATH(
      {
        MibRegistry reg;
        reg.Add("X", std::vector<std::string>{"a"}, v);
      },
      "check failed");
}

}  // namespace
}  // namespace usnet
