// TCP (RFC 9293) the Linux way. One host's TCP is a Tcp object: the
// protocol handler for IP protocol 6, its hash tables (established and
// TIME_WAIT connections and SYN_RECV requests by 4-tuple, listeners and
// bound ports by port), sysctls and counters. Sockets are TcpSock (full
// sockets: listeners and connections); a connection that is only half open
// lives as a small TcpRequestSock and one that is closing in TIME_WAIT as a
// small TcpTimewaitSock, as in Linux, so neither costs a full socket.
//
// Files, after Linux net/ipv4: tcp.cc (the socket calls), tcp_ipv4.cc
// (demux, connect, hashing, stateless RST), tcp_input.cc (segment
// arrival), tcp_output.cc (transmission), tcp_timer.cc (RTO, delayed ACK,
// persist, keepalive, FIN_WAIT2/TIME_WAIT), tcp_minisocks.cc (request and
// timewait socks), tcp_cong.cc/tcp_cubic.cc (congestion control),
// syncookies.cc.
#pragma once

#include <netinet/tcp.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "kernel/timer_wheel.h"
#include "net/core/skb_queue.h"
#include "net/core/snmp.h"
#include "net/ipv4/inet_sock.h"
#include "net/ipv4/secure_seq.h"
#include "net/ipv4/syncookies.h"
#include "net/ipv4/tcp_cong.h"
#include "net/ipv4/tcp_info.h"
#include "net/ipv4/tcp_seq.h"
#include "net/wire/tcp.h"

