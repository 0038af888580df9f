// libusnet_packetdrill.so: runs packetdrill scripts against usnet.
//
// packetdrill (github.com/google/packetdrill) tests a stack that lives in
// a shared library when given --so_filename: it dlopens the library, calls
// packetdrill_interface_init(flags, ifc), and from then on makes every
// socket call, every packet injection and capture, and every clock read
// through the function pointers the library filled in (DESIGN.md section
// 11). This adapter puts one usnet host behind those pointers:
//
//   - a raw-IP device "tun0" (bare IPv4, no link header, like a TUN device)
//     carries the packets: netdev_send hands an IPv4 packet up as a driver
//     would; everything usnet transmits is kept, with its virtual send time,
//     for netdev_receive;
//   - time is virtual: usleep and gettimeofday move usnet's ManualClock, so
//     a script waiting 60 s for TIME_WAIT to end takes microseconds and every
//     run is the same;
//   - packetdrill makes blocking calls (a script line with "...") on a second
//     thread while its main thread injects packets and reads the clock. The
//     adapter is that thread's Blocker: a blocked call sleeps on a condition
//     variable, and the main thread, whenever it moves time or injects, hands
//     the stack to the blocked call the moment its condition holds or its
//     deadline passes, and waits until the call finishes or blocks again
//     before going on. So a blocking accept returns at the exact virtual time
//     the third ACK arrived, as it would on Linux.
//
// packetdrill's flags for the library (--so_flags, space separated):
//   ip=A.B.C.D/LEN       the host's address on tun0 (default 192.168.0.2/16);
//                        pass the same address as packetdrill's --local_ip
//   gw=A.B.C.D           default route via this gateway (default 192.168.0.1)
//   mtu=N                tun0's MTU (default 1500)
//   sysctl=NAME=VALUE    set a usnet sysctl (repeatable)
//   sysctl_file=PATH     apply "name = value" lines (sysctl.conf syntax)
//   seed=N               the host's random seed (ISNs, ports; default 1)
//   sysctl_from_proc=1   at the script's first socket call (after its init
//                        command ran), copy every sysctl usnet has from this
//                        network namespace's /proc/sys: upstream scripts set
//                        Linux's knobs there (common/defaults.sh,
//                        set_sysctls.py) and usnet then matches them. Run in
//                        a namespace of your own (run.sh's USNET_PD_NETNS=1)
//   receive_horizon_s=N  netdev_receive gives up after N s of virtual time
//                        with no packet (default 300), or at once when
//                        nothing at all is pending; the script then fails
//                        with a parse error on an empty packet, after a
//                        one-line explanation on stderr
// A bad flag prints one line and exits with status 2.
#include <fcntl.h>
#include <sys/ioctl.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "kernel/clock.h"
#include "kernel/event_loop.h"
#include "kernel/sched.h"
#include "net/core/skb_bits.h"
#include "net/stack.h"
#include "syscalls/process.h"
#include "syscalls/socket_api.h"

