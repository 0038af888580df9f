// Why a packet was dropped (Linux enum skb_drop_reason, same names). Every
// skb that is not delivered ends in NetCore::Drop(skb, reason), which counts
// it here; `usnet nstat` shows the counts as Drop_<REASON>.
#pragma once

#include <cstdint>
#include <string_view>

#include "kernel/mib.h"

namespace usnet {

#define USNET_DROP_REASONS(X)                                                   \
  X(NOT_SPECIFIED)      /* no better reason */                                  \
  X(NO_SOCKET)          /* no socket for the destination port */               \
  X(PKT_TOO_SMALL)      /* shorter than its headers say */                      \
  X(PKT_TOO_BIG)        /* bigger than allowed (MTU with DF, > 64 KiB) */       \
  X(HDR_TRUNC)          /* a header is cut short */                             \
  X(OTHERHOST)          /* L2 destination is not us */                          \
  X(UNHANDLED_PROTO)    /* EtherType nobody handles */                          \
  X(MAC_INVALID)        /* multicast or zero source MAC */                      \
  X(IP_CSUM)            /* bad IPv4 header checksum */                          \
  X(IP_INHDR)           /* bad IPv4 header (version, ihl, length, source) */    \
  X(IP_INADDRERRORS)    /* not for us and we do not forward */                  \
  X(IP_INVALID_SOURCE)  /* martian source (multicast, broadcast, our own) */    \
  X(IP_INVALID_DEST)    /* multicast group we did not join */                   \
  X(IP_NOPROTO)         /* no handler for the IP protocol */                    \
  X(IP_OUTNOROUTES)     /* no route to the destination */                      \
  X(IP_TTL_EXCEEDED)    /* TTL hit zero */                                      \
  X(FRAG_REASM_TIMEOUT) /* reassembly timed out (ipfrag_time) */                \
  X(FRAG_TOO_FAR)       /* fragment queue over its memory or size limits */     \
  X(DUP_FRAG)           /* fragment duplicates data already held */             \
  X(IP_OVERLAP)         /* overlapping fragments (RFC 5722): queue discarded */ \
  X(ICMP_CSUM)          /* bad ICMP checksum */                                 \
  X(ICMP_INVALID)       /* malformed or unsupported ICMP message */            \
  X(UDP_CSUM)           /* bad UDP checksum */                                  \
  X(SOCKET_RCVBUFF)     /* socket receive buffer full */                        \
  X(SOCKET_CLOSE)       /* socket closed with packets queued */                 \
  X(NEIGH_FAILED)       /* neighbour resolution failed */                       \
  X(NEIGH_QUEUEFULL)    /* too many packets waiting for resolution */           \
  X(NEIGH_DEAD)         /* neighbour entry removed with packets queued */       \
  X(ARP_INVALID)        /* malformed or unsupported ARP packet */               \
  X(DEV_READY)          /* device is down */                                    \
  X(FULL_RING)          /* device queue full (txqueuelen) */                    \
  X(NOMEM)              /* could not allocate */                                \
  X(FAULT_INJECTED)     /* dropped on purpose by a FaultInjector */             \
  X(QUEUE_PURGE)        /* queue flushed at teardown */                         \
  X(TCP_CSUM)           /* bad TCP checksum */                                  \
  X(TCP_INVALID)        /* malformed TCP segment */                            \
  X(TCP_FLAGS)          /* flags that make no sense in this state */          \
  X(TCP_RESET)          /* a RST (accepted, or challenged) */                  \
  X(TCP_INVALID_SYN)    /* SYN on a synchronized connection (RFC 5961) */     \
  X(TCP_OLD_SEQUENCE)   /* entirely before the receive window */              \
  X(TCP_INVALID_SEQUENCE) /* beyond the receive window */                     \
  X(TCP_RFC7323_PAWS)   /* timestamp older than ts_recent (PAWS) */           \
  X(TCP_OLD_DATA)       /* data we already have */                            \
  X(TCP_OVERWINDOW)     /* data beyond the window */                          \
  X(TCP_ZEROWINDOW)     /* data while our window is zero */                   \
  X(TCP_OFOMERGE)       /* out-of-order data we already hold */               \
  X(TCP_OFO_DROP)       /* out-of-order queue over memory */                  \
  X(TCP_RCVQ_DROP)      /* receive queue over memory */                       \
  X(TCP_ACK_UNSENT_DATA) /* acknowledges what we never sent */                \
  X(TCP_TOO_OLD_ACK)    /* acknowledges what is far behind */                  \
  X(TCP_LISTEN_OVERFLOW) /* SYN or ACK a full listen queue refused */         \
  X(TCP_CLOSE)          /* socket closed */                                    \
  X(INVALID_PROTO)      /* not allowed here (echo to broadcast, ...) */

enum class DropReason : uint16_t {
#define USNET_DROP_ENUM(name) k##name,
  USNET_DROP_REASONS(USNET_DROP_ENUM)
#undef USNET_DROP_ENUM
  kCount
};

inline constexpr std::string_view kDropReasonNames[] = {USNET_DROP_REASONS(USNET_MIB_NAME)};

inline std::string_view DropReasonName(DropReason r) {
  return kDropReasonNames[static_cast<size_t>(r)];
}

using DropStats = Mib<DropReason>;

}  // namespace usnet
