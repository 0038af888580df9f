#include "net/core/loopback.h"

namespace usnet {

LoopbackDevice::LoopbackDevice(EventLoop& loop)
    : NetDevice("lo", DeviceType::kLoopback, MacAddr(), 65536), rxq_(loop, *this, 1000) {
  // Nothing crosses a wire: checksums need not be computed or verified
  // (Linux sets NETIF_F_HW_CSUM and marks loopback packets UNNECESSARY).
  set_features(kFeatureHwCsum | kFeatureRxCsum);
}

void LoopbackDevice::StartXmit(SkbPtr skb) {
  ++stats_.tx_packets;
  stats_.tx_bytes += skb->len();
  skb->pkt_type = PacketType::kLoopback;
  skb->ip_summed = CsumState::kUnnecessary;
  rxq_.Enqueue(std::move(skb));
}

}  // namespace usnet
