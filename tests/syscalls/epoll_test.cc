// epoll on usnet sockets: level- and edge-triggered, EPOLLONESHOT,
// EPOLLRDHUP, errors, and a blocking epoll_wait in a task.
#include <arpa/inet.h>
#include <sys/epoll.h>

#include "gtest/gtest.h"
#include "kernel/sched.h"
#include "syscalls/socket_api.h"
#include "tests/support/tcp_pair.h"

namespace usnet {
namespace {

using namespace testing;  // NOLINT

class EpollTest : public ::testing::Test {
 protected:
  void SetUp() override { p = ConnectPair(net); }
  void Send(const char* s) {
    ProcessScope in(net.proc_a);
    ASSERT_EQ(sys::send(p.client, s, strlen(s), 0), static_cast<ssize_t>(strlen(s)));
    net.RunFor(absl::Milliseconds(1));
  }
  int Wait(int ep, epoll_event* ev, int max = 8) {
    ProcessScope in(net.proc_b);
    return sys::epoll_wait(ep, ev, max, 0);
  }
  int Create(uint32_t events, int fd = -1) {
    ProcessScope in(net.proc_b);
    int ep = sys::epoll_create1(0);
    epoll_event e{};
    e.events = events;
    e.data.u64 = 42;
    EXPECT_EQ(sys::epoll_ctl(ep, EPOLL_CTL_ADD, fd < 0 ? p.server : fd, &e), 0);
    return ep;
  }
  TwoHosts net;
  TcpPair p;
};

TEST_F(EpollTest, LevelTriggeredReportsWhileReadable) {
  int ep = Create(EPOLLIN);
  epoll_event ev[8];
  EXPECT_EQ(Wait(ep, ev), 0);
  Send("abc");
  ASSERT_EQ(Wait(ep, ev), 1);
  EXPECT_EQ(ev[0].events, static_cast<uint32_t>(EPOLLIN));
  EXPECT_EQ(ev[0].data.u64, 42u);
  EXPECT_EQ(Wait(ep, ev), 1);  // still unread: reported again
  ProcessScope in(net.proc_b);
  char buf[8];
  EXPECT_EQ(sys::recv(p.server, buf, sizeof(buf), 0), 3);
  EXPECT_EQ(sys::epoll_wait(ep, ev, 8, 0), 0);
}

TEST_F(EpollTest, EdgeTriggeredReportsEachArrivalOnce) {
  int ep = Create(EPOLLIN | EPOLLET);
  epoll_event ev[8];
  Send("abc");
  EXPECT_EQ(Wait(ep, ev), 1);
  EXPECT_EQ(Wait(ep, ev), 0);  // no new edge, though still readable
  Send("def");
  EXPECT_EQ(Wait(ep, ev), 1);  // a new arrival is a new edge
}

TEST_F(EpollTest, OneshotDisablesUntilModified) {
  int ep = Create(EPOLLIN | EPOLLONESHOT);
  epoll_event ev[8];
  Send("abc");
  EXPECT_EQ(Wait(ep, ev), 1);
  Send("def");
  EXPECT_EQ(Wait(ep, ev), 0);
  ProcessScope in(net.proc_b);
  epoll_event e{};
  e.events = EPOLLIN | EPOLLONESHOT;
  ASSERT_EQ(sys::epoll_ctl(ep, EPOLL_CTL_MOD, p.server, &e), 0);
  EXPECT_EQ(sys::epoll_wait(ep, ev, 8, 0), 1);
}

TEST_F(EpollTest, PeerCloseGivesRdhup) {
  int ep = Create(EPOLLIN | EPOLLRDHUP | EPOLLET);
  {
    ProcessScope in(net.proc_a);
    ASSERT_EQ(sys::shutdown(p.client, SHUT_WR), 0);
  }
  net.RunFor(absl::Milliseconds(5));
  epoll_event ev[8];
  ASSERT_EQ(Wait(ep, ev), 1);
  EXPECT_TRUE(ev[0].events & EPOLLRDHUP);
  EXPECT_TRUE(ev[0].events & EPOLLIN);
}

TEST_F(EpollTest, ListenerIsReadableWithAPendingConnection) {
  int ep = Create(EPOLLIN, p.listener);
  epoll_event ev[8];
  EXPECT_EQ(Wait(ep, ev), 0);
  {
    ProcessScope in(net.proc_a);
    int c = sys::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    sockaddr_in to = SockAddr(TwoHosts::AddrB(), 8080);
    sys::connect(c, reinterpret_cast<sockaddr*>(&to), sizeof(to));
  }
  net.RunFor(absl::Milliseconds(5));
  EXPECT_EQ(Wait(ep, ev), 1);
}

TEST_F(EpollTest, CtlErrorsAndCloseRemovesTheItem) {
  ProcessScope in(net.proc_b);
  int ep = sys::epoll_create1(0);
  epoll_event e{};
  e.events = EPOLLIN;
  ASSERT_EQ(sys::epoll_ctl(ep, EPOLL_CTL_ADD, p.server, &e), 0);
  EXPECT_EQ(sys::epoll_ctl(ep, EPOLL_CTL_ADD, p.server, &e), -1);
  EXPECT_EQ(errno, EEXIST);
  EXPECT_EQ(sys::epoll_ctl(ep, EPOLL_CTL_MOD, p.listener, &e), -1);
  EXPECT_EQ(errno, ENOENT);
  EXPECT_EQ(sys::epoll_ctl(ep, EPOLL_CTL_ADD, ep, &e), -1);
  EXPECT_EQ(errno, EINVAL);
  EXPECT_EQ(sys::epoll_ctl(p.server, EPOLL_CTL_ADD, p.listener, &e), -1);
  EXPECT_EQ(errno, EINVAL);  // not an epoll descriptor
  EXPECT_EQ(sys::epoll_ctl(ep, 99, p.server, &e), -1);
  EXPECT_EQ(errno, EINVAL);
  EXPECT_EQ(sys::epoll_ctl(ep, EPOLL_CTL_ADD, 999, &e), -1);
  EXPECT_EQ(errno, EBADF);
  epoll_event ev[2];
  EXPECT_EQ(sys::epoll_wait(ep, ev, 0, 0), -1);
  EXPECT_EQ(errno, EINVAL);
  EXPECT_EQ(sys::epoll_create1(12345), -1);
  EXPECT_EQ(errno, EINVAL);
  EXPECT_EQ(sys::recv(ep, ev, 1, 0), -1);
  EXPECT_EQ(errno, ENOTSOCK);
  // Closing the socket drops it from the set.
  ASSERT_EQ(sys::close(p.server), 0);
  p.server = -1;
  EXPECT_EQ(sys::epoll_wait(ep, ev, 2, 0), 0);
  EXPECT_EQ(sys::epoll_ctl(ep, EPOLL_CTL_DEL, p.server, &e), -1);
}

TEST(Epoll, BlockingWaitInATaskWakesOnData) {
  TwoHosts net;
  TcpPair p = ConnectPair(net);
  std::string got;
  Scheduler s(net.loop);
  s.Spawn("reader", [&] {
    ProcessScope in(net.proc_b);
    int ep = sys::epoll_create1(0);
    epoll_event e{};
    e.events = EPOLLIN;
    sys::epoll_ctl(ep, EPOLL_CTL_ADD, p.server, &e);
    epoll_event ev[1];
    ASSERT_EQ(sys::epoll_wait(ep, ev, 1, -1), 1);  // blocks until the writer writes
    char buf[16];
    ssize_t n = sys::recv(p.server, buf, sizeof(buf), 0);
    got.assign(buf, static_cast<size_t>(std::max<ssize_t>(n, 0)));
  });
  s.Spawn("writer", [&] {
    ProcessScope in(net.proc_a);
    timeval tv{0, 0};
    (void)tv;
    pollfd none{};
    sys::poll(&none, 0, 250);  // sleep 250 ms of virtual time first
    sys::send(p.client, "later", 5, 0);
  });
  EXPECT_TRUE(s.Run(net.clock.Now() + absl::Seconds(10)));
  EXPECT_EQ(got, "later");
}

}  // namespace
}  // namespace usnet
