#include "drivers/memlink/memlink.h"

namespace usnet {

MemLinkDevice::MemLinkDevice(EventLoop& loop, const MemLinkEndConfig& c)
    : NetDevice(c.name, DeviceType::kEther, c.mac, c.mtu),
      offload_(c.offload),
      rxq_(loop, *this, c.txqueuelen) {
  if (offload_) set_features(kFeatureTso | kFeatureHwCsum | kFeatureRxCsum);
}

MemLinkDevice::~MemLinkDevice() {
  if (peer_ != nullptr) peer_->peer_ = nullptr;
}

void MemLinkDevice::StartXmit(SkbPtr skb) {
  if (peer_ == nullptr || !peer_->up()) {
    // Carrier down: the frame goes nowhere (Linux counts tx_dropped).
    ++stats_.tx_dropped;
    DropSkb(std::move(skb), DropReason::kDEV_READY);
    return;
  }
  const bool gso = offload_ && skb->gso_type != GsoType::kNone;
  if (!gso && skb->len() > mtu() + hard_header_len()) {
    ++stats_.tx_dropped;
    DropSkb(std::move(skb), DropReason::kPKT_TOO_BIG);
    return;
  }
  ++stats_.tx_packets;
  stats_.tx_bytes += skb->len();
  // Scrub sender-side state as a packet leaving one host for another
  // (skb_scrub_packet): the far side classifies it afresh.
  skb->pkt_type = PacketType::kHost;
  if (!offload_) skb->ip_summed = CsumState::kNone;
  peer_->rxq_.Enqueue(std::move(skb));
}

std::pair<std::unique_ptr<MemLinkDevice>, std::unique_ptr<MemLinkDevice>> MemLink::Make(
    EventLoop& loop, const MemLinkEndConfig& a, const MemLinkEndConfig& b) {
  auto da = std::make_unique<MemLinkDevice>(loop, a);
  auto db = std::make_unique<MemLinkDevice>(loop, b);
  da->peer_ = db.get();
  db->peer_ = da.get();
  return {std::move(da), std::move(db)};
}

}  // namespace usnet
