// UDP receive path: Ethernet -> IPv4 -> UDP -> socket queue, in ns/packet.
//
//   usnet_bench --benchmark_filter=UdpRx
//
// One host (10.0.0.2 on a memlink end "eth0") with a UDP socket bound to
// port 9000, fed real frames from 10.0.0.1 with correct IPv4 and UDP
// checksums. Each packet is handled as a driver would: allocate an skb from
// the pool with NET_SKB_PAD headroom, copy the frame in (the "DMA", through
// the copy ledger as CopySite::kDeviceRx; it is inside the timed loop), and
// hand it up with NetDevice::Receive exactly as a NAPI poll does. Variants:
//
//   BM_UdpRx_StackToQueue    driver + stack to the socket queue; the datagram
//                            is then taken off with a zero-length recvmsg
//                            straight on the socket (no payload copy, no
//                            fd lookup) so the queue never fills.
//   BM_UdpRx_WithRecvfrom    the same, drained by usnet::sys::recvfrom
//                            (MSG_DONTWAIT) into a user buffer: the full
//                            receive, including the one RX copy.
//   BM_UdpRx_NapiBatch64     64 frames put on the wire (the memlink peer's
//                            StartXmit queues them on eth0's NAPI receive
//                            queue and raises its interrupt), then one event
//                            loop round polls them up (weight 64); drained as
//                            in StackToQueue.
//
// The argument is the UDP payload: 18 bytes makes a minimum-size 60-byte
// frame, 1472 a full 1514-byte one (there the UDP checksum dominates).
#include <arpa/inet.h>

#include <cstring>
#include <memory>
#include <vector>

#include "benchmark/benchmark.h"
#include "drivers/memlink/memlink.h"
#include "kernel/check.h"
#include "kernel/clock.h"
#include "kernel/event_loop.h"
#include "net/core/skbuff.h"
#include "net/ipv4/udp.h"
#include "net/stack.h"
#include "net/wire/ethernet.h"
#include "net/wire/ipv4.h"
#include "net/wire/udp.h"
#include "syscalls/process.h"
#include "syscalls/socket_api.h"

namespace usnet {
namespace {

constexpr uint16_t kPort = 9000;

// One receiving host and the wire end that feeds it. Members are declared
// so that destruction runs process (closes the socket), wire end, host, pool.
struct RxHost {
  ManualClock clock;
  EventLoop loop{clock};
  SkbPool pool;
  Stack host{loop, pool, "rx", 1};
  NetDevice* eth0 = nullptr;
  std::unique_ptr<MemLinkDevice> wire;  // the far end: its StartXmit feeds eth0
  Process proc{host};
  int fd = -1;
  Sock* sock = nullptr;
  std::vector<std::byte> frame;

  explicit RxHost(size_t payload) {
    auto [far, near] = MemLink::Make(loop, {.name = "peer", .mac = MacAddr::Local(1)},
                                     {.name = "eth0", .mac = MacAddr::Local(2)});
    wire = std::move(far);
    eth0 = host.AddDevice(std::move(near));
    USNET_CHECK(host.AddAddress("eth0", "10.0.0.2/24").ok());
    ProcessScope in(proc);
    fd = sys::socket(AF_INET, SOCK_DGRAM, 0);
    USNET_CHECK(fd >= 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(kPort);
    USNET_CHECK(sys::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) == 0);
    sock = proc.fds().Get(fd)->sock.get();
    BuildFrame(payload);
  }
  ~RxHost() {
    loop.RunFor(absl::Milliseconds(1));  // let a still-scheduled NAPI complete
    USNET_CHECK(pool.stats().unaccounted == 0);
  }