namespace usnet {

class Tcp;
class TcpSock;

// Linux's numbering (TCP_ESTABLISHED = 1 ...): tcp_info.tcpi_state and
// `ss` use these values.
enum class TcpState : uint8_t {
  kEstablished = 1,
  kSynSent = 2,
  kSynRecv = 3,
  kFinWait1 = 4,
  kFinWait2 = 5,
  kTimeWait = 6,
  kClose = 7,
  kCloseWait = 8,
  kLastAck = 9,
  kListen = 10,
  kClosing = 11,
  kNewSynRecv = 12,
};
std::string_view TcpStateName(TcpState s);  // `ss` names: ESTAB, SYN-SENT, ...

// TCP's part of an skb while it sits on a TCP queue (Linux tcp_skb_cb).
struct TcpSkbCb {
  static constexpr uint8_t kCbTag = 10;
  SeqNum seq;           // first sequence number
  SeqNum end_seq;       // seq + payload + SYN + FIN
  SeqNum ack_seq;       // received segments: their acknowledgment number
  uint8_t tcp_flags;    // kTcpSyn, kTcpFin, ...
  uint8_t sacked;       // kSackedAcked | kSackedRetrans | kLost | kEverRetrans
  uint16_t retrans;     // times retransmitted
  int64_t first_tx_ns;  // first transmission (an RTT sample, per Karn, if never retransmitted)
  int64_t tx_ns;        // latest transmission
  uint32_t truesize;    // what this skb charges to sk_wmem_queued (write/rtx queues)
  static constexpr uint8_t kSackedAcked = 0x01;
  static constexpr uint8_t kSackedRetrans = 0x02;  // a retransmission is in flight
  static constexpr uint8_t kLost = 0x04;
  static constexpr uint8_t kEverRetrans = 0x80;
};

// What Linux charges sk_wmem_queued for an empty TCP transmit skb
// (SKB_TRUESIZE of alloc_skb_fclone(MAX_TCP_HEADER) on x86_64); each byte
// of payload adds one. Matching it makes SO_SNDBUF hold what it holds on
// Linux.
inline constexpr uint32_t kTcpSkbTruesize = 1280;
// sk_gso_max_size as sk_setup_caps leaves it: 64 KiB less MAX_TCP_HEADER + 1.
inline constexpr uint32_t kTcpGsoMaxSize = 65536 - 321;

// tcp_skb_pcount of an outgoing segment (data at the TCP header): how many
// segments a TSO super-frame becomes on the wire.
inline uint32_t TcpSegs(const SkBuff& skb) {
  if (skb.gso_type == GsoType::kNone || skb.gso_size == 0) return 1;
  const uint32_t payload = skb.len() - (static_cast<uint32_t>(Load8(skb.data() + 12)) >> 4) * 4;
  return (payload + skb.gso_size - 1) / skb.gso_size;
}

// tcp_receive_window: what is left of the window we last advertised.
inline uint32_t ReceiveWindow(SeqNum rcv_wup, uint32_t rcv_wnd, SeqNum rcv_nxt) {
  const int32_t w = static_cast<int32_t>(rcv_wup.value() + rcv_wnd - rcv_nxt.value());
  return w < 0 ? 0 : static_cast<uint32_t>(w);
}
// tcp_packets_in_flight: sent, not known to have left the network.
inline uint32_t InFlight(uint32_t packets_out, uint32_t sacked, uint32_t lost, uint32_t retrans) {
  return packets_out - (sacked + lost) + retrans;
}

// What tcp_v4_rcv learned about one arriving segment.
struct TcpSegment {
  Ipv4Addr saddr, daddr;
  Port sport, dport;
  SeqNum seq, end_seq, ack_seq;
  uint8_t flags = 0;
  uint16_t window = 0;  // as carried (unscaled)
  uint32_t len = 0;     // payload bytes
  TcpOptions opt;
  bool has(uint8_t f) const { return (flags & f) != 0; }
};

struct TcpConfig {
  int tcp_syncookies = 1;
  int tcp_max_syn_backlog = 2048;
  int tcp_synack_retries = 5;
  int tcp_syn_retries = 6;
  int tcp_syn_linear_timeouts = 4;
  int tcp_abort_on_overflow = 0;
  int tcp_timestamps = 1;
  int tcp_sack = 1;
  int tcp_dsack = 1;
  int tcp_window_scaling = 1;
  int tcp_rmem[3] = {4096, 131072, 6291456};
  int tcp_wmem[3] = {4096, 16384, 4194304};
  int tcp_fin_timeout = 60;
  int tcp_keepalive_time = 7200;
  int tcp_keepalive_intvl = 75;
  int tcp_keepalive_probes = 9;
  int tcp_retries1 = 3;
  int tcp_retries2 = 15;
  int tcp_orphan_retries = 0;
  int tcp_reordering = 3;
  int tcp_slow_start_after_idle = 1;
  int tcp_adv_win_scale = 1;
  int tcp_moderate_rcvbuf = 1;
  int tcp_rto_min_us = 200000;
  int tcp_rto_max_ms = 120000;
  int tcp_delack_min_us = 40000;
  int tcp_base_mss = 1024;
  int tcp_tw_reuse = 2;
  int tcp_max_tw_buckets = 262144;
  int tcp_rfc1337 = 0;
  int tcp_challenge_ack_limit = 0x7fffffff;
  int tcp_invalid_ratelimit = 500;  // ms between out-of-window dupacks
  int tcp_notsent_lowat = -1;       // UINT_MAX in Linux: no limit
  int tcp_autocorking = 1;
  int tcp_min_tso_segs = 2;
  int tcp_tso_win_divisor = 3;
  int tcp_tso_rtt_log = 9;
  int tcp_ecn = 2;
  std::string tcp_congestion_control = "cubic";
};

#define USNET_TCP_MIB(X)                                                                          \
  X(RtoAlgorithm)                                                                                 \
  X(RtoMin)                                                                                       \
  X(RtoMax)                                                                                       \
  X(MaxConn)                                                                                      \
  X(ActiveOpens)                                                                                  \
  X(PassiveOpens) X(AttemptFails) X(EstabResets) X(CurrEstab) X(InSegs) X(OutSegs) X(RetransSegs) \
      X(InErrs) X(OutRsts) X(InCsumErrors)
enum class TcpMib { USNET_TCP_MIB(USNET_MIB_ENUM) kCount };
inline constexpr std::string_view kTcpMibNames[] = {USNET_TCP_MIB(USNET_MIB_NAME)};

#define USNET_TCPEXT_MIB(X)                                                                        \
  X(SyncookiesSent)                                                                                \
  X(SyncookiesRecv)                                                                                \
  X(SyncookiesFailed)                                                                              \
  X(EmbryonicRsts)                                                                                 \
  X(PruneCalled)                                                                                   \
  X(OfoPruned) X(OutOfWindowIcmps) X(TW) X(TWRecycled) X(TWKilled) X(PAWSActive) X(PAWSEstab) X(   \
      DelayedACKs) X(DelayedACKLost) X(ListenOverflows) X(ListenDrops) X(TCPHPHits) X(TCPPureAcks) \
      X(TCPHPAcks) X(TCPRenoRecovery) X(TCPSackRecovery) X(TCPSACKReneging) X(TCPSACKReorder)      \
          X(TCPRenoReorder) X(TCPTSReorder) X(TCPFullUndo) X(TCPPartialUndo) X(TCPDSACKUndo)       \
              X(TCPLossUndo) X(TCPLostRetransmit) X(TCPRenoFailures) X(TCPSackFailures) X(         \
                  TCPLossFailures) X(TCPFastRetrans) X(TCPSlowStartRetrans) X(TCPTimeouts)         \
                  X(TCPAbortOnData) X(TCPAbortOnClose) X(TCPAbortOnMemory) X(TCPAbortOnTimeout) X( \
                      TCPAbortOnLinger) X(TCPAbortFailed) X(TCPDSACKOldSent) X(TCPDSACKOfoSent)    \
                      X(TCPDSACKRecv) X(TCPDSACKOfoRecv) X(TCPSpuriousRTOs) X(TCPBacklogDrop)      \
                          X(TCPMinTTLDrop) X(TCPTimeWaitOverflow) X(TCPReqQFullDoCookies) X(       \
                              TCPReqQFullDrop) X(TCPRetransFail) X(TCPRcvCoalesce) X(TCPOFOQueue)  \
                              X(TCPOFODrop) X(TCPOFOMerge) X(TCPChallengeACK) X(TCPSYNChallenge)   \
                                  X(TCPFromZeroWindowAdv) X(TCPToZeroWindowAdv)                    \
                                      X(TCPWantZeroWindowAdv) X(TCPSynRetrans) X(TCPOrigDataSent)  \
                                          X(TCPACKSkippedSynRecv) X(TCPACKSkippedPAWS)             \
                                              X(TCPACKSkippedSeq) X(TCPACKSkippedFinWait2)         \
                                                  X(TCPACKSkippedTimeWait)                         \
                                                      X(TCPACKSkippedChallenge) X(TCPWinProbe)     \
                                                          X(TCPKeepAlive) X(TCPDelivered)          \
                                                              X(TCPZeroWindowDrop) X(TCPRcvQDrop)  \
                                                                  X(TCPOFOQueueBytes)
enum class TcpExtMib { USNET_TCPEXT_MIB(USNET_MIB_ENUM) kCount };
inline constexpr std::string_view kTcpExtMibNames[] = {USNET_TCPEXT_MIB(USNET_MIB_NAME)};

// The negotiated options of a connection (Linux tcp_options_received).
struct TcpRxOptions {
  uint32_t ts_recent = 0;         // peer's latest TSval we accepted
  int64_t ts_recent_stamp_s = 0;  // when (seconds), for PAWS' 24-day rule
  uint16_t mss_clamp = 536;       // peer's MSS option (or the default)
  uint16_t user_mss = 0;          // TCP_MAXSEG
  uint8_t snd_wscale = 0;         // peer's shift: applied to its windows
  uint8_t rcv_wscale = 0;         // our shift: applied to windows we send
  bool tstamp_ok = false;
  bool sack_ok = false;
  bool wscale_ok = false;
  bool dsack_ok = false;
};

// A SYN_RECV connection not yet a full socket (Linux request_sock /
// tcp_request_sock): kept in the established hash by 4-tuple and counted
// against its listener's SYN queue.
struct TcpRequestSock {
  TcpRequestSock(Tcp& tcp, TcpSock* listener);
  ~TcpRequestSock();
  Tcp& tcp;
  TcpSock* listener;
  Ipv4Addr laddr, raddr;
  Port lport, rport;
  SeqNum snt_isn, rcv_isn;
  uint32_t ts_off = 0;
  uint32_t ts_recent = 0;
  uint16_t mss = 536;      // what we will send: min(peer's MSS option, ours)
  uint16_t adv_mss = 536;  // what our SYN-ACK advertises
  uint8_t snd_wscale = 0, rcv_wscale = 0;
  bool tstamp_ok = false, sack_ok = false, wscale_ok = false;
  uint8_t num_retrans = 0;  // SYN-ACKs resent
  uint8_t num_timeout = 0;  // timer expiries
  bool acked = false;       // a bare ACK came while the accept queue was full
  uint32_t rcv_wnd = 0;
  int64_t first_synack_ns = 0;
  Timer timer;  // reqsk_timer: SYN-ACK retransmission and expiry
};

// A connection in TIME_WAIT (or a FIN_WAIT2 orphan past its socket: Linux
// inet_timewait_sock with tw_substate).
struct TcpTimewaitSock {
  TcpTimewaitSock(Tcp& tcp);
  ~TcpTimewaitSock();
  Tcp& tcp;
  Ipv4Addr laddr, raddr;
  Port lport, rport;
  bool reuse = false;                       // the socket had SO_REUSEADDR (tw_reuse)
  TcpState substate = TcpState::kTimeWait;  // kTimeWait or kFinWait2
  SeqNum snd_nxt, rcv_nxt;
  uint32_t rcv_wnd = 0;
  uint32_t ts_recent = 0;
  int64_t ts_recent_stamp_s = 0;
  uint32_t ts_off = 0;
  uint8_t rcv_wscale = 0;
  bool tstamp_ok = false;
  Timer timer;
};

// A listener's accept queue (icsk_accept_queue): established children in
// FIFO order, linked through the children themselves, so it allocates
// nothing and a socket that never listens pays three words for it (a
// std::deque cost every socket ~600 bytes, even empty).
class AcceptQueue {
 public:
  bool empty() const { return head_ == nullptr; }
  uint32_t size() const { return size_; }
  void push_back(TcpSock* child);
  TcpSock* pop_front();        // nullptr when empty
  void erase(TcpSock* child);  // no-op unless queued here

