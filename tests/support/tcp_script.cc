#include "tests/support/tcp_script.h"

#include <arpa/inet.h>
#include <fcntl.h>

#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gtest/gtest.h"
#include "net/ipv4/arp.h"
#include "syscalls/socket_api.h"

namespace usnet::testing {

TcpOptions SynOpts(uint16_t mss, std::optional<uint8_t> ws, bool sack, bool ts, uint32_t tsval, uint32_t tsecr) {
  TcpOptions o;
  o.mss = mss;
  o.wscale = ws;
  o.sack_permitted = sack;
  o.has_timestamp = ts;
  o.tsval = tsval;
  o.tsecr = tsecr;
  return o;
}

TcpOptions TsOpts(uint32_t tsval, uint32_t tsecr) {
  TcpOptions o;
  o.has_timestamp = true;
  o.tsval = tsval;
  o.tsecr = tsecr;
  return o;
}

TcpOptions SynAckOptsFor(const TcpOptions& syn) {
  return SynOpts(1460, syn.wscale ? std::optional<uint8_t>(7) : std::nullopt, syn.sack_permitted,
                 syn.has_timestamp);
}

TcpScript::TcpScript() : start_(clock.Now()) {
  // The peer's MAC is known: scripts see TCP, not ARP.
  host.inet().arp().AddPermanent(Ipv4Addr::FromOctets(10, 0, 0, 1), dev, MacAddr::Local(1));
}

int64_t TcpScript::now_ms() const { return absl::ToInt64Milliseconds(clock.Now() - start_); }

void TcpScript::RunTo(int64_t t_ms) {
  const absl::Time t = start_ + absl::Milliseconds(t_ms);
  if (t > clock.Now()) loop.RunUntil(t);
  loop.RunOnce();
}

void TcpScript::ExpectNothing(int64_t t_ms) {
  RunTo(t_ms);
  if (next_sent_ < sent().size()) {
    ADD_FAILURE() << "unexpected segment by " << t_ms << " ms: " << Describe(sent()[next_sent_]);
    next_sent_ = sent().size();
  }
}

void TcpScript::Inject(int64_t t_ms, const Seg& s) {
  ExpectNothing(t_ms);
  const uint32_t plen = s.data.empty() ? s.len : static_cast<uint32_t>(s.data.size());
  Bytes seg(kTcpMaxHeaderLen + plen);
  TcpRepr r;
  r.src_port = Port(s.sport);
  r.dst_port = Port(s.dport);
  r.seq = SeqNum(s.seq);
  r.ack = SeqNum((s.flags & kTcpAck) ? s.ack + our_isn_ : 0);
  r.flags = s.flags;
  r.window = s.win.value_or(65535);
  if (s.opts) r.opts = *s.opts;
  const size_t hl = r.HeaderLen();
  seg.resize(hl + plen);
  r.Emit(seg.data());
  if (!s.data.empty()) {
    std::memcpy(seg.data() + hl, s.data.data(), plen);
  } else if (plen > 0) {
    std::memset(seg.data() + hl, 'x', plen);
  }
  const Ipv4Addr peer = Ipv4Addr::FromOctets(10, 0, 0, 1), self = Ipv4Addr::FromOctets(10, 0, 0, 2);
  TcpFillChecksum(seg.data(), seg.size(), peer, self);
  IpSpec ip;
  ip.protocol = kIpProtoTcp;
  ip.df = true;
  HostHarness::Inject(IpFrame(ip, seg));
  loop.RunOnce();
}

std::string TcpScript::Describe(const Bytes& frame) const {
  auto eth = EthView::Parse(frame);
  if (!eth) return "<short frame>";
  auto ip = Ipv4View::Parse(eth->payload());
  if (!ip) return absl::StrFormat("<ethertype %04x>", eth->ethertype());
  if (ip->protocol() != kIpProtoTcp) return absl::StrFormat("<IP proto %d>", ip->protocol());
  auto th = TcpView::Parse(ip->payload());
  if (!th) return "<bad TCP>";
  std::string f;
  for (auto [bit, c] : {std::pair{kTcpSyn, 'S'}, {kTcpFin, 'F'}, {kTcpRst, 'R'}, {kTcpPsh, 'P'}, {kTcpAck, '.'}}) {
    if (th->flags() & bit) f += c;
  }
  TcpOptions o = th->ParseOptions();
  std::string opts;
  if (o.mss) absl::StrAppend(&opts, " mss ", *o.mss);
  if (o.sack_permitted) absl::StrAppend(&opts, " sackOK");
  if (o.has_timestamp) absl::StrAppend(&opts, " TS val ", o.tsval, " ecr ", o.tsecr);
  if (o.wscale) absl::StrAppend(&opts, " wscale ", *o.wscale);
  for (int i = 0; i < o.num_sack; ++i) {
    absl::StrAppend(&opts, " sack ", o.sack[i].start.value(), ":", o.sack[i].end.value());
  }
  const uint32_t rel = have_isn_ ? th->seq().value() - our_isn_ : th->seq().value();
  return absl::StrFormat("%d > %d %s seq %u(rel) ack %u win %u len %u <%s >", th->src_port().value(),
                         th->dst_port().value(), f, rel, th->ack().value(), th->window(),
                         th->payload().size(), opts);
}

void TcpScript::Expect(int64_t t_ms, const Seg& want) {
  RunTo(t_ms);
  // Everything sent must have come at exactly t_ms: check the first unread.
  if (next_sent_ >= sent().size()) {
    ADD_FAILURE() << "at " << t_ms << " ms: expected a segment, nothing was sent";
    return;
  }
  const absl::Time at = dev->sent_at[next_sent_];
  const Bytes& f = sent()[next_sent_++];
  const std::string desc = Describe(f);
  EXPECT_EQ(absl::ToInt64Microseconds(at - start_), t_ms * 1000) << "sent at the wrong time: " << desc;
  auto eth = EthView::Parse(f);
  auto ip = eth ? Ipv4View::Parse(eth->payload()) : ParseResult<Ipv4View>(ParseError::kTruncated);
  ASSERT_TRUE(ip && ip->protocol() == kIpProtoTcp) << desc;
  auto th = TcpView::Parse(ip->payload());
  ASSERT_TRUE(th) << desc;
  EXPECT_TRUE(th->ChecksumValid(ip->src(), ip->dst())) << "bad checksum: " << desc;
  if (!have_isn_ && (th->flags() & kTcpSyn)) {
    our_isn_ = th->seq().value();
    have_isn_ = true;
  }
  TcpOptions o = th->ParseOptions();
  if (o.has_timestamp) our_tsval_ = o.tsval;
  EXPECT_EQ(th->flags(), want.flags) << desc;
  EXPECT_EQ(th->seq().value() - our_isn_, want.seq) << "seq (relative): " << desc;
  if (want.flags & kTcpAck) {
    EXPECT_EQ(th->ack().value(), want.ack) << "ack: " << desc;
  }
  if (want.win) {
    EXPECT_EQ(th->window(), *want.win) << "window: " << desc;
  }
  const uint32_t plen = want.data.empty() ? want.len : static_cast<uint32_t>(want.data.size());
  EXPECT_EQ(th->payload().size(), plen) << desc;
  if (!want.data.empty()) {
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(th->payload().data()), th->payload().size()), want.data);
  }
  if (want.opts) {
    TcpOptions w = *want.opts;
    if (want.ts_any) {
      w.tsval = o.tsval;
      w.tsecr = o.tsecr;
    }
    EXPECT_EQ(o, w) << "options: " << desc;
  }
  if (want.tsecr) {
    EXPECT_TRUE(o.has_timestamp) << desc;
    EXPECT_EQ(o.tsecr, *want.tsecr) << "TSecr: " << desc;
  }
}

