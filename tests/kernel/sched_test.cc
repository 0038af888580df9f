#include "kernel/sched.h"

#include <arpa/inet.h>

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "syscalls/socket_api.h"
#include "tests/support/two_hosts.h"

namespace usnet {
namespace {

using testing::SockAddr;
using testing::TwoHosts;

TEST(Scheduler, TasksRunOneAtATimeInOrder) {
  ManualClock clock;
  EventLoop loop(clock);
  std::vector<std::string> log;
  {
    Scheduler s(loop);
    s.Spawn("a", [&] { log.push_back("a1"); });
    s.Spawn("b", [&] { log.push_back("b1"); });
    EXPECT_TRUE(s.Run(clock.Now() + absl::Seconds(1)));
  }
  EXPECT_EQ(log, (std::vector<std::string>{"a1", "b1"}));
}

TEST(Scheduler, BlockedTaskWakesOnTimerInVirtualTime) {
  ManualClock clock;
  EventLoop loop(clock);
  bool fired = false;
  Timer t([](void* c) { *static_cast<bool*>(c) = true; }, &fired);
  Scheduler s(loop);
  absl::Time woke;
  s.Spawn("waiter", [&] {
    EXPECT_EQ(Scheduler::Current()->Block([&] { return fired; }, absl::InfiniteFuture()), Scheduler::Wake::kReady);
    woke = clock.Now();
  });
  loop.timers().Arm(t, clock.Now() + absl::Seconds(30));
  EXPECT_TRUE(s.Run(clock.Now() + absl::Minutes(1)));
  EXPECT_EQ(woke, absl::UnixEpoch() + absl::Seconds(30));
}

TEST(Scheduler, NothingCanHappenMeansDeadlockNotHang) {
  ManualClock clock;
  EventLoop loop(clock);
  Scheduler::Wake w = Scheduler::Wake::kReady;
  {
    Scheduler s(loop);
    s.Spawn("stuck", [&] { w = Scheduler::Current()->Block([] { return false; }, absl::InfiniteFuture()); });
    EXPECT_TRUE(s.Run(absl::InfiniteFuture()));
  }
  EXPECT_EQ(w, Scheduler::Wake::kDeadlock);
}

// The point of it all: a blocking server thread and a blocking client
// thread on two hosts, in one process, in virtual time.
TEST(Scheduler, BlockingTcpServerAndClientThreads) {
  TwoHosts net;
  std::string got;
  Scheduler s(net.loop);
  s.Spawn("server", [&] {
    ProcessScope in(net.proc_b);
    int l = sys::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in any = SockAddr(Ipv4Addr(), 7);
    ASSERT_EQ(sys::bind(l, reinterpret_cast<sockaddr*>(&any), sizeof(any)), 0);
    ASSERT_EQ(sys::listen(l, 8), 0);
    int c = sys::accept(l, nullptr, nullptr);  // blocks
    ASSERT_GE(c, 0);
    char buf[64];
    ssize_t n;
    while ((n = sys::read(c, buf, sizeof(buf))) > 0) sys::write(c, buf, static_cast<size_t>(n));  // echo
    sys::close(c);
    sys::close(l);
  });
  s.Spawn("client", [&] {
    ProcessScope in(net.proc_a);
    int fd = sys::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in to = SockAddr(TwoHosts::AddrB(), 7);
    ASSERT_EQ(sys::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof(to)), 0);  // blocks
    ASSERT_EQ(sys::write(fd, "ping", 4), 4);
    char buf[4];
    size_t have = 0;
    while (have < 4) {
      ssize_t n = sys::read(fd, buf + have, 4 - have);
      ASSERT_GT(n, 0);
      have += static_cast<size_t>(n);
    }
    got.assign(buf, 4);
    sys::close(fd);
  });
  EXPECT_TRUE(s.Run(net.clock.Now() + absl::Minutes(1)));
  EXPECT_EQ(got, "ping");
}

}  // namespace
}  // namespace usnet