namespace usnet::packetdrill {

// The function table packetdrill hands to packetdrill_interface_init. Our own
// declaration of its ABI: the members and their order must match what
// packetdrill's packetdrill.h declares.
struct Interface {
  void* userdata;
  void (*free)(void* ud);
  int (*socket)(void* ud, int domain, int type, int protocol);
  int (*bind)(void* ud, int fd, const sockaddr* addr, socklen_t len);
  int (*listen)(void* ud, int fd, int backlog);
  int (*accept)(void* ud, int fd, sockaddr* addr, socklen_t* len);
  int (*connect)(void* ud, int fd, const sockaddr* addr, socklen_t len);
  ssize_t (*read)(void* ud, int fd, void* buf, size_t n);
  ssize_t (*readv)(void* ud, int fd, const iovec* iov, int iovcnt);
  ssize_t (*recv)(void* ud, int fd, void* buf, size_t n, int flags);
  ssize_t (*recvfrom)(void* ud, int fd, void* buf, size_t n, int flags, sockaddr* addr,
                      socklen_t* len);
  ssize_t (*recvmsg)(void* ud, int fd, msghdr* msg, int flags);
  ssize_t (*write)(void* ud, int fd, const void* buf, size_t n);
  ssize_t (*writev)(void* ud, int fd, const iovec* iov, int iovcnt);
  ssize_t (*send)(void* ud, int fd, const void* buf, size_t n, int flags);
  ssize_t (*sendto)(void* ud, int fd, const void* buf, size_t n, int flags, const sockaddr* addr,
                    socklen_t len);
  ssize_t (*sendmsg)(void* ud, int fd, const msghdr* msg, int flags);
  int (*fcntl)(void* ud, int fd, int cmd, ...);
  int (*ioctl)(void* ud, int fd, unsigned long request, ...);
  int (*close)(void* ud, int fd);
  int (*shutdown)(void* ud, int fd, int how);
  int (*getsockopt)(void* ud, int fd, int level, int name, void* val, socklen_t* len);
  int (*setsockopt)(void* ud, int fd, int level, int name, const void* val, socklen_t len);
  int (*poll)(void* ud, pollfd* fds, nfds_t nfds, int timeout_ms);
  int (*netdev_send)(void* ud, const void* buf, size_t n);
  int (*netdev_receive)(void* ud, void* buf, size_t* n, long long* time_us);
  int (*usleep)(void* ud, useconds_t us);
  int (*gettimeofday)(void* ud, timeval* tv, void* tz);
  int (*epoll_create)(void* ud, int size);
  int (*epoll_ctl)(void* ud, int epfd, int op, int fd, epoll_event* ev);
  int (*epoll_wait)(void* ud, int epfd, epoll_event* evs, int maxevents, int timeout_ms);
  int (*pipe)(void* ud, int fds[2]);
  int (*splice)(void* ud, int fd_in, loff_t* off_in, int fd_out, loff_t* off_out, size_t n,
                unsigned int flags);
};

namespace {

[[noreturn]] void Die(const std::string& msg, int status = 2) {
  std::fprintf(stderr, "usnet packetdrill adapter: %s\n", msg.c_str());
  std::exit(status);
}

struct Options {
  std::string ip = "192.168.0.2/16";
  std::string gw = "192.168.0.1";
  uint32_t mtu = 1500;
  uint64_t seed = 1;
  int64_t receive_horizon_s = 300;
  bool sysctl_from_proc = false;
  std::vector<std::string> sysctls;       // NAME=VALUE
  std::vector<std::string> sysctl_files;  // paths