int TcpScript::Listen(uint16_t port, int backlog) {
  ProcessScope in(proc);
  int fd = sys::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  EXPECT_EQ(sys::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
  EXPECT_EQ(sys::listen(fd, backlog), 0);
  return fd;
}

int TcpScript::Socket() {
  ProcessScope in(proc);
  return sys::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
}

int TcpScript::Accept(int listener) {
  ProcessScope in(proc);
  // Never wait: an empty accept queue is an answer (EAGAIN).
  sys::fcntl(listener, F_SETFL, sys::fcntl(listener, F_GETFL) | O_NONBLOCK);
  return sys::accept4(listener, nullptr, nullptr, SOCK_NONBLOCK);
}

int TcpScript::AcceptOne(int64_t t_ms, const TcpOptions& syn, uint32_t peer_isn) {
  if (listener_ < 0) listener_ = Listen(8080);
  Inject(t_ms, {.flags = kS, .seq = peer_isn, .opts = syn});
  // Linux: 45 x 1448 = 65160 with timestamps, 44 x 1460 = 64240 without.
  const uint16_t win = syn.has_timestamp ? 65160 : 64240;
  Expect(t_ms,
         {.flags = kSA, .seq = 0, .ack = peer_isn + 1, .win = win, .opts = SynAckOptsFor(syn)});
  std::optional<TcpOptions> ack_opts;
  if (syn.has_timestamp) ack_opts = TsOpts(syn.tsval, our_tsval_);
  Inject(t_ms, {.flags = kA, .seq = peer_isn + 1, .ack = 1, .opts = ack_opts});
  return Accept(listener_);
}

int TcpScript::ConnectSyn() {
  int fd = Socket();
  ProcessScope in(proc);
  const int one = 1;
  EXPECT_EQ(sys::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)), 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(8080);
  EXPECT_EQ(sys::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(40000);
  to.sin_addr.s_addr = htonl(0x0a000001);
  EXPECT_EQ(sys::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof(to)), -1);
  EXPECT_EQ(errno, EINPROGRESS);
  Expect(now_ms(), {.flags = kS, .seq = 0, .win = 64240, .opts = SynOpts(1460, 7, true, true)});
  return fd;
}

