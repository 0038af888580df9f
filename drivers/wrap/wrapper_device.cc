#include "drivers/wrap/wrapper_device.h"

namespace usnet {

WrapperDevice::WrapperDevice(std::unique_ptr<NetDevice> inner)
    : NetDevice(inner->name(), inner->type(), inner->mac(), inner->mtu()), inner_(std::move(inner)) {
  set_features(inner_->features());
  inner_->SetRxHandler(this);
}

void WrapperDevice::Attach(NetCore* core) {
  NetDevice::Attach(core);
  inner_->set_ifindex(ifindex());
  inner_->Attach(core);
}

void WrapperDevice::PassDown(SkbPtr skb) {
  ++stats_.tx_packets;
  stats_.tx_bytes += skb->len();
  inner_->StartXmit(std::move(skb));
}

void WrapperDevice::StartXmit(SkbPtr skb) { PassDown(std::move(skb)); }

}  // namespace usnet
