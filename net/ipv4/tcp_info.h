// TcpInfo: what getsockopt(TCP_INFO) returns, in Linux 6.18's layout
// (include/uapi/linux/tcp.h struct tcp_info, 280 bytes), so a program
// compiled against any version of <linux/tcp.h> or glibc's shorter
// <netinet/tcp.h> reads the fields it knows at the offsets it expects and
// gets min(its length, 280) bytes, as from Linux.
//
// This is a kernel ABI struct, not a wire format, so it keeps the uapi
// header's C bitfields: the compiler lays them out as it does for the
// kernel's own header (tests/syscalls/tcp_info_layout_test.cc checks every
// field's offset against the host's <linux/tcp.h>). It has its own header
// because <linux/tcp.h> and <netinet/tcp.h> cannot be included together.
//
//   TcpInfo info;
//   socklen_t len = sizeof(info);
//   sys::getsockopt(fd, SOL_TCP, TCP_INFO, &info, &len);
#pragma once

#include <cstdint>

namespace usnet {

struct TcpInfo {
  uint8_t tcpi_state = 0;  // TcpState numbering (TCP_ESTABLISHED = 1 ...)
  uint8_t tcpi_ca_state = 0;
  uint8_t tcpi_retransmits = 0;
  uint8_t tcpi_probes = 0;
  uint8_t tcpi_backoff = 0;
  uint8_t tcpi_options = 0;  // TCPI_OPT_TIMESTAMPS | TCPI_OPT_SACK | TCPI_OPT_WSCALE ...
  uint8_t tcpi_snd_wscale : 4 = 0, tcpi_rcv_wscale : 4 = 0;
  uint8_t tcpi_delivery_rate_app_limited : 1 = 0, tcpi_fastopen_client_fail : 2 = 0;

  uint32_t tcpi_rto = 0;  // microseconds
  uint32_t tcpi_ato = 0;
  uint32_t tcpi_snd_mss = 0;
  uint32_t tcpi_rcv_mss = 0;

  uint32_t tcpi_unacked = 0;  // a listener: connections ready for accept()
  uint32_t tcpi_sacked = 0;   // a listener: its backlog
  uint32_t tcpi_lost = 0;
  uint32_t tcpi_retrans = 0;
  uint32_t tcpi_fackets = 0;

  // Times (milliseconds ago).
  uint32_t tcpi_last_data_sent = 0;
  uint32_t tcpi_last_ack_sent = 0;  // not remembered (0), as in Linux
  uint32_t tcpi_last_data_recv = 0;
  uint32_t tcpi_last_ack_recv = 0;

  // Metrics.
  uint32_t tcpi_pmtu = 0;
  uint32_t tcpi_rcv_ssthresh = 0;
  uint32_t tcpi_rtt = 0;     // smoothed RTT, microseconds
  uint32_t tcpi_rttvar = 0;  // mean deviation, microseconds
  uint32_t tcpi_snd_ssthresh = 0;
  uint32_t tcpi_snd_cwnd = 0;
  uint32_t tcpi_advmss = 0;
  uint32_t tcpi_reordering = 0;

  uint32_t tcpi_rcv_rtt = 0;
  uint32_t tcpi_rcv_space = 0;

  uint32_t tcpi_total_retrans = 0;

  uint64_t tcpi_pacing_rate = 0;
  uint64_t tcpi_max_pacing_rate = 0;
  uint64_t tcpi_bytes_acked = 0;
  uint64_t tcpi_bytes_received = 0;
  uint32_t tcpi_segs_out = 0;
  uint32_t tcpi_segs_in = 0;

  uint32_t tcpi_notsent_bytes = 0;
  uint32_t tcpi_min_rtt = 0;
  uint32_t tcpi_data_segs_in = 0;
  uint32_t tcpi_data_segs_out = 0;

  uint64_t tcpi_delivery_rate = 0;

  uint64_t tcpi_busy_time = 0;
  uint64_t tcpi_rwnd_limited = 0;
  uint64_t tcpi_sndbuf_limited = 0;

  uint32_t tcpi_delivered = 0;
  uint32_t tcpi_delivered_ce = 0;

  uint64_t tcpi_bytes_sent = 0;
  uint64_t tcpi_bytes_retrans = 0;
  uint32_t tcpi_dsack_dups = 0;
  uint32_t tcpi_reord_seen = 0;

  uint32_t tcpi_rcv_ooopack = 0;

  uint32_t tcpi_snd_wnd = 0;  // the end of the host's <linux/tcp.h> (Linux 6.1 headers)
  uint32_t tcpi_rcv_wnd = 0;
  uint32_t tcpi_rehash = 0;
  uint16_t tcpi_total_rto = 0;
  uint16_t tcpi_total_rto_recoveries = 0;
  uint32_t tcpi_total_rto_time = 0;
  // Accurate ECN (6.18); usnet does no ECN, so these stay 0.
  uint32_t tcpi_received_ce = 0;
  uint32_t tcpi_delivered_e1_bytes = 0;
  uint32_t tcpi_delivered_e0_bytes = 0;
  uint32_t tcpi_delivered_ce_bytes = 0;
  uint32_t tcpi_received_e1_bytes = 0;
  uint32_t tcpi_received_e0_bytes = 0;
  uint32_t tcpi_received_ce_bytes = 0;
  // tcpi_ecn_mode:2, tcpi_accecn_opt_seen:2, tcpi_accecn_fail_mode:4,
  // tcpi_options2:24 in the newest headers.
  uint32_t tcpi_ecn_bits = 0;
};

// Measured: getsockopt(TCP_INFO) with a 512-byte buffer on Linux 6.18 returns 280.
static_assert(sizeof(TcpInfo) == 280, "Linux 6.18 struct tcp_info is 280 bytes");

}  // namespace usnet