  // Ethernet + IPv4 + UDP, checksums filled by the wire emitters.
  void BuildFrame(size_t payload) {
    const Ipv4Addr src = Ipv4Addr::FromOctets(10, 0, 0, 1);
    const Ipv4Addr dst = Ipv4Addr::FromOctets(10, 0, 0, 2);
    frame.assign(kEthHeaderLen + kIpv4MinHeaderLen + kUdpHeaderLen + payload, std::byte{0});
    std::byte* p = frame.data();
    EthRepr{eth0->mac(), MacAddr::Local(1), kEthPIp}.Emit(p);
    Ipv4Repr{.src = src, .dst = dst, .protocol = kIpProtoUdp, .id = 1, .df = true,
             .payload_len = kUdpHeaderLen + payload}
        .Emit(p + kEthHeaderLen);
    std::byte* udp = p + kEthHeaderLen + kIpv4MinHeaderLen;
    for (size_t i = 0; i < payload; ++i) udp[kUdpHeaderLen + i] = static_cast<std::byte>(i * 7 + 1);
    UdpRepr{Port(40000), Port(kPort), payload}.Emit(udp, src, dst);
  }

  // What a driver does per received frame before handing it up.
  SkbPtr DriverFill() {
    SkbPtr skb = pool.Alloc(kRxHeadroom + frame.size());
    (void)skb->Reserve(kRxHeadroom);
    host.core().ledger().Copy(CopySite::kDeviceRx, skb->Put(frame.size()), frame.data(),
                              frame.size());
    return skb;
  }

  // Takes one datagram off the socket without copying its payload (a
  // zero-length read; MSG_TRUNC reports the datagram's real length).
  ssize_t Pop() {
    msghdr m{};
    return sock->RecvMsg(m, MSG_TRUNC);
  }

  uint64_t Counter(std::string_view name) {
    for (const auto& [n, v] : host.Counters()) {
      if (n == name) return v;
    }
    return 0;
  }
};

void ReportDelivered(benchmark::State& state, RxHost& h, int64_t packets) {
  state.SetItemsProcessed(packets);
  state.SetBytesProcessed(packets * static_cast<int64_t>(h.frame.size()));
  // Every frame must have reached the socket (and nothing been dropped).
  if (h.Counter("UdpInDatagrams") != static_cast<uint64_t>(packets) ||
      h.host.core().drops().Get(DropReason::kSOCKET_RCVBUFF) != 0) {
    state.SkipWithError("not every frame was delivered");
  }
}

void BM_UdpRx_StackToQueue(benchmark::State& state) {
  const size_t payload = static_cast<size_t>(state.range(0));
  RxHost h(payload);
  for (auto _ : state) {
    h.eth0->Receive(h.DriverFill());
    if (h.Pop() != static_cast<ssize_t>(payload)) {
      state.SkipWithError("datagram missing");
      break;
    }
  }
  ReportDelivered(state, h, static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_UdpRx_StackToQueue)->Arg(18)->Arg(1472);

void BM_UdpRx_WithRecvfrom(benchmark::State& state) {
  const size_t payload = static_cast<size_t>(state.range(0));
  RxHost h(payload);
  ProcessScope in(h.proc);
  char buf[2048];
  for (auto _ : state) {
    h.eth0->Receive(h.DriverFill());
    sockaddr_in from;
    socklen_t flen = sizeof(from);
    ssize_t n = sys::recvfrom(h.fd, buf, sizeof(buf), MSG_DONTWAIT,
                              reinterpret_cast<sockaddr*>(&from), &flen);
    if (n != static_cast<ssize_t>(payload)) {
      state.SkipWithError("recvfrom failed");
      break;
    }
    benchmark::DoNotOptimize(buf);
  }
  ReportDelivered(state, h, static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_UdpRx_WithRecvfrom)->Arg(18)->Arg(1472);

void BM_UdpRx_NapiBatch64(benchmark::State& state) {
  constexpr int kBatch = 64;
  const size_t payload = static_cast<size_t>(state.range(0));
  RxHost h(payload);
  for (auto _ : state) {
    for (int i = 0; i < kBatch; ++i) h.wire->StartXmit(h.DriverFill());
    h.loop.RunOnce();
    for (int i = 0; i < kBatch; ++i) {
      if (h.Pop() != static_cast<ssize_t>(payload)) {
        state.SkipWithError("datagram missing");
        break;
      }
    }
  }
  ReportDelivered(state, h, static_cast<int64_t>(state.iterations()) * kBatch);
}
BENCHMARK(BM_UdpRx_NapiBatch64)->Arg(18)->Arg(1472);

}  // namespace
}  // namespace usnet
