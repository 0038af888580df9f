// Packet scripts for TCP, in virtual time (STYLE item 11, packetdrill's
// spirit): the test plays the remote peer (10.0.0.1) of a usnet host
// (10.0.0.2), injecting segments at given milliseconds and expecting the
// exact segments usnet sends, at exact times.
//
// Our side's sequence numbers are written relative to our ISN (learned from
// our first SYN or SYN-ACK), as packetdrill does; the peer's are absolute.
//
//   TcpScript s;
//   int l = s.Listen(8080);
//   s.Inject(0, {.flags = kS, .seq = 1000, .opts = Syn(1460)});
//   s.Expect(0, {.flags = kSA, .seq = 0, .ack = 1001});
//   s.Inject(10, {.flags = kA, .seq = 1001, .ack = 1});
//   int fd = s.Accept(l);
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "net/ipv4/tcp.h"
#include "net/wire/tcp.h"
#include "tests/support/host_harness.h"

namespace usnet::testing {

inline constexpr uint8_t kS = kTcpSyn, kA = kTcpAck, kF = kTcpFin, kR = kTcpRst, kP = kTcpPsh;
inline constexpr uint8_t kSA = kTcpSyn | kTcpAck, kFA = kTcpFin | kTcpAck, kPA = kTcpPsh | kTcpAck,
                         kRA = kTcpRst | kTcpAck;

struct Seg {
  uint8_t flags = kA;
  uint32_t seq = 0;  // peer's: absolute; ours: relative to our ISN
  uint32_t ack = 0;  // peer's: relative to our ISN; ours: absolute
  std::optional<uint16_t> win{};       // peer's default 65535; ours: checked if given
  std::string data{};                  // or `len` bytes of 'x'
  uint32_t len = 0;
  std::optional<TcpOptions> opts{};    // ours: checked if given (TS values: see ts_any)
  bool ts_any = true;                  // ours: timestamps compared for presence only
  uint16_t sport = 40000;              // the peer's port
  uint16_t dport = 8080;               // ours
  std::optional<uint32_t> tsecr{};     // ours: the echoed TSecr, checked if given
};

TcpOptions SynOpts(uint16_t mss = 1460, std::optional<uint8_t> ws = 7, bool sack = true, bool ts = true,
                   uint32_t tsval = 1000, uint32_t tsecr = 0);
// Just a timestamp option (the peer's segments after the handshake).
TcpOptions TsOpts(uint32_t tsval, uint32_t tsecr);
// What our SYN-ACK carries in answer to a SYN with `syn` options (Linux
// tcp_synack_options): MSS 1460, then each option only if the SYN had it.
TcpOptions SynAckOptsFor(const TcpOptions& syn);

class TcpScript : public HostHarness {
 public:
  TcpScript();

  // Advances to `t_ms` (relative to the script start), expecting nothing
  // to be sent before then, and injects `s` from the peer.
  void Inject(int64_t t_ms, const Seg& s);
  // The next segment we send must be `s`, sent at `t_ms`.
  void Expect(int64_t t_ms, const Seg& s);
  // Nothing is sent until `t_ms` (inclusive).
  void ExpectNothing(int64_t t_ms);
  // Runs until `t_ms` without checking anything.
  void RunTo(int64_t t_ms);

  // Socket helpers (the host's side, through the POSIX API).
  int Listen(uint16_t port, int backlog = 128);
  int Socket();
  int Accept(int listener);  // -1 + errno when none
  int64_t now_ms() const;

  // Passive open at `t_ms`: listens on 8080 (once), takes the peer's SYN
  // (sequence `peer_isn`, options `syn`), checks our SYN-ACK (Linux's
  // window and options for that SYN), completes the handshake with the
  // peer's ACK and accepts. Returns the connection's descriptor.
  int AcceptOne(int64_t t_ms, const TcpOptions& syn, uint32_t peer_isn = 1000);
  // Active open at the current time: binds port 8080 and connects to
  // 10.0.0.1:40000; our SYN is checked (Linux's window 64240 and options).
  int ConnectSyn();
  // ConnectSyn, then the peer's SYN-ACK (options `synack`) at `t_ms`, and
  // our ACK checked. Returns the connection's descriptor.
  int ConnectEstablished(int64_t t_ms, const TcpOptions& synack, uint32_t peer_isn = 5000);

  // Socket calls on the host's side (errno is left as the call set it).
  ssize_t Write(int fd, std::string_view data);
  ssize_t Write(int fd, size_t n);  // n bytes of 'x'
  // Whatever can be read now; `err` gets errno (0 when the read succeeded,
  // including end of stream).
  std::string Read(int fd, int* err = nullptr);
  int Close(int fd);
  int Shutdown(int fd, int how);
  int SetIntOpt(int fd, int level, int name, int value);
  int SoError(int fd);  // getsockopt(SO_ERROR)
  // The connection's TCP state (tcp_info.tcpi_state), or nullopt for a
  // descriptor getsockopt refuses.
  std::optional<TcpState> State(int fd);

  uint32_t our_isn() const { return our_isn_; }
  bool have_isn() const { return have_isn_; }
  // Our latest TSval (to echo back in the peer's TSecr).
  uint32_t our_tsval() const { return our_tsval_; }
  std::string Describe(const Bytes& frame) const;

 private:
  absl::Time start_;
  uint32_t our_isn_ = 0;
  bool have_isn_ = false;
  uint32_t our_tsval_ = 0;
  size_t next_sent_ = 0;
  int listener_ = -1;
};

}  // namespace usnet::testing
