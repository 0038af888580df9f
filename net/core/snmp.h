// Counter groups with the names of /proc/net/snmp and /proc/net/netstat.
// `nstat` shows each as <Group><Name>: IpInReceives, UdpNoPorts, ...
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "kernel/mib.h"

namespace usnet {

#define USNET_IP_MIB(X)                                                                    \
  X(Forwarding) X(DefaultTTL) X(InReceives) X(InHdrErrors) X(InAddrErrors) X(ForwDatagrams) \
  X(InUnknownProtos) X(InDiscards) X(InDelivers) X(OutRequests) X(OutDiscards)              \
  X(OutNoRoutes) X(ReasmTimeout) X(ReasmReqds) X(ReasmOKs) X(ReasmFails) X(FragOKs)         \
  X(FragFails) X(FragCreates) X(OutTransmits)
enum class IpMib { USNET_IP_MIB(USNET_MIB_ENUM) kCount };
inline constexpr std::string_view kIpMibNames[] = {USNET_IP_MIB(USNET_MIB_NAME)};

#define USNET_IPEXT_MIB(X)                                                                    \
  X(InNoRoutes) X(InTruncatedPkts) X(InMcastPkts) X(OutMcastPkts) X(InBcastPkts)              \
  X(OutBcastPkts) X(InOctets) X(OutOctets) X(InMcastOctets) X(OutMcastOctets)                 \
  X(InBcastOctets) X(OutBcastOctets) X(InCsumErrors) X(InNoECTPkts) X(InECT1Pkts)             \
  X(InECT0Pkts) X(InCEPkts) X(ReasmOverlaps)
enum class IpExtMib { USNET_IPEXT_MIB(USNET_MIB_ENUM) kCount };
inline constexpr std::string_view kIpExtMibNames[] = {USNET_IPEXT_MIB(USNET_MIB_NAME)};

#define USNET_ICMP_MIB(X)                                                                   \
  X(InMsgs) X(InErrors) X(InCsumErrors) X(InDestUnreachs) X(InTimeExcds) X(InParmProbs)      \
  X(InSrcQuenchs) X(InRedirects) X(InEchos) X(InEchoReps) X(InTimestamps) X(InTimestampReps) \
  X(InAddrMasks) X(InAddrMaskReps) X(OutMsgs) X(OutErrors) X(OutRateLimitGlobal)             \
  X(OutRateLimitHost) X(OutDestUnreachs) X(OutTimeExcds) X(OutParmProbs) X(OutSrcQuenchs)    \
  X(OutRedirects) X(OutEchos) X(OutEchoReps) X(OutTimestamps) X(OutTimestampReps)            \
  X(OutAddrMasks) X(OutAddrMaskReps)
enum class IcmpMib { USNET_ICMP_MIB(USNET_MIB_ENUM) kCount };
inline constexpr std::string_view kIcmpMibNames[] = {USNET_ICMP_MIB(USNET_MIB_NAME)};

#define USNET_UDP_MIB(X)                                                                      \
  X(InDatagrams) X(NoPorts) X(InErrors) X(OutDatagrams) X(RcvbufErrors) X(SndbufErrors)        \
  X(InCsumErrors) X(IgnoredMulti) X(MemErrors)
enum class UdpMib { USNET_UDP_MIB(USNET_MIB_ENUM) kCount };
inline constexpr std::string_view kUdpMibNames[] = {USNET_UDP_MIB(USNET_MIB_NAME)};

// Neighbour (ARP) cache statistics: Linux /proc/net/stat/arp_cache columns,
// plus the ARP packets we sent and received.
#define USNET_ARP_MIB(X)                                                                     \
  X(Allocs) X(Destroys) X(Lookups) X(Hits) X(ResFailed) X(RcvProbesMcast) X(RcvProbesUcast)   \
  X(PeriodicGcRuns) X(UnresolvedDiscards) X(OutRequests) X(OutReplies) X(InRequests)          \
  X(InReplies)
enum class ArpMib { USNET_ARP_MIB(USNET_MIB_ENUM) kCount };
inline constexpr std::string_view kArpMibNames[] = {USNET_ARP_MIB(USNET_MIB_NAME)};

// IcmpMsg: per-type counters (IcmpMsgInType8, IcmpMsgOutType0), in one
// array: [0, 256) in, [256, 512) out.
struct IcmpMsgMib {
  std::array<uint64_t, 512> v{};
  void InInc(uint8_t type) { ++v[type]; }
  void OutInc(uint8_t type) { ++v[256 + type]; }
  uint64_t in(uint8_t type) const { return v[type]; }
  uint64_t out(uint8_t type) const { return v[256 + type]; }
};

}  // namespace usnet