 private:
  TcpSock* head_ = nullptr;
  TcpSock* tail_ = nullptr;
  uint32_t size_ = 0;
};

class TcpSock final : public InetSock {
 public:
  explicit TcpSock(Tcp& tcp);
  ~TcpSock() override;

  // --- the socket calls (tcp.cc) ---
  int Bind(const sockaddr* addr, socklen_t len) override;
  int Connect(const sockaddr* addr, socklen_t len, bool nonblock) override;
  int Listen(int backlog) override;
  int Accept(std::unique_ptr<Sock>* child) override;
  ssize_t SendMsg(const msghdr& msg, int flags) override;
  ssize_t RecvMsg(msghdr& msg, int flags) override;
  int Shutdown(int how) override;
  bool Close() override;
  uint32_t Poll() override;
  int SetSockOpt(int level, int name, const void* val, socklen_t len) override;
  int GetSockOpt(int level, int name, void* val, socklen_t* len) override;
  int Ioctl(unsigned long request, void* arg) override;
  int GetName(sockaddr* addr, socklen_t* len, bool peer) override;

  TcpState state() const { return state_; }
  Tcp& tcp() { return tcp_; }

 protected:
  int GetPort(uint16_t port) override;
  void Unhash() override;

 public:
  // `struct tcp_info` as Linux fills it (tcp_get_info), for the fields we track.
  void FillInfo(TcpInfo* info) const;

