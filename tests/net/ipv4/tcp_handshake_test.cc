// TCP three-way handshake, both sides, as packet scripts.
#include <arpa/inet.h>

#include "gtest/gtest.h"
#include "net/ipv4/tcp.h"
#include "syscalls/socket_api.h"
#include "tests/support/tcp_script.h"

namespace usnet {
namespace {

using namespace testing;  // NOLINT

TEST(TcpHandshake, PassiveOpenAnswersSynWithLinuxOptions) {
  TcpScript s;
  int l = s.Listen(8080);
  s.Inject(0, {.flags = kS, .seq = 1000, .opts = SynOpts(1460, 7, true, true, 100, 0)});
  // SYN-ACK: our MSS 1460, SACK, TS echoing 100, wscale 7, window 64240
  // (Linux 6.x: tcp_rmem[1]/2 rounded down to the MSS less timestamps).
  TcpOptions want = SynOpts(1460, 7, true, true);
  s.Expect(0, {.flags = kSA, .seq = 0, .ack = 1001, .win = 65160, .opts = want});
  s.Inject(5, {.flags = kA, .seq = 1001, .ack = 1, .opts = TcpOptions{.has_timestamp = true, .tsval = 105, .tsecr = s.our_tsval()}});
  int fd = s.Accept(l);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(s.host.tcp().mib[TcpMib::kPassiveOpens], 1u);
  EXPECT_EQ(s.host.tcp().mib[TcpMib::kCurrEstab], 1u);
  s.ExpectNothing(1000);
}

TEST(TcpHandshake, ActiveOpenSendsSynAndCompletes) {
  TcpScript s;
  int fd = s.Socket();
  {
    ProcessScope in(s.proc);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(40000);
    to.sin_addr.s_addr = htonl(0x0a000001);
    EXPECT_EQ(sys::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof(to)), -1);
    EXPECT_EQ(errno, EINPROGRESS);
    EXPECT_EQ(sys::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof(to)), -1);
    EXPECT_EQ(errno, EALREADY);
  }
  s.Expect(0, {.flags = kS, .seq = 0, .win = 64240, .opts = SynOpts(1460, 7, true, true), .sport = 40000});
  EXPECT_EQ(s.host.tcp().mib[TcpMib::kActiveOpens], 1u);
}

}  // namespace
}  // namespace usnet
