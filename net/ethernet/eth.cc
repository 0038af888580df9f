#include "net/ethernet/eth.h"

#include "net/wire/ethernet.h"

namespace usnet {

void EthLinkLayer::Rcv(SkbPtr skb) {
  auto eth = EthView::Parse(skb->cspan());
  if (!eth) {
    core_.Drop(std::move(skb), DropReason::kPKT_TOO_SMALL);
    return;
  }
  const MacAddr dst = eth->dst();
  if (dst == skb->dev->mac()) {
    skb->pkt_type = PacketType::kHost;
  } else if (dst.IsBroadcast()) {
    skb->pkt_type = PacketType::kBroadcast;
  } else if (dst.IsMulticast()) {
    skb->pkt_type = PacketType::kMulticast;
  } else {
    // Linux keeps PACKET_OTHERHOST frames until ip_rcv drops them; with no
    // promiscuous taps in the stack, dropping here is the same outcome.
    skb->pkt_type = PacketType::kOtherHost;
    core_.Drop(std::move(skb), DropReason::kOTHERHOST);
    return;
  }
  skb->protocol = eth->ethertype();
  (void)skb->Pull(kEthHeaderLen);
  core_.DeliverByProtocol(std::move(skb));
}

void EthPushHeader(SkBuff& skb, MacAddr dst, uint16_t ethertype) {
  std::byte* p = skb.Push(kEthHeaderLen);
  USNET_CHECK(p != nullptr);
  EthRepr{dst, skb.dev->mac(), ethertype}.Emit(p);
  skb.SetMacHeader();
}

MacAddr EthMulticastMac(Ipv4Addr group) {
  uint32_t g = group.value();
  return MacAddr({0x01, 0x00, 0x5e, static_cast<uint8_t>((g >> 16) & 0x7f),
                  static_cast<uint8_t>(g >> 8), static_cast<uint8_t>(g)});
}

}  // namespace usnet
