#include "net/ipv4/route.h"

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <random>
#include <vector>

#include "gtest/gtest.h"
#include "tests/support/fake_device.h"

namespace usnet {
namespace {

using testing::FakeDevice;

Ipv4Addr A(const char* s) { return *Ipv4Addr::Parse(s); }
Ipv4Prefix P(const char* s) { return *Ipv4Prefix::Parse(s); }

class FibTest : public ::testing::Test {
 protected:
  // Overlapping routes of every interesting length, each on its own device
  // so a lookup shows which one won.
  void AddOverlapping() {
    ASSERT_TRUE(fib_.Add({.dst = P("0.0.0.0/0"), .gateway = A("192.0.2.1"), .dev = &d0_}).ok());
    ASSERT_TRUE(fib_.Add({.dst = P("10.0.0.0/8"), .dev = &d8_}).ok());
    ASSERT_TRUE(fib_.Add({.dst = P("10.1.0.0/16"), .dev = &d16_}).ok());
    ASSERT_TRUE(fib_.Add({.dst = P("10.1.2.0/24"), .dev = &d24_}).ok());
    ASSERT_TRUE(fib_.Add({.dst = P("10.1.2.3/32"), .dev = &d32_}).ok());
  }
  NetDevice* DevFor(const char* addr) {
    const Route* r = fib_.Lookup(A(addr));
    return r ? r->dev : nullptr;
  }

  Fib fib_;
  FakeDevice d0_{"d0"}, d8_{"d8"}, d16_{"d16"}, d24_{"d24"}, d32_{"d32"};
};

TEST_F(FibTest, EmptyTableFindsNothing) {
  EXPECT_EQ(fib_.Lookup(A("10.0.0.1")), nullptr);
  EXPECT_EQ(fib_.Lookup(A("0.0.0.0")), nullptr);
  EXPECT_TRUE(fib_.Dump().empty());
  EXPECT_EQ(fib_.Format(), "");
}

TEST_F(FibTest, LongestPrefixWins) {
  AddOverlapping();
  EXPECT_EQ(DevFor("10.1.2.3"), &d32_);
  EXPECT_EQ(DevFor("10.1.2.4"), &d24_);
  EXPECT_EQ(DevFor("10.1.2.0"), &d24_);
  EXPECT_EQ(DevFor("10.1.2.255"), &d24_);
  EXPECT_EQ(DevFor("10.1.3.3"), &d16_);
  EXPECT_EQ(DevFor("10.1.255.255"), &d16_);
  EXPECT_EQ(DevFor("10.2.2.3"), &d8_);
  EXPECT_EQ(DevFor("10.255.255.255"), &d8_);
  EXPECT_EQ(DevFor("11.1.2.3"), &d0_);
  EXPECT_EQ(DevFor("9.255.255.255"), &d0_);
  EXPECT_EQ(DevFor("0.0.0.0"), &d0_);
  EXPECT_EQ(DevFor("255.255.255.255"), &d0_);
  const Route* def = fib_.Lookup(A("8.8.8.8"));
  ASSERT_NE(def, nullptr);
  EXPECT_EQ(def->gateway, A("192.0.2.1"));
  EXPECT_EQ(def->dst.len, 0);
}

TEST_F(FibTest, WithoutDefaultOtherDestinationsHaveNoRoute) {
  ASSERT_TRUE(fib_.Add({.dst = P("10.0.0.0/8"), .dev = &d8_}).ok());
  EXPECT_EQ(DevFor("10.9.9.9"), &d8_);
  EXPECT_EQ(fib_.Lookup(A("11.0.0.0")), nullptr);
}

TEST_F(FibTest, NonContiguousLengths) {
  ASSERT_TRUE(fib_.Add({.dst = P("172.16.0.0/12"), .dev = &d8_}).ok());
  ASSERT_TRUE(fib_.Add({.dst = P("172.16.0.0/31"), .dev = &d32_}).ok());
  ASSERT_TRUE(fib_.Add({.dst = P("128.0.0.0/1"), .dev = &d0_}).ok());
  EXPECT_EQ(DevFor("172.16.0.0"), &d32_);
  EXPECT_EQ(DevFor("172.16.0.1"), &d32_);
  EXPECT_EQ(DevFor("172.16.0.2"), &d8_);
  EXPECT_EQ(DevFor("172.31.255.255"), &d8_);
  EXPECT_EQ(DevFor("172.32.0.0"), &d0_);
  EXPECT_EQ(DevFor("127.255.255.255"), nullptr);
}

TEST_F(FibTest, AddStoresTheNetworkAddress) {
  ASSERT_TRUE(fib_.Add({.dst = P("10.1.2.3/16"), .dev = &d16_}).ok());
  std::vector<Route> routes = fib_.Dump();
  ASSERT_EQ(routes.size(), 1u);
  EXPECT_EQ(routes[0].dst, P("10.1.0.0/16"));
  EXPECT_EQ(DevFor("10.1.200.1"), &d16_);
  // The same prefix written with other host bits is the same route.
  EXPECT_EQ(fib_.Add({.dst = P("10.1.9.9/16"), .dev = &d8_}).code(),
            absl::StatusCode::kAlreadyExists);
  // And removing it that way works too.
  EXPECT_TRUE(fib_.Remove(P("10.1.255.255/16")));
  EXPECT_EQ(fib_.Lookup(A("10.1.200.1")), nullptr);
}

TEST_F(FibTest, LowestMetricWins) {
  ASSERT_TRUE(fib_.Add({.dst = P("10.0.0.0/24"), .dev = &d8_, .metric = 100}).ok());
  ASSERT_TRUE(fib_.Add({.dst = P("10.0.0.0/24"), .dev = &d16_, .metric = 50}).ok());
  ASSERT_TRUE(fib_.Add({.dst = P("10.0.0.0/24"), .dev = &d24_, .metric = 200}).ok());
  const Route* r = fib_.Lookup(A("10.0.0.9"));
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->dev, &d16_);
  EXPECT_EQ(r->metric, 50);