  // --- for the protocol (tcp_ipv4.cc, tcp_input.cc) ---
  void Rcv(SkbPtr skb, const TcpSegment& seg);  // tcp_v4_do_rcv
  bool orphan() const { return orphan_; }

  // The BSD socket's own state (Linux sock->state: SS_UNCONNECTED ...),
  // distinct from the TCP state: it is what connect() consults.
  enum class SsState : uint8_t { kUnconnected, kConnecting, kConnected, kDisconnecting };

  // Listener state, for `ss -ltn`.
  uint32_t accept_queue_len() const { return static_cast<uint32_t>(accept_queue_.size()); }
  uint32_t syn_queue_len() const { return syn_qlen_; }
  uint32_t backlog() const { return backlog_; }

 private:
  friend class Tcp;
  friend class AcceptQueue;
  friend struct TcpRequestSock;

  // tcp.cc
  int WaitForConnect();
  void Destroy();  // the protocol is done with an orphan: delete it
  ssize_t SendData(const msghdr& msg, int flags, size_t len);
  void MarkPush(SkBuff& skb);
  // sk_stream_memory_free + tcp_stream_memory_free: room in the send
  // buffer, and fewer unsent bytes than TCP_NOTSENT_LOWAT (doubled when
  // deciding whether to wake a writer: `wake` = 1, as Linux shifts).
  bool StreamMemoryFree(int wake) const;
  // forced_push: more than half the peer's largest window since the last push point.
  bool ForcedPush() const { return write_seq_ - (pushed_seq_ + max_window_ / 2) > 0; }
  void CheckMemory();

