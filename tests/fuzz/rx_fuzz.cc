// rx_fuzz: arbitrary frames into one host's receive path, through the same
// door a driver uses (a NAPI receive queue drained by the event loop), in
// virtual time. After every input the host is run until nothing can be
// pending, its sockets are drained, and the skb accounting must balance:
// every skb (each injected frame, each one the stacks made) ended in exactly
// one Consume or Drop, every Drop was counted under a reason, and a quiet
// host holds no skb at all.
//
// The world, rebuilt for every input so a crash replays from its input alone:
//
//   host "a" 10.0.0.1 eth0 ==memlink== eth0 10.0.0.2  host "b" (the target)
//                                       tun0 10.0.1.2  (raw IP, ARPHRD_NONE)
//   b: default route via 10.0.0.1; permanent neighbour 10.0.0.3; small
//      unres_qlen_bytes, ipfrag_high_thresh and icmp_msgs_burst; sockets:
//      UDP 0.0.0.0:7 twice (SO_REUSEADDR; one with SO_BROADCAST and the
//      smallest SO_RCVBUF), UDP 10.0.0.2:5000 connected to 10.0.0.1:9
//      (IP_RECVERR), UDP 10.0.1.2:9, ping with ident 0x1234 (IP_RECVERR).
//
// Ethernet frames enter b's eth0 as if a's driver had put them on the wire
// (MemLinkDevice::StartXmit on a's end); raw IP packets enter tun0 with
// skb->protocol = ETH_P_IP, as a TUN driver hands them up.
//
// Input: records, each
//   op (1 byte) | len (2 bytes, big-endian, clamped to what is left) | data
// op bits 0-2 pick what `data` is:
//   0 ETH    a whole Ethernet frame, as is
//   1 L2     data = ethertype (2) + payload; an Ethernet header to b's MAC
//            (bit 3: to broadcast) from a's MAC is put in front
//   2 IP     data = an IPv4 packet, framed in Ethernet to b (fixups below)
//   3 TUN    data = an IPv4 packet into tun0 (fixups below)
//   4 ARP    data = op, sender MAC/IP, target MAC/IP (22 bytes, zero-padded)
//            after a valid Ethernet/ARP prefix (bit 3: broadcast; bit 4:
//            sender MAC = a's; bit 5: target IP = 10.0.0.2)
//   5 UDPTX  b sends a UDP datagram: data = [dst][port hi][port lo][len hi][len lo]
//   6 PINGTX b's ping socket sends an echo: data = [dst][len hi][len lo]
//   7 CTRL   data[0]: bits 0-2 advance virtual time (0, 1 ms, 200 ms, 1 s,
//            3.5 s, 31 s, 61 s, 10 min); bit 3 drain the sockets; bit 4
//            toggle eth0 up/down; bit 5 toggle tun0 up/down. data[1], if
//            present: from now on IP packets (kinds 2, 3) get data[1] * 256
//            zero bytes appended before the fixups, so a short input can
//            carry the big fragments that reach reassembly's size limits
// IP fixups (kinds 2, 3): bit 3 set src = the peer (10.0.0.1 / 10.0.1.1) and
// dst = b's address; bit 4 make the header valid (version 4, sane ihl, total
// length = data length; pads to 20 bytes); bit 5 fix the UDP length and
// checksum or the ICMP checksum of an unfragmented packet. The IP header
// checksum is recomputed whenever any fixup bit is set.
// op bits 6-7, after a frame: 0 leave it queued (frames batch up in NAPI),
// 1 run what is due now, 2 run 1 ms, 3 run 1 s.
//
// Seeds: tests/fuzz/corpus/rx/, written by tests/fuzz/make_rx_corpus.py.
// Run: tools/run-fuzzers.sh BUILD_DIR SECONDS (or `make fuzz`). Replay one
// input and see what it did: RX_FUZZ_VERBOSE=1 BUILD_DIR/bin/rx_fuzz FILE
// prints both hosts' nonzero counters.
#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "drivers/memlink/memlink.h"
#include "kernel/clock.h"
#include "kernel/event_loop.h"
#include "net/core/checksum.h"
#include "net/core/napi_rx_queue.h"
#include "net/core/net_core.h"
#include "net/core/skbuff.h"
#include "net/ipv4/arp.h"
#include "net/stack.h"
#include "net/wire/ethernet.h"
#include "net/wire/ipv4.h"
#include "syscalls/process.h"
#include "syscalls/socket_api.h"