  ASSERT_TRUE(fib_.Remove(P("10.0.0.0/24"), 50));
  EXPECT_EQ(DevFor("10.0.0.9"), &d8_);
  ASSERT_TRUE(fib_.Remove(P("10.0.0.0/24"), 100));
  EXPECT_EQ(DevFor("10.0.0.9"), &d24_);
  ASSERT_TRUE(fib_.Remove(P("10.0.0.0/24"), 200));
  EXPECT_EQ(fib_.Lookup(A("10.0.0.9")), nullptr);
}

TEST_F(FibTest, PrefixLengthBeatsMetric) {
  // Linux: longest prefix first, metric only breaks ties within a prefix.
  ASSERT_TRUE(fib_.Add({.dst = P("10.0.0.0/8"), .dev = &d8_, .metric = 0}).ok());
  ASSERT_TRUE(fib_.Add({.dst = P("10.0.0.0/24"), .dev = &d24_, .metric = 1000}).ok());
  EXPECT_EQ(DevFor("10.0.0.1"), &d24_);
}

TEST_F(FibTest, DuplicateAddIsAnError) {
  ASSERT_TRUE(fib_.Add({.dst = P("10.0.0.0/24"), .dev = &d24_, .metric = 5}).ok());
  absl::Status s = fib_.Add({.dst = P("10.0.0.0/24"), .dev = &d8_, .metric = 5});
  EXPECT_EQ(s.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_NE(s.message().find("10.0.0.0/24"), absl::string_view::npos) << s.message();
  EXPECT_EQ(DevFor("10.0.0.1"), &d24_) << "the first route stays";
  EXPECT_EQ(fib_.Dump().size(), 1u);
  // Another metric is another route.
  EXPECT_TRUE(fib_.Add({.dst = P("10.0.0.0/24"), .dev = &d8_, .metric = 6}).ok());
  EXPECT_EQ(fib_.Dump().size(), 2u);
}

TEST_F(FibTest, AddRefusesBadRoutes) {
  EXPECT_EQ(fib_.Add({.dst = P("10.0.0.0/24"), .dev = nullptr}).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(fib_.Add({.dst = {A("10.0.0.0"), 33}, .dev = &d8_}).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(fib_.Add({.dst = {A("10.0.0.0"), -1}, .dev = &d8_}).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(fib_.Dump().empty());
}

TEST_F(FibTest, RemoveOnlyWhatMatchesExactly) {
  AddOverlapping();
  EXPECT_FALSE(fib_.Remove(P("10.1.0.0/17")));     // no /17 at all
  EXPECT_FALSE(fib_.Remove(P("10.2.0.0/16")));     // /16 exists, not this one
  EXPECT_FALSE(fib_.Remove(P("10.1.0.0/16"), 7));  // wrong metric
  EXPECT_EQ(fib_.Dump().size(), 5u);

  EXPECT_TRUE(fib_.Remove(P("10.1.2.3/32")));
  EXPECT_EQ(DevFor("10.1.2.3"), &d24_);
  EXPECT_FALSE(fib_.Remove(P("10.1.2.3/32"))) << "already gone";
  EXPECT_TRUE(fib_.Remove(P("10.1.2.0/24")));
  EXPECT_EQ(DevFor("10.1.2.3"), &d16_);
  EXPECT_TRUE(fib_.Remove(P("0.0.0.0/0")));
  EXPECT_EQ(fib_.Lookup(A("8.8.8.8")), nullptr);
  EXPECT_EQ(DevFor("10.1.2.3"), &d16_);
  EXPECT_EQ(fib_.Dump().size(), 2u);
}

TEST_F(FibTest, RemovingOneOfTwoSameLengthRoutesKeepsTheOther) {
  ASSERT_TRUE(fib_.Add({.dst = P("10.0.1.0/24"), .dev = &d8_}).ok());
  ASSERT_TRUE(fib_.Add({.dst = P("10.0.2.0/24"), .dev = &d16_}).ok());
  ASSERT_TRUE(fib_.Remove(P("10.0.1.0/24")));
  EXPECT_EQ(fib_.Lookup(A("10.0.1.1")), nullptr);
  EXPECT_EQ(DevFor("10.0.2.1"), &d16_);
  // Re-adding after removal works.
  ASSERT_TRUE(fib_.Add({.dst = P("10.0.1.0/24"), .dev = &d24_}).ok());
  EXPECT_EQ(DevFor("10.0.1.1"), &d24_);
}

TEST_F(FibTest, RemoveRefusesBadPrefixLengths) {
  // Add validates the length; Remove must too rather than index past its
  // per-length tables. Run in a child so a crash fails only this test.
  ASSERT_TRUE(fib_.Add({.dst = P("10.0.0.0/8"), .dev = &d8_}).ok());
  EXPECT_EXIT(std::exit(fib_.Remove({A("10.0.0.0"), 33}) ? 1 : 0), ::testing::ExitedWithCode(0),
              "");
  EXPECT_EXIT(std::exit(fib_.Remove({A("10.0.0.0"), -1}) ? 1 : 0), ::testing::ExitedWithCode(0),
              "");
}

TEST_F(FibTest, AddAfterAMissedLookupIsSeen) {
  // A lookup that found nothing must not keep answering "nothing".
  EXPECT_EQ(fib_.Lookup(A("10.0.0.1")), nullptr);
  ASSERT_TRUE(fib_.Add({.dst = P("10.0.0.0/8"), .dev = &d8_}).ok());
  EXPECT_EQ(DevFor("10.0.0.1"), &d8_);
}

TEST_F(FibTest, MoreSpecificOrCheaperRouteTakesOverAtOnce) {
  ASSERT_TRUE(fib_.Add({.dst = P("10.0.0.0/8"), .dev = &d8_, .metric = 10}).ok());
  EXPECT_EQ(DevFor("10.1.2.3"), &d8_);
  ASSERT_TRUE(fib_.Add({.dst = P("10.1.0.0/16"), .dev = &d16_}).ok());
  EXPECT_EQ(DevFor("10.1.2.3"), &d16_);
  ASSERT_TRUE(fib_.Add({.dst = P("10.0.0.0/8"), .dev = &d0_, .metric = 5}).ok());
  EXPECT_EQ(DevFor("10.2.0.1"), &d0_);
  ASSERT_TRUE(fib_.Remove(P("10.1.0.0/16")));
  EXPECT_EQ(DevFor("10.1.2.3"), &d0_);
  ASSERT_TRUE(fib_.Remove(P("10.0.0.0/8"), 5));
  EXPECT_EQ(DevFor("10.1.2.3"), &d8_);
  EXPECT_EQ(DevFor("10.2.0.1"), &d8_);
}

TEST_F(FibTest, LookupStaysValidWhileOtherRoutesComeAndGo) {
  // Lookup returns a pointer into the table: it must point at the winning
  // route even after unrelated prefixes (other hash buckets) change.
  ASSERT_TRUE(fib_.Add({.dst = P("10.1.2.0/24"), .dev = &d24_}).ok());
  EXPECT_EQ(DevFor("10.1.2.9"), &d24_);
  for (int i = 0; i < 200; ++i) {
    const Ipv4Prefix p{Ipv4Addr::FromOctets(172, 16, static_cast<uint8_t>(i), 0), 24};
    ASSERT_TRUE(fib_.Add({.dst = p, .dev = &d16_}).ok());
  }
  const Route* r = fib_.Lookup(A("10.1.2.9"));
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->dev, &d24_);
  EXPECT_EQ(r->dst, P("10.1.2.0/24"));
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(fib_.Remove({Ipv4Addr::FromOctets(172, 16, static_cast<uint8_t>(i), 0), 24}));
  }
  r = fib_.Lookup(A("10.1.2.9"));
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->dev, &d24_);
}

TEST_F(FibTest, ACopyAnswersFromItsOwnRoutes) {
  auto original = std::make_unique<Fib>();
  ASSERT_TRUE(original->Add({.dst = P("10.0.0.0/8"), .dev = &d8_}).ok());
  ASSERT_NE(original->Lookup(A("10.9.9.9")), nullptr);  // fills its lookup cache
  const Fib copy = *original;
  original.reset();  // a route pointer into the original would now dangle
  const Route* r = copy.Lookup(A("10.9.9.9"));
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->dev, &d8_);
  EXPECT_EQ(r->dst, P("10.0.0.0/8"));
}

// A brute-force model: longest prefix, then lowest metric.
struct ModelRoute {
  Ipv4Prefix dst;
  int metric;
  NetDevice* dev;
};
const ModelRoute* ModelLookup(const std::vector<ModelRoute>& m, Ipv4Addr a) {
  const ModelRoute* best = nullptr;
  for (const ModelRoute& r : m) {
    if (!r.dst.Contains(a)) continue;
    if (best == nullptr || r.dst.len > best->dst.len ||
        (r.dst.len == best->dst.len && r.metric < best->metric)) {
      best = &r;
    }
  }
  return best;
}

TEST_F(FibTest, AgreesWithABruteForceModelUnderRandomChanges) {
  std::mt19937 rng(2024);
  NetDevice* devs[] = {&d0_, &d8_, &d16_, &d24_, &d32_};
  const int lens[] = {0, 8, 12, 16, 20, 24, 28, 30, 32};
  // Addresses from a small pool so prefixes overlap and lookups repeat
  // (and collide in any small cache).
  std::vector<Ipv4Addr> pool;
  for (int i = 0; i < 64; ++i) {
    pool.push_back(Ipv4Addr(0x0a000000u | (rng() & 0x0003ff0fu)));
  }
  std::vector<ModelRoute> model;
  for (int step = 0; step < 20000; ++step) {
    const Ipv4Addr a = pool[rng() % pool.size()];
    const int op = static_cast<int>(rng() % 10);
    if (op < 2) {
      const int len = lens[rng() % 9];
      const Ipv4Prefix q{Ipv4Addr(a.value() & Ipv4Prefix::MaskOf(len)), len};
      const int metric = static_cast<int>(rng() % 3);
      NetDevice* dev = devs[rng() % 5];
      const bool exists = std::any_of(model.begin(), model.end(), [&](const ModelRoute& r) {
        return r.dst == q && r.metric == metric;
      });
      absl::Status s = fib_.Add({.dst = q, .dev = dev, .metric = metric});
      ASSERT_EQ(s.ok(), !exists) << step << " " << q.ToString() << " " << s;
      if (!exists) model.push_back({q, metric, dev});
    } else if (op < 4 && !model.empty()) {
      const size_t i = rng() % model.size();
      ASSERT_TRUE(fib_.Remove(model[i].dst, model[i].metric)) << step;
      model.erase(model.begin() + static_cast<std::ptrdiff_t>(i));
    } else {
      const Route* got = fib_.Lookup(a);
      const ModelRoute* want = ModelLookup(model, a);
      if (want == nullptr) {
        ASSERT_EQ(got, nullptr) << step << " " << a.ToString();
      } else {
        ASSERT_NE(got, nullptr) << step << " " << a.ToString();
        ASSERT_EQ(got->dst, want->dst) << step << " " << a.ToString();
        ASSERT_EQ(got->metric, want->metric) << step << " " << a.ToString();
        ASSERT_EQ(got->dev, want->dev) << step << " " << a.ToString();
      }
    }
  }
  EXPECT_EQ(fib_.Dump().size(), model.size());
}

TEST_F(FibTest, DumpIsLongestPrefixFirstThenAddressThenMetric) {
  ASSERT_TRUE(fib_.Add({.dst = P("10.0.0.0/8"), .dev = &d8_}).ok());
  ASSERT_TRUE(fib_.Add({.dst = P("0.0.0.0/0"), .gateway = A("10.0.0.1"), .dev = &d0_}).ok());
  ASSERT_TRUE(fib_.Add({.dst = P("192.168.0.0/24"), .dev = &d24_, .metric = 20}).ok());
  ASSERT_TRUE(fib_.Add({.dst = P("192.168.0.0/24"), .dev = &d16_, .metric = 10}).ok());
  ASSERT_TRUE(fib_.Add({.dst = P("10.0.0.0/24"), .dev = &d24_}).ok());
  ASSERT_TRUE(fib_.Add({.dst = P("10.0.0.2/32"), .dev = &d32_}).ok());
  std::vector<std::string> got;
  for (const Route& r : fib_.Dump()) got.push_back(r.dst.ToString() + "@" + r.dev->name());
  EXPECT_EQ(got, (std::vector<std::string>{"10.0.0.2/32@d32", "10.0.0.0/24@d24",
                                           "192.168.0.0/24@d16", "192.168.0.0/24@d24",
                                           "10.0.0.0/8@d8", "0.0.0.0/0@d0"}));
}

TEST_F(FibTest, FormatLooksLikeIpRouteShow) {
  FakeDevice eth0("eth0"), lo("lo", DeviceType::kLoopback);
  ASSERT_TRUE(fib_.Add({.dst = P("0.0.0.0/0"), .gateway = A("10.0.0.1"), .dev = &eth0,
                        .metric = 100})
                  .ok());
  ASSERT_TRUE(fib_.Add({.dst = P("10.0.0.0/24"), .dev = &eth0, .prefsrc = A("10.0.0.2")}).ok());
  ASSERT_TRUE(fib_.Add({.dst = P("10.0.0.2/32"),
                        .dev = &eth0,
                        .prefsrc = A("10.0.0.2"),
                        .type = RouteType::kLocal})
                  .ok());
  ASSERT_TRUE(fib_.Add({.dst = P("10.0.0.255/32"),
                        .dev = &eth0,
                        .prefsrc = A("10.0.0.2"),
                        .type = RouteType::kBroadcast})
                  .ok());
  ASSERT_TRUE(fib_.Add({.dst = P("127.0.0.0/8"), .dev = &lo, .type = RouteType::kLocal}).ok());
  EXPECT_EQ(fib_.Format(),
            "local 10.0.0.2 dev eth0 src 10.0.0.2\n"
            "broadcast 10.0.0.255 dev eth0 src 10.0.0.2\n"
            "10.0.0.0/24 dev eth0 src 10.0.0.2\n"
            "local 127.0.0.0/8 dev lo\n"
            "default via 10.0.0.1 dev eth0 metric 100\n");
}

}  // namespace
}  // namespace usnet
