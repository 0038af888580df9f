// The userland programs on two usnet hosts, as blocking programs in tasks.
#include "userland/programs.h"

#include "gtest/gtest.h"
#include "kernel/sched.h"
#include "net/ipv4/tcp.h"
#include "tests/support/two_hosts.h"

namespace usnet {
namespace {

using testing::TwoHosts;

int RunProgram(Process& p, const std::string& cmd) {
  ProcessScope in(p);
  return userland::RunCommandLine(cmd);
}

TEST(Userland, EchoServerAndClient) {
  TwoHosts net;
  int server_rc = -1, client_rc = -1;
  {
    Scheduler s(net.loop);
    s.Spawn("server", [&] { server_rc = RunProgram(net.proc_b, "echo-server --port 7 --max-conns 3"); });
    s.Spawn("client", [&] { client_rc = RunProgram(net.proc_a, "echo-client --host 10.0.0.2 --port 7 --bytes 300000 --conns 3"); });
    EXPECT_TRUE(s.Run(net.clock.Now() + absl::Minutes(5)));
  }
  EXPECT_EQ(client_rc, 0);
  EXPECT_EQ(server_rc, 0);
}

TEST(Userland, HttpKeepAliveAndCloseModes) {
  TwoHosts net;
  int server_rc = -1, keep_rc = -1, close_rc = -1;
  {
    Scheduler s(net.loop);
    s.Spawn("server", [&] { server_rc = RunProgram(net.proc_b, "http-server --port 8080 --max-requests 40"); });
    s.Spawn("keepalive", [&] {
      keep_rc = RunProgram(net.proc_a, "http-client --host 10.0.0.2 --port 8080 --path /bytes/100000 --requests 20");
    });
    s.Spawn("close", [&] {
      close_rc = RunProgram(net.proc_a, "http-client --host 10.0.0.2 --port 8080 --path / --requests 20 --close");
    });
    EXPECT_TRUE(s.Run(net.clock.Now() + absl::Minutes(5)));
  }
  EXPECT_EQ(keep_rc, 0);
  EXPECT_EQ(close_rc, 0);
  EXPECT_EQ(server_rc, 0);
  // 1 keep-alive connection + 20 one-shot ones.
  EXPECT_EQ(net.b.tcp().mib[TcpMib::kPassiveOpens], 21u);
}

TEST(Userland, BadFlagsAreOneLineErrorsWithStatus2) {
  TwoHosts net;
  EXPECT_EQ(RunProgram(net.proc_a, "http-client --bogus 1"), 2);
  EXPECT_EQ(RunProgram(net.proc_a, "echo-client --port x"), 2);
  EXPECT_EQ(RunProgram(net.proc_a, "no-such-program"), 2);
}

}  // namespace
}  // namespace usnet
