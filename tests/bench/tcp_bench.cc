// TCP end to end: usnet between two embedded hosts, beside the same program
// on Linux loopback sockets, in the same run so the ratio is honest.
//
//   usnet_bench --benchmark_filter=Tcp --benchmark_repetitions=5
//               --benchmark_report_aggregates_only=true
//   USNET_BENCH_CONNS=1000000 usnet_bench --benchmark_filter=TcpIdleConns
//
// usnet: hosts a (10.0.0.1, client) and b (10.0.0.2, server) on a memlink
// wire, real-time clock, one thread: the benchmark calls usnet::sys on
// nonblocking sockets and runs event loop rounds (EventLoop::RunOnce) when a
// call would block, so all of both stacks' work happens on the calling core.
// Linux: a connected loopback TCP pair in this process; the _Linux cases
// run the same single-threaded program on nonblocking sockets (a loopback
// send runs the receiver's whole input path inside the syscall, so this too
// keeps everything on one core); the _Linux2T cases put the peer on a second
// thread with blocking calls, the shape of iperf3 and of a two-process
// ping-pong, for comparison with such figures.
//
//   BM_TcpBulk_*/W[/mtu]        client -> server, W-byte writes, 64 KiB reads;
//                               counter Gbit/s (payload bits / wall time).
//                               usnet's second argument is the memlink MTU
//                               (65535 matches Linux lo's 65536; 1500 as
//                               Ethernet).
//   BM_TcpPingPong64_*          64 bytes there and back, TCP_NODELAY on
//                               both ends; counter rt/s.
//   BM_TcpConnAcceptClose_*     nonblocking connect + accept + close, the
//                               client with SO_LINGER {1,0} (RST, no
//                               TIME_WAIT); counter conn/s.
//   BM_TcpIdleConns             opens USNET_BENCH_CONNS (default 10000)
//                               idle established connections between the two
//                               hosts and reports heap bytes per endpoint.
//
// Each rate also comes as NAME@cpu: per CPU second of the process.
//
// Every case checks itself: bytes received == bytes sent (the content is
// verified on a warm-up transfer before timing), every round trip returns
// 64 bytes, every connection is accepted and leaves no socket behind; a
// failure ends the case with SkipWithError.
#include <arpa/inet.h>
#include <fcntl.h>
#include <malloc.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "benchmark/benchmark.h"
#include "kernel/check.h"
#include "net/ipv4/tcp.h"
#include "net/ipv4/tcp_cong.h"
#include "syscalls/epoll.h"
#include "syscalls/process.h"
#include "syscalls/socket_api.h"
#include "tools/lib/lab.h"

