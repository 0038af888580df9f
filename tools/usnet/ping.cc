// usnet ping: host a pings host b (or --to ADDR) with an ICMP ping socket,
// written against the POSIX socket calls (usnet::sys) the way iputils ping
// is written against libc, and printing what iputils ping prints.
#include <arpa/inet.h>
#include <linux/errqueue.h>
#include <netinet/in.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "syscalls/socket_api.h"
#include "tools/usnet/cli.h"

ABSL_FLAG(int, count, 5, "echo requests to send");
ABSL_FLAG(absl::Duration, interval, absl::Seconds(1), "time between requests");
ABSL_FLAG(int, size, 56, "ICMP data bytes per request (8000 crosses a 1500 MTU in fragments)");
ABSL_FLAG(std::string, to, "10.0.0.2", "address to ping (try 10.0.0.99: nobody answers ARP)");
ABSL_FLAG(int, ttl, 64, "IP time to live");
ABSL_FLAG(bool, df, false, "set Don't Fragment (IP_PMTUDISC_DO)");
ABSL_FLAG(absl::Duration, timeout, absl::Seconds(5), "how long to wait for replies after the last request");
ABSL_FLAG(bool, quiet, false, "print only the summary");

namespace usnet::cli {
namespace {

std::string IcmpErrorText(const sock_extended_err& ee) {
  if (ee.ee_origin != SO_EE_ORIGIN_ICMP) return absl::StrCat("error ", ee.ee_errno);
  switch (ee.ee_type) {
    case 3:
      switch (ee.ee_code) {
        case 0: return "Destination Net Unreachable";
        case 1: return "Destination Host Unreachable";
        case 2: return "Destination Protocol Unreachable";
        case 3: return "Destination Port Unreachable";
        case 4: return absl::StrCat("Frag needed and DF set (mtu = ", ee.ee_info, ")");
        default: return absl::StrCat("Dest Unreachable, Bad Code: ", ee.ee_code);
      }
    case 11: return ee.ee_code == 0 ? "Time to live exceeded" : "Frag reassembly time exceeded";
    case 12: return "Parameter problem";
    default: return absl::StrCat("ICMP type ", ee.ee_type, " code ", ee.ee_code);
  }
}

class Pinger {
 public:
  Pinger(Lab& lab, Ipv4Addr dst, const PingOptions& o) : lab_(lab), dst_(dst), o_(o) {}

  PingResult Run() {
    ProcessScope in(lab_.proc_a());
    const int size = o_.size;
    const int count = o_.count;
    fd_ = sys::socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
    if (fd_ < 0) Fail(absl::StrCat("socket: ", std::strerror(errno)));
    const int one = 1, ttl = o_.ttl;
    sys::setsockopt(fd_, SOL_IP, IP_RECVERR, &one, sizeof(one));
    sys::setsockopt(fd_, SOL_IP, IP_RECVTTL, &one, sizeof(one));
    if (sys::setsockopt(fd_, SOL_IP, IP_TTL, &ttl, sizeof(ttl)) < 0) {
      Fail(absl::StrCat("--ttl ", ttl, ": ", std::strerror(errno)));
    }
    if (o_.df) {
      const int mode = IP_PMTUDISC_DO;
      sys::setsockopt(fd_, SOL_IP, IP_MTU_DISCOVER, &mode, sizeof(mode));
    }
    std::printf("PING %s (%s) %d(%d) bytes of data.\n", dst_.ToString().c_str(),
                dst_.ToString().c_str(), size, size + 28);
    const absl::Time start = lab_.clock().Now();
    absl::Time next = start;
    for (int seq = 1; seq <= count; ++seq) {
      Wait(next, false);
      Send(seq, size);
      next += o_.interval;
    }
    Wait(last_send_ + o_.timeout, true);
    const absl::Duration elapsed = lab_.clock().Now() - start;
    Summary(elapsed);
    sys::close(fd_);
    return PingResult{sent_, received_, dups_, errors_};
  }

