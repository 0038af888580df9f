// usnet demo: the tour, on two embedded hosts in virtual time. No
// privileges, no network: everything happens inside this process. Each step
// prints what a person would want to see and the counters that prove it.
#include <arpa/inet.h>
#include <sys/stat.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "net/ipv4/arp.h"
#include "syscalls/socket_api.h"
#include "tools/usnet/cli.h"

namespace usnet::cli {
namespace {

void Step(int n, const std::string& title) { std::printf("\n[%d] %s\n", n, title.c_str()); }

sockaddr_in Sin(const char* addr, uint16_t port) {
  sockaddr_in s{};
  s.sin_family = AF_INET;
  s.sin_port = htons(port);
  inet_pton(AF_INET, addr, &s.sin_addr);
  return s;
}

uint64_t Counter(Stack& s, std::string_view name) {
  for (const auto& [n, v] : s.Counters()) {
    if (n == name) return v;
  }
  return 0;
}

// Host b's UDP echo server, one datagram at a time (a userland program
// sharing this thread with the client, so it runs between the client's
// calls).
class EchoServer {
 public:
  explicit EchoServer(Lab& lab) : lab_(lab) {
    ProcessScope in(lab_.proc_b());
    fd_ = sys::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in any = Sin("0.0.0.0", 7);
    sys::bind(fd_, reinterpret_cast<sockaddr*>(&any), sizeof(any));
  }
  ~EchoServer() {
    ProcessScope in(lab_.proc_b());
    sys::close(fd_);
  }
  // Echoes what has arrived within `wait`; returns datagrams echoed.
  int Serve(absl::Duration wait) {
    ProcessScope in(lab_.proc_b());
    int n = 0;
    pollfd p{fd_, POLLIN, 0};
    while (sys::poll(&p, 1, static_cast<int>(absl::ToInt64Milliseconds(wait))) > 0) {
      std::string buf(65536, '\0');
      sockaddr_in from{};
      socklen_t flen = sizeof(from);
      ssize_t got = sys::recvfrom(fd_, buf.data(), buf.size(), MSG_DONTWAIT,
                                  reinterpret_cast<sockaddr*>(&from), &flen);
      if (got < 0) break;
      sys::sendto(fd_, buf.data(), static_cast<size_t>(got), 0, reinterpret_cast<sockaddr*>(&from), flen);
      ++n;
      wait = absl::ZeroDuration();
    }
    return n;
  }