  static Options Parse(const char* flags) {
    Options o;
    if (flags == nullptr) return o;
    for (absl::string_view item :
         absl::StrSplit(flags, absl::ByAnyChar(" \t"), absl::SkipEmpty())) {
      const size_t eq = item.find('=');
      if (eq == absl::string_view::npos) Die("flag '" + std::string(item) + "' is not NAME=VALUE");
      const absl::string_view key = item.substr(0, eq), value = item.substr(eq + 1);
      auto number = [&](auto& out) {
        if (!absl::SimpleAtoi(value, &out))
          Die("flag " + std::string(key) + ": not a number: " + std::string(value));
      };
      if (key == "ip") {
        o.ip = std::string(value);
      } else if (key == "gw") {
        o.gw = std::string(value);
      } else if (key == "mtu") {
        number(o.mtu);
      } else if (key == "seed") {
        number(o.seed);
      } else if (key == "receive_horizon_s") {
        number(o.receive_horizon_s);
      } else if (key == "sysctl_from_proc") {
        int v = 0;
        number(v);
        o.sysctl_from_proc = v != 0;
      } else if (key == "sysctl") {
        o.sysctls.emplace_back(value);
      } else if (key == "sysctl_file") {
        o.sysctl_files.emplace_back(value);
      } else {
        Die("unknown flag '" + std::string(key) +
            "' (ip, gw, mtu, sysctl, sysctl_file, sysctl_from_proc, seed, receive_horizon_s)");
      }
    }
    return o;
  }
};

// tun0: bare IPv4 both ways. What usnet sends is kept for netdev_receive.
class TunDevice final : public NetDevice {
 public:
  struct Sent {
    std::vector<std::byte> bytes;
    absl::Time at;
  };
  // Like packetdrill's tun on Linux: it takes TSO super-frames with partial
  // checksums (finished here, in the copy handed to packetdrill).
  explicit TunDevice(uint32_t mtu) : NetDevice("tun0", DeviceType::kRawIp, MacAddr(), mtu) {
    set_features(kFeatureTso | kFeatureHwCsum);
  }
  void StartXmit(SkbPtr skb) override {
    ++stats_.tx_packets;
    stats_.tx_bytes += skb->len();
    Sent& s = sent.emplace_back();
    SkbFlatten(*skb, s.bytes);
    s.at = core_->loop().clock().Now();
    core_->Consume(std::move(skb));
  }
  void Inject(const void* buf, size_t n) {
    SkbPtr skb = core_->AllocSkb(kRxHeadroom, n);
    if (!skb) return;  // pool exhausted: counted by the pool
    std::memcpy(skb->Put(n), buf, n);
    skb->protocol = 0x0800;
    ++stats_.rx_packets;
    stats_.rx_bytes += n;
    Receive(std::move(skb));
  }
  std::deque<Sent> sent;
};

class Adapter final : public Blocker {
 public:
  explicit Adapter(const Options& o)
      : stack_(loop_, pool_, "usnet", o.seed),
        proc_(stack_),
        horizon_(absl::Seconds(o.receive_horizon_s)),
        sysctl_from_proc_(o.sysctl_from_proc) {
    auto dev = std::make_unique<TunDevice>(o.mtu);
    tun_ = dev.get();
    stack_.AddDevice(std::move(dev));
    if (absl::Status s = stack_.AddAddress("tun0", o.ip); !s.ok())
      Die("ip=" + o.ip + ": " + s.ToString());
    if (absl::Status s = stack_.AddRoute("default", o.gw, "tun0"); !s.ok())
      Die("gw=" + o.gw + ": " + s.ToString());
    for (const std::string& path : o.sysctl_files) {
      if (absl::Status s = stack_.sysctl().LoadFile(path); !s.ok())
        Die("sysctl_file=" + path + ": " + s.ToString());
    }
    for (const std::string& a : o.sysctls) {
      if (absl::Status s = stack_.sysctl().Apply(a); !s.ok())
        Die("sysctl=" + a + ": " + s.ToString());
    }
  }

  // sysctl_from_proc=1: the namespace's values of the knobs usnet has. A
  // value usnet cannot take (out of its range) is reported and skipped.
  void ImportProcSysctls() {
    for (const std::string& name : stack_.sysctl().Names()) {
      std::string path = "/proc/sys/" + name;
      std::replace(path.begin() + 10, path.end(), '.', '/');
      std::FILE* f = std::fopen(path.c_str(), "r");
      if (f == nullptr) continue;  // a knob this kernel lacks
      char buf[256] = {};
      const bool ok = std::fgets(buf, sizeof(buf), f) != nullptr;
      std::fclose(f);
      if (!ok) continue;
      std::string value(absl::StripAsciiWhitespace(buf));
      for (char& c : value) c = c == '\t' ? ' ' : c;  // tcp_rmem is tab separated
      if (absl::Status s = stack_.sysctl().Set(name, value); !s.ok()) {
        std::fprintf(stderr, "usnet packetdrill adapter: %s=%s from /proc not taken: %s\n",
                     name.c_str(), value.c_str(), s.ToString().c_str());
      }
    }
  }

  ~Adapter() override {
    std::unique_lock<std::mutex> lk(mu_);
    // A call still blocked can never complete now.
    if (blocked_ != nullptr) WakeCaller(lk, Wake::kDeadlock);
  }