  // tcp_input.cc
  void RcvStateProcess(SkbPtr skb, const TcpSegment& seg);
  void RcvSynSent(SkbPtr skb, const TcpSegment& seg);
  bool ValidateIncoming(SkbPtr& skb, const TcpSegment& seg);
  bool PawsReject(const TcpSegment& seg) const;
  void StoreTsRecent(const TcpSegment& seg);
  enum class AckResult { kOk, kDrop, kOld };
  AckResult Ack(const TcpSegment& seg);
  void AckUpdateWindow(const TcpSegment& seg);
  uint32_t CleanRtxQueue(SeqNum prior_snd_una, bool* rtt_sampled, const TcpSegment& seg);
  void RttEstimator(absl::Duration rtt);
  void SetRto();
  void ProcessSack(const TcpSegment& seg);
  void FastRetransAlert(const TcpSegment& seg, bool is_dupack, uint32_t acked,
                        uint32_t prior_packets, uint32_t prior_sacked);
  void EnterRecovery();
  void EndRecovery();
  void MarkLostSack();
  void DataQueue(SkbPtr skb, const TcpSegment& seg);
  void QueueRcv(SkbPtr skb);  // in order: onto the receive queue
  void OfoQueue(SkbPtr skb, const TcpSegment& seg);
  void OfoDrain();
  void Fin();
  void ResetByPeer();
  void SendChallengeAck();
  void AckSndCheck();
  void EventData(uint32_t len);
  void UrgentCheck(const TcpSegment& seg);
  void SackNewOfo(SeqNum seq, SeqNum end_seq);
  void SackRemove();
  void DsackSet(SeqNum seq, SeqNum end_seq);
  void RcvSpaceAdjust();
  void ProcessSynAckRtt(const TcpRequestSock& req);
  void NewSpace();
  void Established(const TcpSegment& seg);  // SYN_SENT/SYN_RECV -> ESTABLISHED bookkeeping
  void ProcessOptionsOnSyn(const TcpSegment& seg);

  // tcp_output.cc
 public:
  // tcp_transmit_skb: sends a copy (a clone) of `skb` with headers; returns
  // 0 or -errno.
  int TransmitSkb(SkBuff& skb, bool clone);
  void WriteXmit(bool push_one = false);
  void PushPending();
  void CwndValidate(bool cwnd_limited);
  void SendAck();
  void SendDelayedAck();
  void SendFin();
  void SendActiveReset();
  void SendProbe0();
  void SendKeepalive();
  int SendSyn();
  int RetransmitSkb(SkBuff& skb);
  void RetransmitHead();
  void XmitRetransmitQueue();
  uint16_t SelectWindow();            // tcp_select_window: commits rcv_wnd/rcv_wup
  uint32_t SelectWindowPeek() const;  // __tcp_select_window: what we would offer
  void GrowWindow(uint32_t len);      // tcp_grow_window
  uint32_t CurrentMss() const;        // tcp_current_mss: less the SACK blocks we would send
  // Splits `skb` (on a TCP queue) after `len` payload bytes; the rest
  // becomes a new skb right after it whose payload is a fragment of the
  // same block (tcp_fragment; no copy). `own_skb_cost`: the new skb is
  // charged a whole skb's overhead to the send buffer, as Linux charges
  // each skb it allocates; without it (the retransmit queue's per-MSS
  // pieces of one TSO skb) only its bytes move over.
  bool SplitSkb(SkbQueue& q, SkBuff* skb, uint32_t len, bool own_skb_cost = true);
  // tcp_xmit_size_goal: how big write() makes each skb (a TSO super-segment
  // when the route's device takes them, else one MSS).
  uint32_t SizeGoal(uint32_t mss) const;
  // tcp_tso_autosize: segments per TSO frame (about 1 ms at the pacing rate).
  uint32_t TsoSegs(uint32_t mss) const;
  // tcp_tso_should_defer: wait for more window to send a bigger frame.
  bool TsoShouldDefer(const SkBuff& skb, uint32_t mss, uint32_t max_segs, uint32_t cwnd_quota,
                      bool* cwnd_limited) const;
  // tcp_mss_split_point.
  uint32_t MssSplitPoint(const SkBuff& skb, uint32_t mss, uint32_t max_segs) const;
  // Sends one segment of the write queue (maybe a TSO frame) and moves it
  // to the retransmit queue, cut into per-MSS pieces.
  bool XmitNewData(SkBuff* skb, uint32_t mss);
  uint64_t PacingRate() const;  // tcp_update_pacing_rate, computed when asked
  // tcp_v4_mtu_reduced / tcp_simple_retransmit.
  void MtuReduced(uint32_t mtu);
  bool pmtu_disc_off() const { return pmtudisc_ == IP_PMTUDISC_DONT; }
  void SyncMss(uint32_t pmtu);
  uint32_t SendWindowEnd() const;
  bool NagleOk(const SkBuff& skb, uint32_t mss, bool last) const;