namespace usnet {
namespace {

// A fuzz failure: print what broke and abort, so libFuzzer saves the input.
#define FUZZ_ASSERT(cond, ...)                                          \
  do {                                                                  \
    if (!(cond)) {                                                      \
      std::fprintf(stderr, "rx_fuzz: invariant failed: %s\n  ", #cond); \
      std::fprintf(stderr, __VA_ARGS__);                                \
      std::fprintf(stderr, "\n");                                       \
      std::abort();                                                     \
    }                                                                   \
  } while (0)

constexpr Ipv4Addr kAddrA = Ipv4Addr::FromOctets(10, 0, 0, 1);
constexpr Ipv4Addr kAddrB = Ipv4Addr::FromOctets(10, 0, 0, 2);
constexpr Ipv4Addr kNeighC = Ipv4Addr::FromOctets(10, 0, 0, 3);
constexpr Ipv4Addr kTunPeer = Ipv4Addr::FromOctets(10, 0, 1, 1);
constexpr Ipv4Addr kTunAddr = Ipv4Addr::FromOctets(10, 0, 1, 2);
constexpr uint16_t kPingIdent = 0x1234;

// A TUN-like device: bare IPv4 packets, no link header, no ARP. Received
// packets wait on a NAPI queue like any driver's; what the stack transmits
// leaves for the (absent) far side and counts as delivered.
class FuzzTunDevice final : public NetDevice {
 public:
  explicit FuzzTunDevice(EventLoop& loop)
      : NetDevice("tun0", DeviceType::kRawIp, MacAddr(), 1280), rxq_(loop, *this, 1000) {}
  void StartXmit(SkbPtr skb) override {
    ++stats_.tx_packets;
    stats_.tx_bytes += skb->len();
    core_->Consume(std::move(skb));
  }
  std::vector<const Napi*> napis() const override { return {&rxq_.napi()}; }
  // What a TUN driver's poll would find in its ring.
  void Inject(SkbPtr skb) {
    ++injected_;
    rxq_.Enqueue(std::move(skb));
  }
  uint64_t injected() const { return injected_; }

 private:
  NapiRxQueue rxq_;
  uint64_t injected_ = 0;
};

sockaddr_in Sin(Ipv4Addr a, uint16_t port) {
  sockaddr_in s{};
  s.sin_family = AF_INET;
  s.sin_port = htons(port);
  s.sin_addr.s_addr = htonl(a.value());
  return s;
}

void Check(int r, const char* what) {
  if (r < 0) {
    std::fprintf(stderr, "rx_fuzz: setup failed: %s: errno %d\n", what, errno);
    std::abort();
  }
}

class World {
 public:
  // The pool outlives the worlds: its slabs (a few hundred KiB) would
  // otherwise be mapped and faulted in afresh for every input. It is empty
  // between inputs, so no state carries over.
  explicit World(SkbPool& pool) : pool_(pool), base_(pool.stats()) {
    USNET_CHECK(pool_.in_use() == 0);
    auto [ea, eb] = MemLink::Make(loop_, {.name = "eth0", .mac = MacAddr::Local(1)},
                                  {.name = "eth0", .mac = MacAddr::Local(2)});
    eth_a_ = a_->AddDevice(std::move(ea));
    eth_b_ = b_->AddDevice(std::move(eb));
    auto tun = std::make_unique<FuzzTunDevice>(loop_);
    tun_ = tun.get();
    b_->AddDevice(std::move(tun));
    USNET_CHECK(a_->AddAddress("eth0", "10.0.0.1/24").ok());
    USNET_CHECK(b_->AddAddress("eth0", "10.0.0.2/24").ok());
    USNET_CHECK(b_->AddAddress("tun0", "10.0.1.2/24").ok());
    USNET_CHECK(b_->AddRoute("default", "10.0.0.1", "eth0").ok());
    b_->inet().arp().AddPermanent(kNeighC, eth_b_, MacAddr::Local(3));
    // Small limits, so that short inputs reach them: ARP queues of a few
    // packets, a reassembly memory cap a few big fragments exceed, an ICMP
    // burst of four.
    for (const char* kv :
         {"net.ipv4.neigh.default.unres_qlen_bytes=8192", "net.ipv4.ipfrag_high_thresh=262144",
          "net.ipv4.ipfrag_low_thresh=196608", "net.ipv4.icmp_msgs_burst=4"}) {
      USNET_CHECK(b_->sysctl().Apply(kv).ok());
    }
    OpenSockets();
  }

  ~World() {
    // Close what is still open, then take the hosts down. Nothing should be
    // left for teardown to purge (CheckQuiet ran), but teardown must account
    // for whatever it frees all the same.
    {
      ProcessScope in(*proc_b_);
      for (int fd : fds_) Check(sys::close(fd), "close");
    }
    proc_b_.reset();
    const SkbPoolStats before = pool_.stats();
    b_.reset();
    a_.reset();
    FUZZ_ASSERT(pool_.in_use() == 0, "teardown left %lu skbs in use",
                static_cast<unsigned long>(pool_.in_use()));
    FUZZ_ASSERT(pool_.stats().unaccounted == before.unaccounted,
                "teardown freed %lu skbs unaccounted",
                static_cast<unsigned long>(pool_.stats().unaccounted - before.unaccounted));
  }

  void Run(const uint8_t* data, size_t size) {
    size_t pos = 0;
    while (pos < size) {
      const uint8_t op = data[pos++];
      size_t len = 0;
      if (pos + 2 <= size) {
        len = (size_t{data[pos]} << 8) | data[pos + 1];
        pos += 2;
      } else {
        pos = size;
      }
      len = std::min(len, size - pos);
      Record(op, data + pos, len);
      pos += len;
    }
    Settle();
    if (std::getenv("RX_FUZZ_VERBOSE") != nullptr) PrintCounters();
    CheckQuiet();
  }

 private:
  void OpenSockets() {
    ProcessScope in(*proc_b_);
    const int one = 1;
    // The echo-style server: anything to port 7, broadcasts included, and
    // a second one sharing the port (SO_REUSEADDR), so that broadcasts are
    // cloned to both.
    int u = sys::socket(AF_INET, SOCK_DGRAM, 0);
    Check(u, "socket udp");
    Check(sys::setsockopt(u, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)), "SO_REUSEADDR");
    sockaddr_in sa = Sin(Ipv4Addr(), 7);
    Check(sys::bind(u, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)), "bind :7");
    int u2 = sys::socket(AF_INET, SOCK_DGRAM, 0);
    Check(u2, "socket udp twin");
    Check(sys::setsockopt(u2, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)), "SO_REUSEADDR twin");
    Check(sys::bind(u2, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)), "bind :7 twin");
    Check(sys::setsockopt(u, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one)), "SO_BROADCAST");
    const int small = 1;  // the minimum (2304): the third datagram is dropped
    Check(sys::setsockopt(u, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)), "SO_RCVBUF");
    udp_ = u;
    // A connected client that wants ICMP errors on its error queue.
    int c = sys::socket(AF_INET, SOCK_DGRAM, 0);
    Check(c, "socket udp2");
    sa = Sin(kAddrB, 5000);
    Check(sys::bind(c, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)), "bind 10.0.0.2:5000");
    Check(sys::setsockopt(c, SOL_IP, IP_RECVERR, &one, sizeof(one)), "IP_RECVERR");
    sa = Sin(kAddrA, 9);
    Check(sys::connect(c, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)), "connect");
    // One bound to the TUN side's address only.
    int t = sys::socket(AF_INET, SOCK_DGRAM, 0);
    Check(t, "socket udp3");
    sa = Sin(kTunAddr, 9);
    Check(sys::bind(t, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)), "bind 10.0.1.2:9");
    // A ping socket: echo replies with its ident land here.
    int p = sys::socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
    Check(p, "socket ping");
    sa = Sin(Ipv4Addr(), kPingIdent);
    Check(sys::bind(p, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)), "bind ping");
    Check(sys::setsockopt(p, SOL_IP, IP_RECVERR, &one, sizeof(one)), "IP_RECVERR ping");
    Check(sys::setsockopt(p, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one)), "SO_BROADCAST ping");
    ping_ = p;
    fds_ = {u, u2, c, t, p};
  }

  void Record(uint8_t op, const uint8_t* d, size_t n) {
    const int kind = op & 7;
    const bool b3 = op & 0x08, b4 = op & 0x10, b5 = op & 0x20;
    std::vector<uint8_t> f;
    switch (kind) {
      case 0:  // ETH
        InjectEth(std::vector<uint8_t>(d, d + n));
        break;
      case 1: {  // L2
        f = EthHeader(b3 ? MacAddr::Broadcast() : eth_b_->mac(),
                      n >= 2 ? static_cast<uint16_t>((d[0] << 8) | d[1]) : kEthPIp);
        if (n > 2) f.insert(f.end(), d + 2, d + n);
        InjectEth(std::move(f));
        break;
      }
      case 2: {  // IP over Ethernet
        f = EthHeader(eth_b_->mac(), kEthPIp);
        std::vector<uint8_t> ip = Padded(d, n);
        FixIp(ip, b3, b4, b5, kAddrA, kAddrB);
        f.insert(f.end(), ip.begin(), ip.end());
        InjectEth(std::move(f));
        break;
      }
      case 3: {  // raw IP into tun0
        std::vector<uint8_t> ip = Padded(d, n);
        FixIp(ip, b3, b4, b5, kTunPeer, kTunAddr);
        InjectTun(ip);
        break;
      }
      case 4:  // ARP
        InjectEth(ArpFrame(d, n, b3, b4, b5));
        break;
      case 5:
        UdpSend(d, n);
        break;
      case 6:
        PingSend(d, n);
        break;
      case 7:
        if (n > 1) pad_ = size_t{d[1]} * 256;
        Control(n > 0 ? d[0] : 0);
        return;  // no run-mode bits for control records
    }
    // Bits 6-7: run the loop after the frame? (0: no, it waits in NAPI.)
    static constexpr absl::Duration kRunFor[4] = {absl::ZeroDuration(), absl::ZeroDuration(),
                                                  absl::Milliseconds(1), absl::Seconds(1)};
    if ((op >> 6) != 0) loop_.RunFor(kRunFor[op >> 6]);
  }

  std::vector<uint8_t> Padded(const uint8_t* d, size_t n) const {
    std::vector<uint8_t> v(d, d + n);
    v.resize(std::min(n + pad_, kIpv4MaxPacket));
    return v;
  }

  std::vector<uint8_t> EthHeader(MacAddr dst, uint16_t ethertype) const {
    std::vector<uint8_t> f(kEthHeaderLen);
    EthRepr{dst, eth_a_->mac(), ethertype}.Emit(reinterpret_cast<std::byte*>(f.data()));
    return f;
  }

  std::vector<uint8_t> ArpFrame(const uint8_t* d, size_t n, bool bcast, bool own_mac,
                                bool to_b) const {
    std::vector<uint8_t> f = EthHeader(bcast ? MacAddr::Broadcast() : eth_b_->mac(), kEthPArp);
    static constexpr uint8_t kPrefix[] = {0, 1, 8, 0, 6, 4};
    f.insert(f.end(), kPrefix, kPrefix + sizeof(kPrefix));
    uint8_t body[22] = {};
    std::memcpy(body, d, std::min(n, sizeof(body)));
    if (own_mac) std::memcpy(body + 2, eth_a_->mac().bytes().data(), 6);
    if (to_b) StoreBe32(reinterpret_cast<std::byte*>(body + 18), kAddrB.value());
    f.insert(f.end(), body, body + sizeof(body));
    if (n > sizeof(body)) f.insert(f.end(), d + sizeof(body), d + n);  // trailer / padding
    return f;
  }

  static void FixIp(std::vector<uint8_t>& ip, bool addrs, bool hdr, bool l4, Ipv4Addr src,
                    Ipv4Addr dst) {
    if (!addrs && !hdr && !l4) return;
    if (ip.size() < kIpv4MinHeaderLen) ip.resize(kIpv4MinHeaderLen);
    if (ip.size() > kIpv4MaxPacket) ip.resize(kIpv4MaxPacket);
    std::byte* p = reinterpret_cast<std::byte*>(ip.data());
    if (hdr) {
      size_t ihl = ip[0] & 0xf;
      if (ihl < 5) ihl = 5;
      if (ihl * 4 > ip.size()) ihl = ip.size() / 4;
      ip[0] = static_cast<uint8_t>(0x40 | ihl);
      StoreBe16(p + 2, static_cast<uint16_t>(ip.size()));
    }
    if (addrs) {
      StoreBe32(p + 12, src.value());
      StoreBe32(p + 16, dst.value());
    }
    const size_t hlen = size_t{ip[0] & 0xfu} * 4;
    const bool fragment = (LoadBe16(p + 6) & 0x3fff) != 0;
    if (l4 && !fragment && hlen >= kIpv4MinHeaderLen && hlen <= ip.size()) {
      // Cover what the IP header says is there (the stack trims to it).
      const size_t total = std::min<size_t>(LoadBe16(p + 2), ip.size());
      if (total >= hlen + 8) {
        std::byte* l4p = p + hlen;
        const size_t l4len = total - hlen;
        if (ip[9] == 17) {
          StoreBe16(l4p + 4, static_cast<uint16_t>(l4len));
          StoreCsum(l4p + 6, 0);
          const uint16_t c = CsumFold(
              CsumPartial(l4p, l4len,
                          PseudoHeaderSum(Ipv4Addr(LoadBe32(p + 12)), Ipv4Addr(LoadBe32(p + 16)),
                                          17, static_cast<uint16_t>(l4len))));
          StoreCsum(l4p + 6, c == 0 ? 0xffff : c);
        } else if (ip[9] == 1) {
          StoreCsum(l4p + 2, 0);
          StoreCsum(l4p + 2, CsumFold(CsumPartial(l4p, l4len, 0)));
        }
      }
    }
    // The header checksum goes last: it covers the fixed addresses.
    const size_t h = std::min(size_t{ip[0] & 0xfu} * 4, ip.size() & ~size_t{1});
    StoreCsum(p + 10, 0);
    if (h >= kIpv4MinHeaderLen) StoreCsum(p + 10, CsumFold(CsumPartial(p, h, 0)));
  }

  SkbPtr MakeSkb(const std::vector<uint8_t>& bytes) {
    // Like a driver's RX buffer: NET_SKB_PAD of headroom, then the frame.
    SkbPtr skb = pool_.Alloc(kRxHeadroom + bytes.size());
    USNET_CHECK(skb);
    USNET_CHECK(skb->Reserve(kRxHeadroom));
    std::byte* p = skb->Put(bytes.size());
    USNET_CHECK(p != nullptr);
    if (!bytes.empty()) std::memcpy(p, bytes.data(), bytes.size());
    ++injected_;
    return skb;
  }

  void InjectEth(std::vector<uint8_t> frame) {
    // a's end of the wire transmits it: the frame is queued on b's eth0 and
    // raises its NAPI interrupt, exactly as traffic from a would.
    eth_a_->StartXmit(MakeSkb(frame));
  }

  void InjectTun(const std::vector<uint8_t>& packet) {
    SkbPtr skb = MakeSkb(packet);
    skb->protocol = kEthPIp;  // what a TUN driver sets for an IPv4 packet
    tun_->Inject(std::move(skb));
  }

  static Ipv4Addr Dest(uint8_t sel) {
    switch (sel & 3) {
      case 0:
        return kAddrA;
      case 1:
        return Ipv4Addr::FromOctets(10, 0, 0, sel);
      case 2:
        return Ipv4Addr::FromOctets(10, 0, 1, sel);
      default:
        return (sel & 4) ? Ipv4Addr::Broadcast() : Ipv4Addr::FromOctets(10, 0, 0, 255);
    }
  }

  void UdpSend(const uint8_t* d, size_t n) {
    uint8_t b[5] = {};
    std::memcpy(b, d, std::min(n, sizeof(b)));
    const uint16_t port = static_cast<uint16_t>((b[1] << 8) | b[2]);
    const size_t len = ((size_t{b[3]} << 8) | b[4]) % 4000;  // up to ~3 fragments
    std::vector<uint8_t> payload(len, 0x5a);
    sockaddr_in to = Sin(Dest(b[0]), port);
    ProcessScope in(*proc_b_);
    (void)sys::sendto(udp_, payload.data(), payload.size(), MSG_DONTWAIT,
                      reinterpret_cast<sockaddr*>(&to), sizeof(to));
  }

  void PingSend(const uint8_t* d, size_t n) {
    uint8_t b[3] = {};
    std::memcpy(b, d, std::min(n, sizeof(b)));
    const size_t len = 8 + ((size_t{b[1]} << 8) | b[2]) % 4000;
    std::vector<uint8_t> req(len, 0xa5);
    req[0] = 8;  // echo request, code 0; the kernel fills ident and checksum
    req[1] = 0;
    req[6] = 0;
    req[7] = static_cast<uint8_t>(n);  // sequence
    sockaddr_in to = Sin(Dest(b[0]), 0);
    ProcessScope in(*proc_b_);
    (void)sys::sendto(ping_, req.data(), req.size(), MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&to),
                      sizeof(to));
  }

  void Control(uint8_t c) {
    static constexpr absl::Duration kSteps[8] = {absl::ZeroDuration(),     absl::Milliseconds(1),
                                                 absl::Milliseconds(200),  absl::Seconds(1),
                                                 absl::Milliseconds(3500), absl::Seconds(31),
                                                 absl::Seconds(61),        absl::Minutes(10)};
    loop_.RunFor(kSteps[c & 7]);
    if (c & 0x08) DrainSockets();
    if (c & 0x10) eth_b_->set_up(!eth_b_->up());
    if (c & 0x20) tun_->set_up(!tun_->up());
  }

  // Reads everything the sockets hold: data, pending errors, error queues.
  void DrainSockets() {
    ProcessScope in(*proc_b_);
    char buf[70000];
    char ctl[256];
    for (int fd : fds_) {
      for (int i = 0; i < 10000; ++i) {
        ssize_t r = sys::recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
        if (r < 0 && errno == EAGAIN) break;
      }
      for (int i = 0; i < 10000; ++i) {
        iovec iov{buf, sizeof(buf)};
        sockaddr_in from{};
        msghdr m{};
        m.msg_name = &from;
        m.msg_namelen = sizeof(from);
        m.msg_iov = &iov;
        m.msg_iovlen = 1;
        m.msg_control = ctl;
        m.msg_controllen = sizeof(ctl);
        if (sys::recvmsg(fd, &m, MSG_ERRQUEUE | MSG_DONTWAIT) < 0) break;
      }
    }
  }

  // Brings every device up, lets every timer that can hold a packet expire
  // (reassembly 30 s, ARP resolution 3 s, delayed probes), and empties the
  // sockets.
  void Settle() {
    eth_b_->set_up(true);
    tun_->set_up(true);
    loop_.RunFor(absl::Seconds(121));
    DrainSockets();
    loop_.RunFor(absl::Seconds(1));
    DrainSockets();
  }

  // RX_FUZZ_VERBOSE=1 rx_fuzz INPUT: what the input did, as nstat would say.
  void PrintCounters() {
    for (Stack* h : {a_.get(), b_.get()}) {
      std::fprintf(stderr, "--- host %s\n", h->name().c_str());
      for (const auto& [name, v] : h->Counters()) {
        if (v != 0)
          std::fprintf(stderr, "  %-28s %lu\n", name.c_str(), static_cast<unsigned long>(v));
      }
    }
  }

  // The accounting invariants.
  void CheckQuiet() {
    // This input's share of the pool's counters.
    const SkbPoolStats& now = pool_.stats();
    SkbPoolStats s;
    s.allocs = now.allocs - base_.allocs;
    s.clones = now.clones - base_.clones;
    s.frees = now.frees - base_.frees;
    s.consumed = now.consumed - base_.consumed;
    s.dropped = now.dropped - base_.dropped;
    s.unaccounted = now.unaccounted - base_.unaccounted;
    auto u = [](uint64_t v) { return static_cast<unsigned long>(v); };
    FUZZ_ASSERT(s.unaccounted == 0, "%lu skbs freed without Consume or Drop", u(s.unaccounted));
    FUZZ_ASSERT(pool_.in_use() == 0,
                "a quiet host still holds %lu skbs (allocs %lu clones %lu frees %lu)",
                u(pool_.in_use()), u(s.allocs), u(s.clones), u(s.frees));
    FUZZ_ASSERT(s.consumed + s.dropped == s.frees, "consumed %lu + dropped %lu != frees %lu",
                u(s.consumed), u(s.dropped), u(s.frees));
    FUZZ_ASSERT(s.allocs >= injected_, "allocs %lu < injected %lu", u(s.allocs), u(injected_));
    // Every Drop was counted under a reason by the host that dropped it.
    uint64_t counted = 0;
    for (Stack* h : {a_.get(), b_.get()}) {
      for (uint64_t v : h->core().drops().values()) counted += v;
    }
    FUZZ_ASSERT(counted == s.dropped, "drop counters sum to %lu, pool dropped %lu", u(counted),
                u(s.dropped));
    // Each frame put on the wire reached the far end's stack or was counted
    // dropped there; each TUN packet likewise.
    for (auto [tx, rx] : {std::pair(eth_a_, eth_b_), std::pair(eth_b_, eth_a_)}) {
      const NetDeviceStats &t = tx->stats(), &r = rx->stats();
      FUZZ_ASSERT(t.tx_packets == r.rx_packets + r.rx_dropped,
                  "%s sent %lu frames, %s received %lu + dropped %lu", tx == eth_a_ ? "a" : "b",
                  u(t.tx_packets), rx == eth_a_ ? "a" : "b", u(r.rx_packets), u(r.rx_dropped));
    }
    const NetDeviceStats& ts = tun_->stats();
    FUZZ_ASSERT(tun_->injected() == ts.rx_packets + ts.rx_dropped,
                "tun0: %lu injected, %lu received + %lu dropped", u(tun_->injected()),
                u(ts.rx_packets), u(ts.rx_dropped));
  }

  ManualClock clock_;
  EventLoop loop_{clock_};
  SkbPool& pool_;
  const SkbPoolStats base_;
  std::unique_ptr<Stack> a_ = std::make_unique<Stack>(loop_, pool_, "a", 1);
  std::unique_ptr<Stack> b_ = std::make_unique<Stack>(loop_, pool_, "b", 2);
  std::unique_ptr<Process> proc_b_ = std::make_unique<Process>(*b_);
  NetDevice* eth_a_ = nullptr;
  NetDevice* eth_b_ = nullptr;
  FuzzTunDevice* tun_ = nullptr;
  std::vector<int> fds_;
  int udp_ = -1;
  int ping_ = -1;
  uint64_t injected_ = 0;
  size_t pad_ = 0;
};

}  // namespace
}  // namespace usnet

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static usnet::SkbPool pool;
  usnet::World world(pool);
  world.Run(data, size);
  return 0;
}