  // Runs a socket call with the stack held, as the adapter's process.
  template <class F>
  auto Call(F&& f) {
    std::unique_lock<std::mutex> lk(mu_);
    t_lock = &lk;
    if (sysctl_from_proc_) {
      sysctl_from_proc_ = false;
      ImportProcSysctls();
    }
    ProcessScope in(proc_);
    std::optional<Blocker::Scope> blocker;
    if (std::this_thread::get_id() != main_) blocker.emplace(this);
    auto r = f();
    const int saved = errno;
    if (std::this_thread::get_id() == main_) {
      // What the call queued runs now, and may wake a blocked call.
      Drive(lk, clock_.Now(), /*want_packet=*/false);
    } else if (caller_running_) {
      caller_running_ = false;  // back to packetdrill: the main thread may go on
      cv_.notify_all();
    }
    t_lock = nullptr;
    errno = saved;
    return r;
  }

  // Blocker, for packetdrill's system-call thread.
  Wake Block(const std::function<bool()>& ready, absl::Time deadline) override {
    if (ready()) return Wake::kReady;
    Waiter w{&ready, deadline};
    blocked_ = &w;
    caller_running_ = false;
    cv_.notify_all();
    cv_.wait(*t_lock, [&] { return w.woken; });
    t_woke_at = clock_.Now();
    return w.result;
  }

  int NetdevSend(const void* buf, size_t n) {
    std::unique_lock<std::mutex> lk(mu_);
    if (n < 20 || (static_cast<const uint8_t*>(buf)[0] >> 4) != 4) {
      std::fprintf(stderr,
                   "usnet packetdrill adapter: only IPv4 packets can be injected (run with "
                   "--ip_version=ipv4)\n");
      errno = EAFNOSUPPORT;
      return -1;
    }
    tun_->Inject(buf, n);
    Drive(lk, clock_.Now(), /*want_packet=*/false);
    return 0;
  }

  int NetdevReceive(void* buf, size_t* n, long long* time_us) {
    std::unique_lock<std::mutex> lk(mu_);
    if (!Drive(lk, clock_.Now() + horizon_, /*want_packet=*/true)) {
      std::fprintf(
          stderr,
          "usnet packetdrill adapter: netdev_receive: usnet sent nothing (%s of virtual time, "
          "or nothing left that could send)\n",
          absl::FormatDuration(horizon_).c_str());
      *n = 0;
      *time_us = absl::ToUnixMicros(clock_.Now());
      return 0;
    }
    TunDevice::Sent p = std::move(tun_->sent.front());
    tun_->sent.pop_front();
    if (p.bytes.size() > *n) {
      std::fprintf(stderr, "usnet packetdrill adapter: packet of %zu bytes truncated to %zu\n",
                   p.bytes.size(), *n);
    }
    *n = std::min(*n, p.bytes.size());
    std::memcpy(buf, p.bytes.data(), *n);
    *time_us = absl::ToUnixMicros(p.at);
    return 0;
  }

  int Usleep(useconds_t us) {
    std::unique_lock<std::mutex> lk(mu_);
    Drive(lk, clock_.Now() + absl::Microseconds(us), false);
    return 0;
  }

  int Gettimeofday(timeval* tv) {
    std::unique_lock<std::mutex> lk(mu_);
    absl::Time t;
    if (t_woke_at) {
      // A blocking call that just returned: its end time is when it woke,
      // however far the main thread has moved the clock since.
      t = *t_woke_at;
      t_woke_at.reset();
    } else {
      // packetdrill spins on the clock for the last microseconds before an
      // event (on either thread): each read moves virtual time by 1 us so
      // the spin ends.
      Drive(lk, clock_.Now() + absl::Microseconds(1), false);
      t = clock_.Now();
    }
    *tv = absl::ToTimeval(t);
    return 0;
  }

 private:
  struct Waiter {
    const std::function<bool()>* ready;
    absl::Time deadline;
    bool woken = false;
    Wake result = Wake::kReady;
  };

  bool CallerWakeable() const {
    return blocked_ != nullptr && ((*blocked_->ready)() || clock_.Now() >= blocked_->deadline);
  }

  // Main thread, stack held: hands the stack to the blocked call and waits
  // until it has finished or blocked again.
  void WakeCaller(std::unique_lock<std::mutex>& lk, Wake result) {
    Waiter* w = blocked_;
    blocked_ = nullptr;
    w->result = result;
    w->woken = true;
    caller_running_ = true;
    cv_.notify_all();
    if (!cv_.wait_for(lk, std::chrono::seconds(5), [&] { return !caller_running_; })) {
      Die("a blocking call did not finish or block again within 5 s of real time", 1);
    }
  }