  // tcp_timer.cc
  void ResetXmitTimer(absl::Duration when);
  void ClearXmitTimer();
  void OnRetransmitTimer();
  void OnDelackTimer();
  void OnKeepaliveTimer();
  void ProbeTimer();
  void EnterLoss();
  void WriteErr();
  void ResetKeepaliveTimer(absl::Duration when);
  void Done();  // tcp_done: the connection is over
  void SetState(TcpState s);
  void TimeWait(TcpState substate, absl::Duration timeo);  // hand off to a timewait sock
  absl::Duration RtoMin() const;
  absl::Duration KeepaliveTime() const;
  absl::Duration KeepaliveIntvl() const;
  int KeepaliveProbes() const;
  bool WriteTimeout();

 private:
  Tcp& tcp_;
  TcpState state_ = TcpState::kClose;
  SsState ss_state_ = SsState::kUnconnected;
  bool done_ = false;            // SOCK_DONE: the connection ended (recv returns 0)
  int64_t last_oow_ack_ns_ = 0;  // tcp_oow_rate_limited
  SeqNum snd_sml_;               // end of the last small segment sent (Minshall's Nagle)
  uint32_t adv_mss_ = 536;       // the MSS our SYN advertised

  // Send sequence space (RFC 9293 3.3.1).
  SeqNum iss_, snd_una_, snd_nxt_, snd_wl1_, snd_wl2_;
  SeqNum write_seq_;  // end of what the application has queued
  SeqNum pushed_seq_;
  uint32_t snd_wnd_ = 0;
  uint32_t max_window_ = 0;
  SeqNum cwnd_usage_seq_{};  // tcp_cwnd_validate's window mark
  uint32_t mss_cache_ = 536;
  uint32_t route_caps_ = 0;  // sk_route_caps: the route's device features (TSO, checksum)
  uint32_t pmtu_ = 0;        // the path MTU our MSS is computed for (icsk_pmtu_cookie)
  uint32_t ts_off_ = 0;      // per-connection timestamp offset (secure_tcp_ts_off)

  // Receive sequence space.
  SeqNum irs_, rcv_nxt_, rcv_wup_, copied_seq_;
  uint32_t rcv_wnd_ = 0;
  uint32_t rcv_ssthresh_ = 0;
  uint32_t window_clamp_ = 0;
  uint32_t rcv_mss_ = 536;  // estimate of the peer's segment size (icsk_ack.rcv_mss)
  TcpRxOptions rx_opt_;

  // Queues: unsent data, sent-but-unacked data (the retransmit queue; TCP
  // transmits clones of these), out-of-order received segments.
  SkbQueue write_queue_;
  SkbQueue rtx_queue_;
  SkbQueue ofo_queue_;
  uint64_t wmem_queued_ = 0;  // sk_wmem_queued: truesize of write + rtx queues

  // Congestion and loss (tcp_sock, inet_connection_sock).
  TcpCongState cc_;
  std::unique_ptr<CongestionControl> ca_;
  CaState ca_state_ = CaState::kOpen;
  uint32_t packets_out_ = 0, retrans_out_ = 0, lost_out_ = 0, sacked_out_ = 0;
  uint32_t reordering_ = 3;
  SeqNum high_seq_;  // snd_nxt at the start of recovery
  SeqNum undo_marker_;
  uint32_t undo_retrans_ = 0;
  uint32_t prior_ssthresh_ = 0, prior_cwnd_ = 0;
  uint32_t prr_delivered_ = 0, prr_out_ = 0;
  bool is_sack_reneg_ = false;
  SeqNum recovery_point_;

  // RTT and RTO (Linux tcp_rtt_estimator, in microseconds).
  uint32_t srtt_us_ = 0;  // smoothed RTT << 3
  uint32_t mdev_us_ = 0;  // mean deviation << 2
  uint32_t mdev_max_us_ = 0;
  uint32_t rttvar_us_ = 0;
  SeqNum rtt_seq_;
  absl::Duration rto_;
  uint32_t min_rtt_us_ = UINT32_MAX;
  uint8_t backoff_ = 0;           // icsk_backoff
  uint8_t retransmits_ = 0;       // icsk_retransmits: consecutive RTOs
  uint8_t probes_out_ = 0;        // zero-window / keepalive probes unanswered
  int64_t retrans_stamp_ns_ = 0;  // first retransmission of the current episode
  int64_t rcv_tstamp_ns_ = 0;     // last ACK received (keepalive idle)
  int64_t lsndtime_ns_ = 0;       // last data sent
  int64_t lrcvtime_ns_ = 0;       // last data received