namespace usnet {
namespace {

constexpr uint16_t kServerPort = 5201;
constexpr size_t kReadSize = 65536;
constexpr size_t kBulkIterBytes = size_t{4} << 20;  // one benchmark iteration
constexpr size_t kVerifyBytes = size_t{2} << 20;    // warm-up, content checked
constexpr size_t kPatternPeriod = 251;              // prime: no write size divides it

using SteadyClock = std::chrono::steady_clock;

double Seconds(SteadyClock::time_point a, SteadyClock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

double ProcessCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// Wall time and the process's CPU time over the timed loop. The machine is
// shared, so a rate is reported twice: per wall second (what a user sees)
// and per CPU second of this process (less disturbed by other load; note
// that Linux may charge softirq work to no task, so its CPU figure can be
// flattering).
struct Stopwatch {
  SteadyClock::time_point wall0 = SteadyClock::now();
  double cpu0 = ProcessCpuSeconds();
  double wall = 0, cpu = 0;
  void Stop() {
    wall = Seconds(wall0, SteadyClock::now());
    cpu = ProcessCpuSeconds() - cpu0;
  }
  void Report(benchmark::State& state, const std::string& name, double amount) const {
    state.counters[name] = amount / wall;
    state.counters[name + "@cpu"] = amount / cpu;
  }
};

uint8_t PatternByte(uint64_t stream_offset) {
  return static_cast<uint8_t>(stream_offset % kPatternPeriod * 3 + 1);
}

// A send buffer from which any stream offset's next `w` bytes can be taken
// without computing them: pattern + offset % period.
std::vector<uint8_t> MakePattern(size_t w) {
  std::vector<uint8_t> v(w + kPatternPeriod);
  for (size_t i = 0; i < v.size(); ++i) v[i] = PatternByte(i);
  return v;
}

bool CheckPattern(const uint8_t* p, size_t n, uint64_t stream_offset) {
  for (size_t i = 0; i < n; ++i) {
    if (p[i] != PatternByte(stream_offset + i)) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------
// The two sides behind one interface, so each case is written once.

// usnet: two hosts on a memlink wire; a syscall would block -> run a round.
class UsnetSide {
 public:
  explicit UsnetSide(uint32_t mtu = 65535) {
    LabOptions o;
    o.mtu = mtu;
    o.realtime = true;
    if (const char* pcap = std::getenv("USNET_BENCH_PCAP")) o.pcap_path = pcap;
    auto lab = Lab::Create(o);
    USNET_CHECK(lab.ok());
    lab_ = std::move(*lab);
  }
  ~UsnetSide() {
    if (std::getenv("USNET_BENCH_DEBUG") != nullptr) {
      for (Stack* st : {&lab_->a(), &lab_->b()}) {
        for (const auto& [name, v] : st->Counters()) {
          if (v != 0 && (name.starts_with("Tcp") || name.starts_with("Drop")))
            std::fprintf(stderr, "%s %s %llu\n", st->name().c_str(), name.c_str(),
                         (unsigned long long)v);
        }
      }
    }
    CloseAll();
  }

  Lab& lab() { return *lab_; }
  // Client calls run on host a, server calls on host b.
  Process& client() { return lab_->proc_a(); }
  Process& server() { return lab_->proc_b(); }
  void Pump() { lab_->loop().RunOnce(); }

  // Listener on b, then a connected nonblocking pair. Returns "" or why not.
  std::string Connect(bool nodelay) {
    {
      ProcessScope in(server());
      listener_ = sys::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
      sockaddr_in sa = Addr(0, kServerPort);
      if (sys::bind(listener_, Sa(sa), sizeof(sa)) != 0 || sys::listen(listener_, 128) != 0)
        return "listen failed";
    }
    int c = -1;
    std::string err = Open(&c);
    if (!err.empty()) return err;
    int s = -1;
    for (int i = 0; i < 100000 && s < 0; ++i) {
      Pump();
      ProcessScope in(server());
      s = sys::accept4(listener_, nullptr, nullptr, SOCK_NONBLOCK);
    }
    if (s < 0) return "accept never returned";
    for (int i = 0; i < 100 && !Writable(c); ++i) Pump();
    if (!Writable(c)) return "connect never completed";
    client_fd = c;
    server_fd = s;
    if (nodelay) {
      int one = 1;
      ProcessScope in_c(client());
      sys::setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
      ProcessScope in_s(server());
      sys::setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    }
    return "";
  }

  // A nonblocking connect from a to the listener: EINPROGRESS expected.
  std::string Open(int* fd) {
    ProcessScope in(client());
    *fd = sys::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    sockaddr_in to = Addr(Lab::kAddrB, kServerPort);
    if (*fd < 0) return "socket failed";
    if (sys::connect(*fd, Sa(to), sizeof(to)) == 0) return "";
    return errno == EINPROGRESS ? "" : std::string("connect: ") + strerror(errno);
  }

  bool Writable(int c) {
    ProcessScope in(client());
    pollfd p{c, POLLOUT, 0};
    return sys::poll(&p, 1, 0) == 1 && (p.revents & POLLOUT) && !(p.revents & (POLLERR | POLLHUP));
  }

  ssize_t ClientSend(const void* p, size_t n) {
    ProcessScope in(client());
    return sys::send(client_fd, p, n, MSG_NOSIGNAL);
  }
  ssize_t ServerSend(const void* p, size_t n) {
    ProcessScope in(server());
    return sys::send(server_fd, p, n, MSG_NOSIGNAL);
  }
  ssize_t ClientRecv(void* p, size_t n) {
    ProcessScope in(client());
    return sys::recv(client_fd, p, n, 0);
  }
  ssize_t ServerRecv(void* p, size_t n) {
    ProcessScope in(server());
    return sys::recv(server_fd, p, n, 0);
  }
  int Accept() {
    ProcessScope in(server());
    return sys::accept4(listener_, nullptr, nullptr, SOCK_NONBLOCK);
  }
  int CloseClient(int fd) {
    ProcessScope in(client());
    return sys::close(fd);
  }
  int CloseServer(int fd) {
    ProcessScope in(server());
    return sys::close(fd);
  }
  // Full sockets beyond Connect's three (listener, client, server).
  size_t Leftover() { return lab_->a().tcp().socket_count() + lab_->b().tcp().socket_count() - 3; }

  void CloseAll() {
    if (client_fd >= 0) CloseClient(client_fd);
    if (server_fd >= 0) CloseServer(server_fd);
    if (listener_ >= 0) CloseServer(listener_);
    client_fd = server_fd = listener_ = -1;
    lab_->loop().RunFor(absl::Milliseconds(1));
  }

  static sockaddr_in Addr(const char* ip, uint16_t port) {
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    if (ip != nullptr) inet_pton(AF_INET, ip, &sa.sin_addr);
    return sa;
  }
  static sockaddr* Sa(sockaddr_in& sa) { return reinterpret_cast<sockaddr*>(&sa); }

  int client_fd = -1, server_fd = -1;

 private:
  std::unique_ptr<Lab> lab_;
  int listener_ = -1;
};

// Linux: a loopback pair in this process; nothing to pump (a loopback send
// delivers to the peer socket inside the syscall).
class LinuxSide {
 public:
  ~LinuxSide() { CloseAll(); }
  void Pump() {}

  std::string Connect(bool nodelay, bool nonblock = true) {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int one = 1;
    ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sa.sin_port = 0;  // any free port: other runs may hold one
    if (::bind(listener_, UsnetSide::Sa(sa), sizeof(sa)) != 0 || ::listen(listener_, 128) != 0) {
      return std::string("listen: ") + strerror(errno);
    }
    socklen_t len = sizeof(addr_);
    ::getsockname(listener_, UsnetSide::Sa(addr_), &len);
    int c = -1;
    std::string err = Open(&c);
    if (!err.empty()) return err;
    int s = -1;
    for (int i = 0; i < 1000000 && s < 0; ++i) s = Accept();
    if (s < 0) return "accept never returned";
    pollfd p{c, POLLOUT, 0};
    if (::poll(&p, 1, 1000) != 1 || (p.revents & (POLLERR | POLLHUP)))
      return "connect never completed";
    if (!nonblock) {
      ::fcntl(c, F_SETFL, 0);
      ::fcntl(s, F_SETFL, 0);
    }
    client_fd = c;
    server_fd = s;
    if (nodelay) {
      ::setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
      ::setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    }
    return "";
  }

  std::string Open(int* fd) {
    *fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (*fd < 0) return std::string("socket: ") + strerror(errno);
    if (::connect(*fd, UsnetSide::Sa(addr_), sizeof(addr_)) == 0) return "";
    return errno == EINPROGRESS ? "" : std::string("connect: ") + strerror(errno);
  }

  ssize_t ClientSend(const void* p, size_t n) {
    return ::send(client_fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
  }
  ssize_t ServerSend(const void* p, size_t n) {
    return ::send(server_fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
  }
  ssize_t ClientRecv(void* p, size_t n) { return ::recv(client_fd, p, n, MSG_DONTWAIT); }
  ssize_t ServerRecv(void* p, size_t n) { return ::recv(server_fd, p, n, MSG_DONTWAIT); }
  int Accept() { return ::accept4(listener_, nullptr, nullptr, SOCK_NONBLOCK); }
  int CloseClient(int fd) { return ::close(fd); }
  int CloseServer(int fd) { return ::close(fd); }
  // Sockets (TIME_WAIT included) on the listener's port beyond Connect's
  // three, from /proc/net/tcp.
  size_t Leftover() {
    FILE* f = std::fopen("/proc/net/tcp", "r");
    if (f == nullptr) return 0;
    char line[512], port[8];
    std::snprintf(port, sizeof(port), ":%04X ", ntohs(addr_.sin_port));
    size_t n = 0;
    while (std::fgets(line, sizeof(line), f) != nullptr) n += std::strstr(line, port) != nullptr;
    std::fclose(f);
    return n >= 3 ? n - 3 : n;
  }

  void CloseAll() {
    for (int* fd : {&client_fd, &server_fd, &listener_}) {
      if (*fd >= 0) ::close(*fd);
      *fd = -1;
    }
  }

  int client_fd = -1, server_fd = -1;

 private:
  int listener_ = -1;
  sockaddr_in addr_{};
};

// Gives up on a transfer that makes no progress for 10 s of wall time (a
// stack that stalls for good), so a broken build fails instead of hanging.
// The clock is read only every 64k idle polls: free on the hot path.
class Watchdog {
 public:
  void Progress() { idle_ = 0; }
  bool Expired() {
    if (++idle_ % 65536 != 0) return false;
    if (idle_ == 65536) since_ = SteadyClock::now();
    return SteadyClock::now() - since_ > std::chrono::seconds(10);
  }

 private:
  uint64_t idle_ = 0;
  SteadyClock::time_point since_;
};

// ---------------------------------------------------------------------------
// Bulk transfer

// Moves `bytes` from client to server in `w`-byte writes, one thread,
// alternating: write until the send buffer is full, run the stack, read
// until empty. `sent`/`got` are stream offsets; `verify` checks content.
template <typename Side>
bool BulkRun(Side& side, const std::vector<uint8_t>& pattern, size_t w, uint64_t bytes,
             uint64_t& sent, uint64_t& got, std::vector<uint8_t>& rbuf, bool verify) {
  const uint64_t target = sent + bytes;
  Watchdog dog;
  while (got < target) {
    const uint64_t got_before = got;
    while (sent < target) {
      const size_t n = static_cast<size_t>(std::min<uint64_t>(w, target - sent));
      const ssize_t r = side.ClientSend(pattern.data() + sent % kPatternPeriod, n);
      if (r <= 0) break;
      sent += static_cast<uint64_t>(r);
    }
    side.Pump();
    for (;;) {
      const ssize_t r = side.ServerRecv(rbuf.data(), rbuf.size());
      if (r <= 0) {
        if (r == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) return false;
        break;
      }
      if (verify && !CheckPattern(rbuf.data(), static_cast<size_t>(r), got)) return false;
      got += static_cast<uint64_t>(r);
    }
    if (got != got_before) {
      dog.Progress();
    } else if (dog.Expired()) {
      return false;
    }
  }
  return got == sent;
}

template <typename Side>
void BulkCase(benchmark::State& state, Side& side) {
  const size_t w = static_cast<size_t>(state.range(0));
  if (std::string err = side.Connect(false); !err.empty()) {
    state.SkipWithError(err.c_str());
    return;
  }
  const std::vector<uint8_t> pattern = MakePattern(w);
  std::vector<uint8_t> rbuf(kReadSize);
  uint64_t sent = 0, got = 0;
  if (!BulkRun(side, pattern, w, kVerifyBytes, sent, got, rbuf, true)) {
    state.SkipWithError("warm-up transfer: content or length mismatch");
    return;
  }
  const uint64_t start = got;
  bool ok = true;
  Stopwatch sw;
  for (auto _ : state) {
    if (!BulkRun(side, pattern, w, kBulkIterBytes, sent, got, rbuf, false)) {
      ok = false;
      break;
    }
  }
  sw.Stop();
  if (!ok || got != sent) {
    state.SkipWithError("bytes received != bytes sent");
    return;
  }
  state.SetBytesProcessed(static_cast<int64_t>(got - start));
  sw.Report(state, "Gbit/s", static_cast<double>(got - start) * 8 / 1e9);
}

void BM_TcpBulk_Usnet(benchmark::State& state) {
  UsnetSide side(static_cast<uint32_t>(state.range(1)));
  BulkCase(state, side);
}

// iperf3's shape: the sender on its own thread with blocking writes, the
// receiver (the timed thread) with blocking reads; two cores busy.
void BM_TcpBulk_Linux2T(benchmark::State& state) {
  const size_t w = static_cast<size_t>(state.range(0));
  LinuxSide side;
  if (std::string err = side.Connect(false, /*nonblock=*/false); !err.empty()) {
    state.SkipWithError(err.c_str());
    return;
  }
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> sent_total{0};
  const std::vector<uint8_t> pattern = MakePattern(w);
  std::thread sender([&] {
    uint64_t sent = 0;
    while (!stop.load(std::memory_order_relaxed)) {
      const ssize_t r =
          ::send(side.client_fd, pattern.data() + sent % kPatternPeriod, w, MSG_NOSIGNAL);
      if (r <= 0) break;
      sent += static_cast<uint64_t>(r);
    }
    sent_total = sent;
    ::shutdown(side.client_fd, SHUT_WR);
  });
  std::vector<uint8_t> rbuf(kReadSize);
  uint64_t got = 0;
  bool ok = true;
  auto read_some = [&](uint64_t target) {
    while (got < target) {
      const ssize_t r = ::recv(side.server_fd, rbuf.data(), rbuf.size(), 0);
      if (r <= 0) return false;
      got += static_cast<uint64_t>(r);
    }
    return true;
  };
  ok = read_some(kVerifyBytes);
  const uint64_t start = got;
  Stopwatch sw;
  for (auto _ : state) {
    if (!ok || !read_some(got + kBulkIterBytes)) {
      ok = false;
      break;
    }
  }
  sw.Stop();
  const uint64_t timed = got - start;
  stop = true;
  for (;;) {  // drain until the sender's FIN
    const ssize_t r = ::recv(side.server_fd, rbuf.data(), rbuf.size(), 0);
    if (r <= 0) break;
    got += static_cast<uint64_t>(r);
  }
  sender.join();
  if (!ok || got != sent_total) {
    state.SkipWithError("bytes received != bytes sent");
    return;
  }
  state.SetBytesProcessed(static_cast<int64_t>(timed));
  sw.Report(state, "Gbit/s", static_cast<double>(timed) * 8 / 1e9);
}

// ---------------------------------------------------------------------------
// 64-byte ping-pong

// Reads exactly n bytes, pumping the stack while the read would block.
template <typename Side, typename Recv>
bool RecvExactly(Side& side, Recv recv, uint8_t* p, size_t n) {
  size_t got = 0;
  Watchdog dog;
  while (got < n) {
    const ssize_t r = recv(p + got, n - got);
    if (r > 0) {
      got += static_cast<size_t>(r);
      continue;
    }
    if (r == 0 || (errno != EAGAIN && errno != EWOULDBLOCK) || dog.Expired()) return false;
    side.Pump();
  }
  return true;
}

template <typename Side>
void PingPongCase(benchmark::State& state, Side& side) {
  if (std::string err = side.Connect(true); !err.empty()) {
    state.SkipWithError(err.c_str());
    return;
  }
  uint8_t ping[64], pong[64], buf[64];
  for (size_t i = 0; i < 64; ++i) {
    ping[i] = static_cast<uint8_t>(i);
    pong[i] = static_cast<uint8_t>(255 - i);
  }
  auto server_recv = [&](void* p, size_t n) { return side.ServerRecv(p, n); };
  auto client_recv = [&](void* p, size_t n) { return side.ClientRecv(p, n); };
  auto round_trip = [&] {
    return side.ClientSend(ping, 64) == 64 && RecvExactly(side, server_recv, buf, 64) &&
           std::memcmp(buf, ping, 64) == 0 && side.ServerSend(pong, 64) == 64 &&
           RecvExactly(side, client_recv, buf, 64) && std::memcmp(buf, pong, 64) == 0;
  };
  for (int i = 0; i < 100; ++i) {
    if (!round_trip()) {
      state.SkipWithError("warm-up round trip failed");
      return;
    }
  }
  bool ok = true;
  Stopwatch sw;
  for (auto _ : state) {
    if (!round_trip()) {
      ok = false;
      break;
    }
  }
  sw.Stop();
  if (!ok) {
    state.SkipWithError("round trip failed (short, wrong bytes or error)");
    return;
  }
  sw.Report(state, "rt/s", static_cast<double>(state.iterations()));
}

// The echo on a second thread, both ends blocking: every round trip is two
// cross-core wake-ups, like two processes doing ping-pong.
void BM_TcpPingPong64_Linux2T(benchmark::State& state) {
  LinuxSide side;
  if (std::string err = side.Connect(true, /*nonblock=*/false); !err.empty()) {
    state.SkipWithError(err.c_str());
    return;
  }
  std::thread echo([&] {
    uint8_t b[64];
    for (;;) {
      size_t got = 0;
      while (got < 64) {
        const ssize_t r = ::recv(side.server_fd, b + got, 64 - got, 0);
        if (r <= 0) return;
        got += static_cast<size_t>(r);
      }
      if (::send(side.server_fd, b, 64, MSG_NOSIGNAL) != 64) return;
    }
  });
  uint8_t ping[64], buf[64];
  for (size_t i = 0; i < 64; ++i) ping[i] = static_cast<uint8_t>(i);
  auto round_trip = [&] {
    if (::send(side.client_fd, ping, 64, MSG_NOSIGNAL) != 64) return false;
    size_t got = 0;
    while (got < 64) {
      const ssize_t r = ::recv(side.client_fd, buf + got, 64 - got, 0);
      if (r <= 0) return false;
      got += static_cast<size_t>(r);
    }
    return std::memcmp(buf, ping, 64) == 0;
  };
  bool ok = true;
  for (int i = 0; i < 100 && ok; ++i) ok = round_trip();
  Stopwatch sw;
  for (auto _ : state) {
    if (!ok || !round_trip()) {
      ok = false;
      break;
    }
  }
  sw.Stop();
  ::shutdown(side.client_fd, SHUT_WR);
  echo.join();
  if (!ok) {
    state.SkipWithError("round trip failed");
    return;
  }
  sw.Report(state, "rt/s", static_cast<double>(state.iterations()));
}

// ---------------------------------------------------------------------------
// connect + accept + close

template <typename Side>
bool ConnAcceptClose(Side& side) {
  int c = -1;
  if (!side.Open(&c).empty()) return false;
  const linger lg{1, 0};
  if constexpr (std::is_same_v<Side, UsnetSide>) {
    ProcessScope in(side.client());
    sys::setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
  } else {
    ::setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
  }
  int s = side.Accept();
  for (int i = 0; i < 1000 && s < 0; ++i) {
    side.Pump();
    s = side.Accept();
  }
  if (s < 0) return false;
  if (side.CloseClient(c) != 0) return false;  // RST
  side.Pump();                                 // the RST reaches the server
  return side.CloseServer(s) == 0;
}

template <typename Side>
void ConnCase(benchmark::State& state, Side& side) {
  if (std::string err = side.Connect(false); !err.empty()) {
    state.SkipWithError(err.c_str());
    return;
  }
  for (int i = 0; i < 100; ++i) {
    if (!ConnAcceptClose(side)) {
      state.SkipWithError("warm-up connection failed");
      return;
    }
  }
  bool ok = true;
  Stopwatch sw;
  for (auto _ : state) {
    if (!ConnAcceptClose(side)) {
      ok = false;
      break;
    }
  }
  sw.Stop();
  for (int i = 0; i < 10; ++i) side.Pump();
  if (!ok || side.Leftover() != 0) {
    state.SkipWithError(ok ? "sockets left behind after close" : "connect/accept/close failed");
    return;
  }
  sw.Report(state, "conn/s", static_cast<double>(state.iterations()));
}

// ---------------------------------------------------------------------------
// Registration: each case is one function template run on either side.

template <typename Side, void (*Case)(benchmark::State&, Side&)>
void OnFreshSide(benchmark::State& state) {
  Side side;
  Case(state, side);
}

BENCHMARK(BM_TcpBulk_Usnet)
    ->Args({16384, 65535})
    ->Args({131072, 65535})
    ->Args({16384, 1500})
    ->Args({131072, 1500})
    ->UseRealTime();
BENCHMARK(OnFreshSide<LinuxSide, BulkCase<LinuxSide>>)
    ->Name("BM_TcpBulk_Linux")
    ->Arg(16384)
    ->Arg(131072)
    ->UseRealTime();
BENCHMARK(BM_TcpBulk_Linux2T)->Arg(131072)->UseRealTime();
BENCHMARK(OnFreshSide<UsnetSide, PingPongCase<UsnetSide>>)
    ->Name("BM_TcpPingPong64_Usnet")
    ->UseRealTime();
BENCHMARK(OnFreshSide<LinuxSide, PingPongCase<LinuxSide>>)
    ->Name("BM_TcpPingPong64_Linux")
    ->UseRealTime();
BENCHMARK(BM_TcpPingPong64_Linux2T)->UseRealTime();
BENCHMARK(OnFreshSide<UsnetSide, ConnCase<UsnetSide>>)
    ->Name("BM_TcpConnAcceptClose_Usnet")
    ->UseRealTime();
BENCHMARK(OnFreshSide<LinuxSide, ConnCase<LinuxSide>>)
    ->Name("BM_TcpConnAcceptClose_Linux")
    ->UseRealTime();

// ---------------------------------------------------------------------------
// Memory per idle established connection

size_t HeapInUse() {
  struct mallinfo2 m = mallinfo2();
  return m.uordblks + m.hblkhd;
}

size_t RssBytes() {
  long pages = 0, resident = 0;
  FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
  std::fclose(f);
  return static_cast<size_t>(resident) * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

// Heap bytes (malloc headers and rounding included) that `make` costs per
// object, measured over k objects.
template <typename T, typename Make>
double HeapPerObject(size_t k, Make make) {
  std::vector<T> keep;
  keep.reserve(k);
  const size_t before = HeapInUse();
  for (size_t i = 0; i < k; ++i) keep.push_back(make());
  return static_cast<double>(HeapInUse() - before) / static_cast<double>(k);
}

size_t ConnsFromEnv() {
  const char* s = std::getenv("USNET_BENCH_CONNS");
  const long n = s != nullptr ? std::strtol(s, nullptr, 10) : 0;
  return n > 0 ? static_cast<size_t>(n) : 10000;
}

// Opens N connections a -> b in batches (each batch fits the accept queue),
// then counts heap bytes per connection endpoint. Virtual time: the idle
// connections have no timers to wait for anyway. Client ports come from
// 1024-65535 (ip_local_port_range widened); a connection's 4-tuple needs a
// distinct (client port, server port) pair, so the listeners use one server
// port per 60000 connections.
void BM_TcpIdleConns(benchmark::State& state) {
  const size_t n = ConnsFromEnv();
  constexpr size_t kPerPort = 60000;
  constexpr size_t kBatch = 500;  // SYNs in flight at once: below the wire's 1000-frame queue
  for (auto _ : state) {
    malloc_trim(0);
    auto made = Lab::Create(LabOptions{});
    if (!made.ok()) {
      state.SkipWithError("lab");
      break;
    }
    Lab& lab = **made;
    lab.a().inet().config().ip_local_port_range[0] = 1024;
    lab.a().inet().config().ip_local_port_range[1] = 65535;
    std::vector<int> listeners;
    const size_t nports = (n + kPerPort - 1) / kPerPort;
    {
      ProcessScope in(lab.proc_b());
      for (size_t i = 0; i < nports; ++i) {
        const int l = sys::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        sockaddr_in sa = UsnetSide::Addr(nullptr, static_cast<uint16_t>(kServerPort + i));
        USNET_CHECK(sys::bind(l, UsnetSide::Sa(sa), sizeof(sa)) == 0);
        USNET_CHECK(sys::listen(l, 4096) == 0);
        listeners.push_back(l);
      }
    }
    // Warm up everything that is per host, not per connection (hash tables'
    // first allocations, the skb caches, the fd tables' first slots).
    lab.loop().RunFor(absl::Milliseconds(10));
    // Descriptors, kept to close with RSTs at the end (room reserved now so
    // it is not counted as per-connection memory).
    std::vector<int> client_fds, server_fds;
    client_fds.reserve(n);
    server_fds.reserve(n);
    const size_t heap0 = HeapInUse(), rss0 = RssBytes();
    const auto t0 = SteadyClock::now();
    size_t opened = 0, accepted = 0;
    std::string error;
    while (opened < n && error.empty()) {
      const size_t batch = std::min(kBatch, n - opened);
      {
        ProcessScope in(lab.proc_a());
        for (size_t i = 0; i < batch; ++i) {
          const size_t k = opened + i;
          const int c = sys::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
          client_fds.push_back(c);
          sockaddr_in to =
              UsnetSide::Addr(Lab::kAddrB, static_cast<uint16_t>(kServerPort + k / kPerPort));
          if (c < 0 ||
              (sys::connect(c, UsnetSide::Sa(to), sizeof(to)) != 0 && errno != EINPROGRESS)) {
            error = "connection " + std::to_string(k) + ": " + strerror(errno);
            break;
          }
        }
      }
      if (!error.empty()) break;
      const size_t want = opened + batch;
      auto accept_all = [&] {
        ProcessScope in(lab.proc_b());
        // A batch may straddle two listeners.
        for (size_t l = accepted / kPerPort; l < listeners.size() && l <= (want - 1) / kPerPort;
             ++l) {
          for (int fd; (fd = sys::accept4(listeners[l], nullptr, nullptr, SOCK_NONBLOCK)) >= 0;
               ++accepted) {
            server_fds.push_back(fd);
          }
        }
        return accepted >= want;
      };
      lab.loop().RunUntil(accept_all, lab.clock().Now() + absl::Seconds(30));
      if (accepted < want)
        error = "only " + std::to_string(accepted) + " of " + std::to_string(want) + " accepted";
      opened = want;
    }
    lab.loop().RunFor(absl::Milliseconds(10));  // every final ACK delivered
    const auto t1 = SteadyClock::now();
    malloc_trim(0);
    const size_t heap1 = HeapInUse(), rss1 = RssBytes();
    const uint64_t estab_a = lab.a().tcp().mib.Get(TcpMib::kCurrEstab);
    const uint64_t estab_b = lab.b().tcp().mib.Get(TcpMib::kCurrEstab);
    const uint64_t skbs = lab.pool().in_use();
    std::fprintf(
        stderr,
        "TcpIdleConns: %zu asked, %zu accepted, CurrEstab a=%llu b=%llu, skbs in use %llu, "
        "heap +%zu B, RSS +%zu B, %.1f s%s%s\n",
        n, accepted, static_cast<unsigned long long>(estab_a),
        static_cast<unsigned long long>(estab_b), static_cast<unsigned long long>(skbs),
        heap1 - heap0, rss1 - rss0, Seconds(t0, t1),
        error.empty() ? "" : "; stopped: ", error.c_str());
    const double conns = static_cast<double>(accepted);
    state.counters["conns"] = conns;
    state.counters["heap_B/endpoint"] = static_cast<double>(heap1 - heap0) / (2 * conns);
    state.counters["rss_B/endpoint"] = static_cast<double>(rss1 - rss0) / (2 * conns);
    state.counters["conn/s_open"] = conns / Seconds(t0, t1);
    if (!error.empty() || estab_a != accepted || estab_b != accepted || accepted != n) {
      state.SkipWithError(("not all connections established: " + error).c_str());
      break;
    }
    // What one endpoint is made of. sizeof is the object; the heap_*
    // figures are what malloc hands out for it (header and rounding
    // included), each measured over 1000 objects.
    const double sock = HeapPerObject<std::unique_ptr<char[]>>(
        1000, [] { return std::make_unique_for_overwrite<char[]>(sizeof(TcpSock)); });
    const double cubic = HeapPerObject<std::unique_ptr<CongestionControl>>(
        1000, [] { return MakeCongestionControl("cubic"); });
    const double file =
        HeapPerObject<std::shared_ptr<File>>(1000, [] { return std::make_shared<File>(); });
    const double per_endpoint = static_cast<double>(heap1 - heap0) / (2 * conns);
    state.counters["sizeof_TcpSock"] = sizeof(TcpSock);
    state.counters["heap_TcpSock"] = sock;
    state.counters["heap_cubic"] = cubic;
    state.counters["heap_File"] = file;
    state.counters["heap_rest_B/endpoint"] = per_endpoint - sock - cubic - file;
    // Tear down with RSTs (SO_LINGER {1,0}) so no socket is left an
    // orphan: closing a million with FINs and destroying the host with
    // them still open takes Tcp::~Tcp's orphan scan, which is quadratic.
    const linger lg{1, 0};
    {
      ProcessScope in(lab.proc_a());
      for (size_t i = 0; i < client_fds.size(); ++i) {
        sys::setsockopt(client_fds[i], SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
        sys::close(client_fds[i]);
        if (i % kBatch == kBatch - 1)
          lab.loop().RunFor(absl::Milliseconds(1));  // the wire queues 1000
      }
    }
    lab.loop().RunFor(absl::Milliseconds(10));
    {
      ProcessScope in(lab.proc_b());
      for (int fd : server_fds) sys::close(fd);
    }
    lab.loop().RunFor(absl::Milliseconds(10));
    if (lab.a().tcp().socket_count() != 0 || lab.b().tcp().socket_count() != listeners.size()) {
      state.SkipWithError("teardown left sockets behind");
    }
  }
}
BENCHMARK(BM_TcpIdleConns)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace usnet