  // Main thread, stack held: runs the stack up to `target` (virtual time),
  // letting a blocked call run whenever it can. With `want_packet`, returns
  // true as soon as usnet has sent a packet; false at `target`, or at once
  // when nothing is left that could ever send one.
  bool Drive(std::unique_lock<std::mutex>& lk, absl::Time target, bool want_packet) {
    auto done = [&] { return (want_packet && !tun_->sent.empty()) || CallerWakeable(); };
    for (;;) {
      absl::Time limit = target;
      if (blocked_ != nullptr) limit = std::min(limit, blocked_->deadline);
      loop_.RunUntil(done, limit);
      if (CallerWakeable()) {
        WakeCaller(lk, (*blocked_->ready)() ? Wake::kReady : Wake::kTimeout);
        continue;
      }
      if (want_packet && !tun_->sent.empty()) return true;
      if (clock_.Now() >= target) return false;
      if (!loop_.HasTimers() && !loop_.HasImmediateWork()) {
        // No timer, no work, and the blocked call (if any) has no deadline:
        // nothing can ever happen without the script acting.
        return false;
      }
    }
  }

  static thread_local std::unique_lock<std::mutex>* t_lock;
  static thread_local std::optional<absl::Time> t_woke_at;

  ManualClock clock_;
  EventLoop loop_{clock_};
  SkbPool pool_;
  Stack stack_;
  Process proc_;
  TunDevice* tun_ = nullptr;
  absl::Duration horizon_;
  bool sysctl_from_proc_;
  const std::thread::id main_ = std::this_thread::get_id();  // packetdrill's main thread calls init