  // Delayed ACK (icsk_ack).
  uint8_t ack_pending_ = 0;  // ICSK_ACK_SCHED | ICSK_ACK_TIMER | ICSK_ACK_PUSHED
  uint8_t ack_quick_ = 0;
  bool ack_pingpong_ = false;
  absl::Duration ato_;
  uint32_t rcv_segs_since_ack_ = 0;

  // SACK/DSACK blocks we advertise (tcp_sock.selective_acks, duplicate_sack).
  std::array<SackBlock, 4> selective_acks_{};
  uint8_t num_sacks_ = 0;
  SackBlock duplicate_sack_{};
  bool dsack_ = false;

  // Receive buffer autotuning (tcp_rcv_space_adjust).
  uint32_t rcvq_space_ = 0;
  SeqNum rcvq_space_seq_;
  int64_t rcvq_space_time_ns_ = 0;

  // Options and flags.
  bool nodelay_ = false;
  bool cork_ = false;
  bool orphan_ = false;
  bool user_rcvbuf_ = false;
  bool user_sndbuf_ = false;
  bool fin_sent_ = false;  // our FIN is queued/sent (write_seq includes it)
  bool connect_error_reported_ = false;
  int keepidle_s_ = 0, keepintvl_s_ = 0, keepcnt_ = 0;  // 0: sysctl default
  int linger2_s_ = 0;                                   // TCP_LINGER2
  int syn_retries_ = 0;                                 // TCP_SYNCNT (0: sysctl)
  uint32_t user_timeout_ms_ = 0;                        // TCP_USER_TIMEOUT
  uint32_t notsent_lowat_ = 0;  // TCP_NOTSENT_LOWAT (0: none, i.e. UINT_MAX)

  // Listener (inet_connection_sock's accept queue).
  uint32_t backlog_ = 0;
  AcceptQueue accept_queue_;        // established children, FIFO
  uint32_t syn_qlen_ = 0;           // request socks
  uint32_t syn_young_ = 0;          // request socks that never resent a SYN-ACK
  int64_t last_overflow_s_ = 0;     // for SYN cookie validation
  TcpSock* parent_ = nullptr;       // a child not yet accepted
  TcpSock* accept_next_ = nullptr;  // the next child in parent_'s accept queue

  // Statistics for tcp_info.
  uint64_t bytes_acked_ = 0, bytes_received_ = 0, bytes_sent_ = 0, bytes_retrans_ = 0;
  uint32_t segs_in_ = 0, segs_out_ = 0, data_segs_in_ = 0, data_segs_out_ = 0;
  uint32_t total_retrans_ = 0;
  uint32_t delivered_ = 0;

  // Deferred destruction of an orphan (Linux drops the last reference).
  Work destroy_work_{[](void* c) { delete static_cast<TcpSock*>(c); }, this};
  bool destroying_ = false;

  // Timers.
  enum class XmitTimer : uint8_t { kNone, kRetrans, kProbe0 };
  XmitTimer xmit_timer_kind_ = XmitTimer::kNone;
  Timer rtx_timer_;
  Timer delack_timer_;
  Timer keepalive_timer_;
  absl::Time rtx_timer_expires_;

  // The hash tables a connection is in.
  bool in_ehash_ = false;
  bool in_bhash_ = false;
  bool in_lhash_ = false;
};

// The TCP protocol of one host.
class Tcp final : public InetProtocol {
 public:
  explicit Tcp(Inet& inet);
  ~Tcp() override;

  void Rcv(SkbPtr skb) override;          // tcp_v4_rcv
  void Err(const IcmpErr& err) override;  // tcp_v4_err

  Inet& inet() { return inet_; }
  NetCore& core() { return inet_.core(); }
  TcpConfig& config() { return config_; }
  absl::Time now() const { return inet_.core().now(); }
  int64_t now_ns() const { return inet_.core().loop().now_ns(); }
  TimerWheel& timers() { return inet_.core().loop().timers(); }
  // tcp_time_stamp: the millisecond clock TSvals come from.
  uint32_t TimestampMs() const;

  Mib<TcpMib> mib;
  Mib<TcpExtMib> ext;

  // Sockets alive (full sockets, request socks, timewait socks).
  size_t established_count() const { return ehash_.size(); }
  size_t timewait_count() const { return tw_count_; }
  size_t socket_count() const { return sockets_; }
  // For `ss`: every full socket of this host.
  std::vector<const TcpSock*> AllSockets() const;

