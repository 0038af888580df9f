// Ethernet: the link layer of DeviceType::kEther devices (Linux
// net/ethernet/eth.c). On receive it classifies the frame (pkt_type by
// destination MAC), drops frames for other hosts, strips the header and
// dispatches by EtherType; on transmit it pushes the header.
#pragma once

#include "net/core/net_core.h"

namespace usnet {

class EthLinkLayer final : public PacketHandler {
 public:
  explicit EthLinkLayer(NetCore& core) : core_(core) {}
  // eth_type_trans + __netif_receive_skb_core for an Ethernet frame.
  void Rcv(SkbPtr skb) override;

 private:
  NetCore& core_;
};

// Pushes an Ethernet header (eth_header) onto skb: src is skb->dev's MAC.
// The headroom was reserved at allocation, so this cannot fail.
void EthPushHeader(SkBuff& skb, MacAddr dst, uint16_t ethertype);

// The multicast MAC for an IPv4 multicast group (RFC 1112 section 6.4).
MacAddr EthMulticastMac(Ipv4Addr group);

}  // namespace usnet