  std::mutex mu_;  // the stack: one caller at a time
  std::condition_variable cv_;
  Waiter* blocked_ = nullptr;    // the system-call thread's blocked call
  bool caller_running_ = false;  // a woken call holds the stack
};

thread_local std::unique_lock<std::mutex>* Adapter::t_lock = nullptr;
thread_local std::optional<absl::Time> Adapter::t_woke_at;

Adapter& A(void* ud) { return *static_cast<Adapter*>(ud); }

int Fcntl(void* ud, int fd, int cmd, ...) {
  va_list ap;
  va_start(ap, cmd);
  const long arg = va_arg(ap, long);
  va_end(ap);
  return A(ud).Call([&] { return sys::fcntl(fd, cmd, arg); });
}

int Ioctl(void* ud, int fd, unsigned long request, ...) {
  va_list ap;
  va_start(ap, request);
  void* arg = va_arg(ap, void*);
  va_end(ap);
  return A(ud).Call([&] { return sys::ioctl(fd, request, arg); });
}

void Fill(Interface* ifc, Adapter* a) {
  ifc->userdata = a;
  ifc->free = [](void* ud) { delete static_cast<Adapter*>(ud); };
  ifc->socket = [](void* ud, int d, int t, int p) {
    return A(ud).Call([&] { return sys::socket(d, t, p); });
  };
  ifc->bind = [](void* ud, int fd, const sockaddr* a, socklen_t l) {
    return A(ud).Call([&] { return sys::bind(fd, a, l); });
  };
  ifc->listen = [](void* ud, int fd, int b) {
    return A(ud).Call([&] { return sys::listen(fd, b); });
  };
  ifc->accept = [](void* ud, int fd, sockaddr* a, socklen_t* l) {
    return A(ud).Call([&] { return sys::accept(fd, a, l); });
  };
  ifc->connect = [](void* ud, int fd, const sockaddr* a, socklen_t l) {
    return A(ud).Call([&] { return sys::connect(fd, a, l); });
  };
  ifc->read = [](void* ud, int fd, void* b, size_t n) {
    return A(ud).Call([&] { return sys::read(fd, b, n); });
  };
  ifc->readv = [](void* ud, int fd, const iovec* v, int c) {
    return A(ud).Call([&] { return sys::readv(fd, v, c); });
  };
  ifc->recv = [](void* ud, int fd, void* b, size_t n, int f) {
    return A(ud).Call([&] { return sys::recv(fd, b, n, f); });
  };
  ifc->recvfrom = [](void* ud, int fd, void* b, size_t n, int f, sockaddr* a, socklen_t* l) {
    return A(ud).Call([&] { return sys::recvfrom(fd, b, n, f, a, l); });
  };
  ifc->recvmsg = [](void* ud, int fd, msghdr* m, int f) {
    return A(ud).Call([&] { return sys::recvmsg(fd, m, f); });
  };
  ifc->write = [](void* ud, int fd, const void* b, size_t n) {
    return A(ud).Call([&] { return sys::write(fd, b, n); });
  };
  ifc->writev = [](void* ud, int fd, const iovec* v, int c) {
    return A(ud).Call([&] { return sys::writev(fd, v, c); });
  };
  ifc->send = [](void* ud, int fd, const void* b, size_t n, int f) {
    return A(ud).Call([&] { return sys::send(fd, b, n, f); });
  };
  ifc->sendto = [](void* ud, int fd, const void* b, size_t n, int f, const sockaddr* a,
                   socklen_t l) {
    return A(ud).Call([&] { return sys::sendto(fd, b, n, f, a, l); });
  };
  ifc->sendmsg = [](void* ud, int fd, const msghdr* m, int f) {
    return A(ud).Call([&] { return sys::sendmsg(fd, m, f); });
  };
  ifc->fcntl = Fcntl;
  ifc->ioctl = Ioctl;
  ifc->close = [](void* ud, int fd) { return A(ud).Call([&] { return sys::close(fd); }); };
  ifc->shutdown = [](void* ud, int fd, int h) {
    return A(ud).Call([&] { return sys::shutdown(fd, h); });
  };
  ifc->getsockopt = [](void* ud, int fd, int lv, int nm, void* v, socklen_t* l) {
    return A(ud).Call([&] { return sys::getsockopt(fd, lv, nm, v, l); });
  };
  ifc->setsockopt = [](void* ud, int fd, int lv, int nm, const void* v, socklen_t l) {
    return A(ud).Call([&] { return sys::setsockopt(fd, lv, nm, v, l); });
  };
  ifc->poll = [](void* ud, pollfd* f, nfds_t n, int t) {
    return A(ud).Call([&] { return sys::poll(f, n, t); });
  };
  ifc->netdev_send = [](void* ud, const void* b, size_t n) { return A(ud).NetdevSend(b, n); };
  ifc->netdev_receive = [](void* ud, void* b, size_t* n, long long* t) {
    return A(ud).NetdevReceive(b, n, t);
  };
  ifc->usleep = [](void* ud, useconds_t us) { return A(ud).Usleep(us); };
  ifc->gettimeofday = [](void* ud, timeval* tv, void*) { return A(ud).Gettimeofday(tv); };
  ifc->epoll_create = [](void* ud, int size) {
    return A(ud).Call([&] { return sys::epoll_create(size); });
  };
  ifc->epoll_ctl = [](void* ud, int ep, int op, int fd, epoll_event* e) {
    return A(ud).Call([&] { return sys::epoll_ctl(ep, op, fd, e); });
  };
  ifc->epoll_wait = [](void* ud, int ep, epoll_event* e, int n, int t) {
    return A(ud).Call([&] { return sys::epoll_wait(ep, e, n, t); });
  };
  // usnet has no pipes: a script that uses them fails with this errno.
  ifc->pipe = [](void*, int*) {
    errno = EOPNOTSUPP;
    return -1;
  };
  ifc->splice = [](void*, int, loff_t*, int, loff_t*, size_t, unsigned int) -> int {
    errno = EOPNOTSUPP;
    return -1;
  };
}

}  // namespace
}  // namespace usnet::packetdrill

extern "C" __attribute__((visibility("default"))) void packetdrill_interface_init(
    const char* flags, usnet::packetdrill::Interface* ifc) {
  using namespace usnet::packetdrill;
  std::memset(ifc, 0, sizeof(*ifc));
  Fill(ifc, new Adapter(Options::Parse(flags)));
}
