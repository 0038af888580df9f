// usnet::TcpInfo against the host's <linux/tcp.h> struct tcp_info: every
// field the host header knows sits at the same offset with the same size,
// and the bitfield bytes mean the same. (This file includes <linux/tcp.h>,
// so nothing here may include <netinet/tcp.h>: the two clash.)
#include <linux/tcp.h>

#include <cstddef>
#include <cstring>
#include <utility>

#include "gtest/gtest.h"
#include "net/ipv4/tcp_info.h"

namespace usnet {
namespace {

// Every non-bitfield member of Linux's struct tcp_info, in order (the host
// headers are Linux 6.1's: up to tcpi_snd_wnd).
// clang-format off
#define USNET_LINUX_TCP_INFO_FIELDS(X)                                                        \
  X(tcpi_state) X(tcpi_ca_state) X(tcpi_retransmits) X(tcpi_probes) X(tcpi_backoff)           \
  X(tcpi_options) X(tcpi_rto) X(tcpi_ato) X(tcpi_snd_mss) X(tcpi_rcv_mss) X(tcpi_unacked)     \
  X(tcpi_sacked) X(tcpi_lost) X(tcpi_retrans) X(tcpi_fackets) X(tcpi_last_data_sent)          \
  X(tcpi_last_ack_sent) X(tcpi_last_data_recv) X(tcpi_last_ack_recv) X(tcpi_pmtu)             \
  X(tcpi_rcv_ssthresh) X(tcpi_rtt) X(tcpi_rttvar) X(tcpi_snd_ssthresh) X(tcpi_snd_cwnd)       \
  X(tcpi_advmss) X(tcpi_reordering) X(tcpi_rcv_rtt) X(tcpi_rcv_space) X(tcpi_total_retrans)   \
  X(tcpi_pacing_rate) X(tcpi_max_pacing_rate) X(tcpi_bytes_acked) X(tcpi_bytes_received)      \
  X(tcpi_segs_out) X(tcpi_segs_in) X(tcpi_notsent_bytes) X(tcpi_min_rtt)                      \
  X(tcpi_data_segs_in) X(tcpi_data_segs_out) X(tcpi_delivery_rate) X(tcpi_busy_time)          \
  X(tcpi_rwnd_limited) X(tcpi_sndbuf_limited) X(tcpi_delivered) X(tcpi_delivered_ce)          \
  X(tcpi_bytes_sent) X(tcpi_bytes_retrans) X(tcpi_dsack_dups) X(tcpi_reord_seen)              \
  X(tcpi_rcv_ooopack) X(tcpi_snd_wnd)
// clang-format on

TEST(TcpInfoLayout, EveryHostFieldAtTheSameOffsetAndSize) {
#define USNET_CHECK_FIELD(f)                                      \
  EXPECT_EQ(offsetof(TcpInfo, f), offsetof(::tcp_info, f)) << #f; \
  EXPECT_EQ(sizeof(std::declval<TcpInfo>().f), sizeof(std::declval<::tcp_info>().f)) << #f;
  USNET_LINUX_TCP_INFO_FIELDS(USNET_CHECK_FIELD)
#undef USNET_CHECK_FIELD
  // The host struct is a prefix of Linux 6.18's 280 bytes.
  EXPECT_EQ(sizeof(::tcp_info), offsetof(TcpInfo, tcpi_snd_wnd) + sizeof(uint32_t));
  EXPECT_LE(sizeof(::tcp_info), sizeof(TcpInfo));
  EXPECT_EQ(sizeof(TcpInfo), 280u);
}

TEST(TcpInfoLayout, BitfieldsMeanTheSameBits) {
  TcpInfo ours;
  ours.tcpi_snd_wscale = 5;
  ours.tcpi_rcv_wscale = 9;
  ours.tcpi_delivery_rate_app_limited = 1;
  ours.tcpi_fastopen_client_fail = 2;
  ::tcp_info host;
  std::memset(&host, 0, sizeof(host));
  std::memcpy(&host, &ours, sizeof(host));
  EXPECT_EQ(host.tcpi_snd_wscale, 5u);
  EXPECT_EQ(host.tcpi_rcv_wscale, 9u);
  EXPECT_EQ(host.tcpi_delivery_rate_app_limited, 1u);
  EXPECT_EQ(host.tcpi_fastopen_client_fail, 2u);
}

}  // namespace
}  // namespace usnet