 private:
  friend class TcpSock;
  friend struct TcpRequestSock;
  friend struct TcpTimewaitSock;

  struct FourTuple {
    uint32_t laddr, raddr;
    uint16_t lport, rport;
    friend bool operator==(const FourTuple&, const FourTuple&) = default;
    template <typename H>
    friend H AbslHashValue(H h, const FourTuple& t) {
      return H::combine(std::move(h), t.laddr, t.raddr, t.lport, t.rport);
    }
  };
  // What the established hash holds: one of three kinds of socket.
  struct EhashEntry {
    enum Kind : uint8_t { kFull, kRequest, kTimewait } kind;
    void* p;
  };

  // Demux (tcp_ipv4.cc).
  static bool ParseSegment(const SkBuff& skb, TcpSegment* seg);
  // The listener for a SYN (or, with SO_REUSEPORT, one of its group).
  TcpSock* LookupListener(const TcpSegment& seg);
  void SendReset(const TcpSegment& seg, const SkBuff* skb);  // tcp_v4_send_reset
  // A bare segment `r` (no socket) back to where `seg` came from; false if
  // no skb could be had.
  bool SendReply(const TcpSegment& seg, const TcpRepr& r);
  void SendAckStateless(const TcpSegment& seg, SeqNum seq, SeqNum ack, uint32_t win, uint32_t tsval,
                        uint32_t tsecr);  // tcp_v4_send_ack (timewait, request socks)
  void TimewaitRcv(TcpTimewaitSock* tw, SkbPtr skb, const TcpSegment& seg);
  void RequestRcv(TcpRequestSock* req, SkbPtr skb, const TcpSegment& seg);
  void ListenRcv(TcpSock* listener, SkbPtr skb, const TcpSegment& seg);
  void ConnRequest(TcpSock* listener, SkbPtr skb, const TcpSegment& seg);
  TcpSock* CreateChild(TcpSock* listener, const TcpRequestSock& req, const TcpSegment& seg);
  TcpSock* CookieCheck(TcpSock* listener, SkbPtr& skb, const TcpSegment& seg);
  int SendSynAck(const TcpRequestSock& req, bool cookie, const TcpSegment* syn);
  // Our MSS towards `dst` (route MTU - 40), clamped by TCP_MAXSEG.
  uint16_t AdvMss(Ipv4Addr dst, uint16_t user_mss) const;
  // tcp_select_initial_window: the window a SYN offers and our scale.
  void InitialWindow(uint32_t mss, bool wscale_ok, uint32_t* rcv_wnd, uint8_t* rcv_wscale) const;
  void RequestTimer(TcpRequestSock* req);
  void DropRequest(TcpRequestSock* req);
  void TimewaitTimer(TcpTimewaitSock* tw);

  // Hash tables.
  void HashEstablished(TcpSock* sk);
  void UnhashEstablished(TcpSock* sk);
  int GetPort(TcpSock* sk, uint16_t port);  // inet_csk_get_port
  void PutPort(TcpSock* sk);
  int HashConnect(TcpSock* sk);  // inet_hash_connect
  bool TupleFree(const FourTuple& t, TcpSock* sk);

  // Output helpers shared by full and mini sockets.
  int OutputSegment(SkbPtr skb, Ipv4Addr src, Ipv4Addr dst, uint8_t tos = 0);
  SeqNum NewIsn(Ipv4Addr saddr, Ipv4Addr daddr, Port sport, Port dport);

  void RegisterSysctls();
  void RegisterMibs();

  Inet& inet_;
  TcpConfig config_;
  SecureSeqSecrets secrets_;
  SynCookieKeys cookie_keys_;
  absl::flat_hash_map<FourTuple, EhashEntry> ehash_;
  absl::flat_hash_map<uint16_t, std::vector<TcpSock*>> bhash_;      // bound ports
  absl::flat_hash_map<uint16_t, std::vector<TcpSock*>> listeners_;  // listening ports
  absl::flat_hash_map<uint16_t, std::vector<TcpTimewaitSock*>>
      tw_ports_;                       // TIME_WAIT by local port
  absl::flat_hash_set<TcpSock*> all_;  // every full socket, for teardown
  size_t tw_count_ = 0;
  size_t sockets_ = 0;
  uint32_t port_rover_ = 0;  // inet_hash_connect's offset
};

}  // namespace usnet