 private:
  void Send(int seq, int size) {
    std::vector<unsigned char> pkt(8 + static_cast<size_t>(size));
    pkt[0] = 8;  // echo request; the socket fills id and checksum
    pkt[6] = static_cast<unsigned char>(seq >> 8);
    pkt[7] = static_cast<unsigned char>(seq);
    const int64_t now_ns = absl::ToUnixNanos(lab_.clock().Now());
    if (size >= 8) std::memcpy(pkt.data() + 8, &now_ns, 8);
    for (size_t i = 16; i < pkt.size(); ++i) pkt[i] = static_cast<unsigned char>(i);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_addr.s_addr = htonl(dst_.value());
    last_send_ = lab_.clock().Now();
    ++sent_;
    if (sys::sendto(fd_, pkt.data(), pkt.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof(to)) < 0) {
      // Like iputils: a local error is reported and counted as an error.
      std::printf("ping: local error: %s\n", std::strerror(errno));
      ++errors_;
    }
  }

  // Handles replies and errors until `until`; with `final`, also returns as
  // soon as every request is answered.
  void Wait(absl::Time until, bool final) {
    for (;;) {
      if (final && received_ + errors_ >= sent_) return;
      const absl::Duration left = until - lab_.clock().Now();
      if (left <= absl::ZeroDuration()) return;
      pollfd p{fd_, POLLIN, 0};
      const int ms = static_cast<int>(absl::ToInt64Milliseconds(absl::Ceil(left, absl::Milliseconds(1))));
      int n = sys::poll(&p, 1, ms);
      if (n < 0) return;  // nothing can happen any more (virtual time)
      if (p.revents & POLLERR) ReadError();
      if (p.revents & POLLIN) ReadReply();
    }
  }

  void ReadReply() {
    unsigned char buf[70000];
    char control[64];
    sockaddr_in from{};
    iovec iov{buf, sizeof(buf)};
    msghdr m{};
    m.msg_name = &from;
    m.msg_namelen = sizeof(from);
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    m.msg_control = control;
    m.msg_controllen = sizeof(control);
    const ssize_t n = sys::recvmsg(fd_, &m, MSG_DONTWAIT);
    if (n < 8) return;
    int ttl = -1;
    for (cmsghdr* c = CMSG_FIRSTHDR(&m); c != nullptr; c = CMSG_NXTHDR(&m, c)) {
      if (c->cmsg_level == SOL_IP && c->cmsg_type == IP_TTL) std::memcpy(&ttl, CMSG_DATA(c), sizeof(int));
    }
    const int seq = (buf[6] << 8) | buf[7];
    const bool dup = replies_[seq]++ > 0;
    double rtt_ms = 0;
    if (n >= 16) {
      int64_t sent_ns;
      std::memcpy(&sent_ns, buf + 8, 8);
      rtt_ms = static_cast<double>(absl::ToUnixNanos(lab_.clock().Now()) - sent_ns) / 1e6;
    }
    if (dup) {
      ++dups_;
    } else {
      ++received_;
      rtts_.push_back(rtt_ms);
    }
    if (!o_.quiet) {
      std::printf("%zd bytes from %s: icmp_seq=%d ttl=%d time=%.3f ms%s\n", n,
                  Ipv4Addr(ntohl(from.sin_addr.s_addr)).ToString().c_str(), seq, ttl, rtt_ms,
                  dup ? " (DUP!)" : "");
    }
  }

  void ReadError() {
    unsigned char buf[70000];
    char control[256];
    iovec iov{buf, sizeof(buf)};
    msghdr m{};
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    m.msg_control = control;
    m.msg_controllen = sizeof(control);
    const ssize_t n = sys::recvmsg(fd_, &m, MSG_ERRQUEUE | MSG_DONTWAIT);
    if (n < 0) {
      // A pending error without a queued report: just clear it.
      int e;
      socklen_t l = sizeof(e);
      sys::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &e, &l);
      return;
    }
    for (cmsghdr* c = CMSG_FIRSTHDR(&m); c != nullptr; c = CMSG_NXTHDR(&m, c)) {
      if (c->cmsg_level != SOL_IP || c->cmsg_type != IP_RECVERR) continue;
      sock_extended_err ee;
      std::memcpy(&ee, CMSG_DATA(c), sizeof(ee));
      sockaddr_in off;
      std::memcpy(&off, CMSG_DATA(c) + sizeof(ee), sizeof(off));
      const int seq = n >= 8 ? (buf[6] << 8) | buf[7] : 0;
      ++errors_;
      if (!o_.quiet) {
        std::printf("From %s icmp_seq=%d %s\n", Ipv4Addr(ntohl(off.sin_addr.s_addr)).ToString().c_str(),
                    seq, IcmpErrorText(ee).c_str());
      }
    }
  }

