#include "net/core/netdevice.h"

#include "net/core/net_core.h"

namespace usnet {

NetDevice::NetDevice(std::string name, DeviceType type, MacAddr mac, uint32_t mtu)
    : name_(std::move(name)), type_(type), mac_(mac), mtu_(mtu) {}

void NetDevice::Receive(SkbPtr skb) {
  if (!up_ || rx_handler_ == nullptr) {
    ++stats_.rx_dropped;
    DropSkb(std::move(skb), DropReason::kDEV_READY);
    return;
  }
  ++stats_.rx_packets;
  stats_.rx_bytes += skb->len();
  skb->dev = this;
  rx_handler_->HandleRx(std::move(skb));
}

void NetDevice::DropSkb(SkbPtr skb, DropReason reason) {
  if (core_ != nullptr) {
    core_->Drop(std::move(skb), reason);
  } else {
    skb->pool().FreeDropped(std::move(skb));
  }
}

}  // namespace usnet