 private:
  Lab& lab_;
  int fd_;
};

// Client side of one UDP exchange through host a.
void UdpRoundTrip(Lab& lab, EchoServer& server, size_t size) {
  std::string msg = size == 0 ? "hello, usnet" : std::string(size, 'u');
  int fd;
  {
    ProcessScope in(lab.proc_a());
    fd = sys::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in to = Sin(Lab::kAddrB, 7);
    sys::sendto(fd, msg.data(), msg.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof(to));
  }
  server.Serve(absl::Seconds(1));
  ProcessScope in(lab.proc_a());
  std::string back(65536, '\0');
  timeval tv{1, 0};
  sys::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  ssize_t n = sys::recv(fd, back.data(), back.size(), 0);
  if (n < 0) {
    std::printf("    no echo: %s\n", std::strerror(errno));
  } else if (size == 0) {
    std::printf("    a sent \"%s\" to %s:7, b echoed, a got back \"%.*s\"\n", msg.c_str(), Lab::kAddrB,
                static_cast<int>(n), back.data());
  } else {
    std::printf("    a sent a %zu-byte datagram, got %zd bytes back, %s\n", size, n,
                std::string(back.data(), static_cast<size_t>(n)) == msg ? "identical" : "DIFFERENT");
  }
  sys::close(fd);
}

}  // namespace

int DemoMain(const std::vector<std::string>& args) {
  if (!args.empty()) Fail(absl::StrCat("unexpected argument '", args[0], "'"));
  std::string pcap = absl::GetFlag(FLAGS_pcap);
  if (pcap.empty()) {
    ::mkdir("out", 0755);
    pcap = "out/demo.pcap";
  }
  LabOptions lo;
  lo.faults.delay = absl::Microseconds(50);
  lo.seed = absl::GetFlag(FLAGS_seed);
  lo.pcap_path = pcap;
  absl::StatusOr<std::unique_ptr<Lab>> made = Lab::Create(lo);
  if (!made.ok()) Fail(std::string(made.status().message()));
  Lab& lab = **made;

  std::printf("usnet demo: two usnet hosts in one process, in virtual time (no privileges, no network)\n");
  Step(1, "boot: host a = 10.0.0.1/24, host b = 10.0.0.2/24, joined by a memlink wire (MTU 1500, 50 us each way)");
  std::printf("    a's routes:\n");
  std::string routes = lab.a().inet().fib().Format();
  for (size_t p = 0, q; (q = routes.find('\n', p)) != std::string::npos; p = q + 1) {
    std::printf("      %s\n", routes.substr(p, q - p).c_str());
  }

  Step(2, "a pings b (an ICMP ping socket, as iputils ping uses); the first echo waits for ARP");
  RunPing(lab, *Ipv4Addr::Parse(Lab::kAddrB), PingOptions{.count = 3});
  std::printf("    a's neighbours: %s", lab.a().inet().arp().Format().c_str());

  EchoServer server(lab);
  Step(3, "UDP: b runs an echo server on port 7, a sends it a datagram");
  UdpRoundTrip(lab, server, 0);

  Step(4, "fragmentation: an 8000-byte datagram crosses the 1500-byte MTU in pieces, both ways");
  const uint64_t frags_a = Counter(lab.a(), "IpFragCreates"), reasm_b = Counter(lab.b(), "IpReasmOKs");
  UdpRoundTrip(lab, server, 8000);
  std::printf("    a cut %llu fragments (IpFragCreates), b reassembled %llu datagram (IpReasmOKs)\n",
              static_cast<unsigned long long>(Counter(lab.a(), "IpFragCreates") - frags_a),
              static_cast<unsigned long long>(Counter(lab.b(), "IpReasmOKs") - reasm_b));

  Step(5, "a lossy link: 20% of frames lost in each direction, 20 pings");
  lab.faults_a()->tx_config().loss = 0.2;
  lab.faults_b()->tx_config().loss = 0.2;
  RunPing(lab, *Ipv4Addr::Parse(Lab::kAddrB), PingOptions{.count = 20, .quiet = true});
  lab.faults_a()->tx_config().loss = 0;
  lab.faults_b()->tx_config().loss = 0;
  std::printf("    frames the injectors dropped: %llu (counted as Drop_FAULT_INJECTED)\n",
              static_cast<unsigned long long>(lab.faults_a()->tx_stats().lost + lab.faults_b()->tx_stats().lost));

  Step(6, "failures get clear answers: a closed port, and a host that is not there");
  {
    ProcessScope in(lab.proc_a());
    int fd = sys::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in to = Sin(Lab::kAddrB, 9);
    sys::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof(to));
    sys::send(fd, "x", 1, 0);
    char c;
    timeval tv{1, 0};
    sys::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    ssize_t n = sys::recv(fd, &c, 1, 0);
    std::printf("    UDP to b:9 (nobody listens): recv() = %zd, errno %s (b sent ICMP port unreachable; UdpNoPorts=%llu)\n",
                n, n < 0 ? strerrorname_np(errno) : "-",
                static_cast<unsigned long long>(Counter(lab.b(), "UdpNoPorts")));
    sys::close(fd);
  }
  std::printf("    ping 10.0.0.99: ARP asks 3 times, 1 s apart, then gives up:\n");
  RunPing(lab, *Ipv4Addr::Parse("10.0.0.99"), PingOptions{.count = 1});

  Step(7, "counters, Linux names (nstat -a layout), per host; then interfaces with NAPI and the copy ledger");
  PrintHostReport(lab.a(), false);
  PrintHostReport(lab.b(), false);

  lab.pcap()->Flush();
  std::printf("\nfiles written:\n  %s  (%llu frames seen by host a; open with: tshark -r %s)\n",
              pcap.c_str(), static_cast<unsigned long long>(lab.pcap()->packets()), pcap.c_str());
  std::printf("\nnext: 'usnet ping --help'-style flags: usnet help ping; e.g.\n"
              "  build/bin/usnet ping --count 20 --loss 0.2\n"
              "  build/bin/usnet ping --size 8000 --pcap out/frag.pcap --nstat\n");
  return 0;
}

}  // namespace usnet::cli