  void Summary(absl::Duration elapsed) {
    std::printf("\n--- %s ping statistics ---\n", dst_.ToString().c_str());
    std::string extra;
    if (dups_ > 0) extra += absl::StrCat(", +", dups_, " duplicates");
    if (errors_ > 0) extra += absl::StrCat(", +", errors_, " errors");
    const int loss = sent_ > 0 ? static_cast<int>(100 * (sent_ - received_) / sent_) : 0;
    std::printf("%d packets transmitted, %d received%s, %d%% packet loss, time %lldms\n", sent_,
                received_, extra.c_str(), loss,
                static_cast<long long>(absl::ToInt64Milliseconds(elapsed)));
    if (!rtts_.empty()) {
      double mn = rtts_[0], mx = rtts_[0], sum = 0, sq = 0;
      for (double r : rtts_) {
        mn = std::min(mn, r);
        mx = std::max(mx, r);
        sum += r;
        sq += r * r;
      }
      const double avg = sum / static_cast<double>(rtts_.size());
      const double mdev = std::sqrt(std::max(0.0, sq / static_cast<double>(rtts_.size()) - avg * avg));
      std::printf("rtt min/avg/max/mdev = %.3f/%.3f/%.3f/%.3f ms\n", mn, avg, mx, mdev);
    }
  }

  Lab& lab_;
  Ipv4Addr dst_;
  PingOptions o_;
  int fd_ = -1;
  int sent_ = 0, received_ = 0, dups_ = 0, errors_ = 0;
  absl::Time last_send_;
  std::map<int, int> replies_;
  std::vector<double> rtts_;
};

}  // namespace

PingResult RunPing(Lab& lab, Ipv4Addr dst, const PingOptions& o) {
  return Pinger(lab, dst, o).Run();
}

int PingMain(const std::vector<std::string>& args) {
  if (!args.empty()) Fail(absl::StrCat("unexpected argument '", args[0], "' (use --to ADDR)"));
  const int count = absl::GetFlag(FLAGS_count);
  if (count < 1) Fail(absl::StrCat("--count must be at least 1, got ", count));
  const int size = absl::GetFlag(FLAGS_size);
  if (size < 0 || size > 65507) Fail(absl::StrCat("--size must be in [0, 65507], got ", size));
  if (absl::GetFlag(FLAGS_interval) <= absl::ZeroDuration()) Fail("--interval must be positive");
  if (absl::GetFlag(FLAGS_timeout) < absl::ZeroDuration()) Fail("--timeout must not be negative");
  std::optional<Ipv4Addr> dst = Ipv4Addr::Parse(absl::GetFlag(FLAGS_to));
  if (!dst) Fail(absl::StrCat("--to: '", absl::GetFlag(FLAGS_to), "' is not an IPv4 address"));
  std::unique_ptr<Lab> lab = MakeLab();
  PingOptions o{.count = count,
                .interval = absl::GetFlag(FLAGS_interval),
                .size = size,
                .ttl = absl::GetFlag(FLAGS_ttl),
                .df = absl::GetFlag(FLAGS_df),
                .timeout = absl::GetFlag(FLAGS_timeout),
                .quiet = absl::GetFlag(FLAGS_quiet)};
  const int rc = RunPing(*lab, *dst, o).received > 0 ? 0 : 1;  // ping: 1 if no reply
  if (absl::GetFlag(FLAGS_nstat)) {
    std::printf("\n");
    PrintHostReport(lab->a(), absl::GetFlag(FLAGS_zeros));
    PrintHostReport(lab->b(), absl::GetFlag(FLAGS_zeros));
  }
  if (PcapWriter* w = lab->pcap()) {
    w->Flush();
    std::printf("\nwrote %llu packets to %s\n", static_cast<unsigned long long>(w->packets()),
                absl::GetFlag(FLAGS_pcap).c_str());
  }
  return rc;
}

}  // namespace usnet::cli