int TcpScript::ConnectEstablished(int64_t t_ms, const TcpOptions& synack, uint32_t peer_isn) {
  int fd = ConnectSyn();
  TcpOptions o = synack;
  if (o.has_timestamp) o.tsecr = our_tsval_;
  Inject(t_ms, {.flags = kSA, .seq = peer_isn, .ack = 1, .opts = o});
  // Linux: the SYN's 64240 rounded up to the scale unit, 64256 >> 7 = 502.
  Expect(t_ms, {.flags = kA, .seq = 1, .ack = peer_isn + 1, .win = synack.wscale ? 502 : 64240});
  return fd;
}

ssize_t TcpScript::Write(int fd, std::string_view data) {
  ProcessScope in(proc);
  return sys::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
}

ssize_t TcpScript::Write(int fd, size_t n) { return Write(fd, std::string(n, 'x')); }

std::string TcpScript::Read(int fd, int* err) {
  ProcessScope in(proc);
  std::string out;
  char buf[4096];
  if (err != nullptr) *err = 0;
  for (;;) {
    const ssize_t n = sys::recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
    if (n > 0) {
      out.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && err != nullptr && out.empty()) *err = errno;
    return out;
  }
}

int TcpScript::Close(int fd) {
  ProcessScope in(proc);
  return sys::close(fd);
}

int TcpScript::Shutdown(int fd, int how) {
  ProcessScope in(proc);
  return sys::shutdown(fd, how);
}

int TcpScript::SetIntOpt(int fd, int level, int name, int value) {
  ProcessScope in(proc);
  return sys::setsockopt(fd, level, name, &value, sizeof(value));
}

int TcpScript::SoError(int fd) {
  ProcessScope in(proc);
  int e = 0;
  socklen_t len = sizeof(e);
  EXPECT_EQ(sys::getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len), 0);
  return e;
}

std::optional<TcpState> TcpScript::State(int fd) {
  ProcessScope in(proc);
  tcp_info info{};
  socklen_t len = sizeof(info);
  if (sys::getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) != 0) return std::nullopt;
  return static_cast<TcpState>(info.tcpi_state);
}

}  // namespace usnet::testing
