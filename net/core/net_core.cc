#include "net/core/net_core.h"

#include <climits>

#include "kernel/check.h"

namespace usnet {

NetCore::NetCore(EventLoop& loop, SkbPool& pool, std::string hostname, uint64_t seed)
    : loop_(loop), pool_(pool), hostname_(std::move(hostname)), rng_(seed) {
  sysctl_.AddInt("net.core.somaxconn", &config_.somaxconn, 0, INT_MAX,
                 "upper bound on a listen() backlog");
  sysctl_.AddInt("net.core.netdev_max_backlog", &config_.netdev_max_backlog, 1, INT_MAX,
                 "frames a device may queue towards the stack");
  sysctl_.AddInt("net.core.dev_weight", &config_.dev_weight, 1, INT_MAX, "NAPI poll weight");
  sysctl_.AddInt("net.core.netdev_budget", &config_.netdev_budget, 1, INT_MAX,
                 "frames per NAPI round");
  sysctl_.AddInt("net.core.netdev_budget_usecs", &config_.netdev_budget_usecs, 1, INT_MAX,
                 "time per NAPI round");
  sysctl_.AddInt("net.core.rmem_default", &config_.rmem_default, 256, INT_MAX);
  sysctl_.AddInt("net.core.rmem_max", &config_.rmem_max, 256, INT_MAX);
  sysctl_.AddInt("net.core.wmem_default", &config_.wmem_default, 256, INT_MAX);
  sysctl_.AddInt("net.core.wmem_max", &config_.wmem_max, 256, INT_MAX);
}

NetCore::~NetCore() {
  // Devices may drop what they still hold as they go: the counters and the
  // pool they report to must outlive them.
  devices_.clear();
}

NetDevice* NetCore::AddDevice(std::unique_ptr<NetDevice> dev) {
  NetDevice* d = dev.get();
  d->set_ifindex(static_cast<int>(devices_.size()) + 1);
  d->SetRxHandler(this);
  d->Attach(this);
  devices_.push_back(std::move(dev));
  return d;
}

NetDevice* NetCore::FindDevice(std::string_view name) const {
  for (const auto& d : devices_) {
    if (d->name() == name) return d.get();
  }
  return nullptr;
}

NetDevice* NetCore::DeviceByIndex(int ifindex) const {
  if (ifindex < 1 || ifindex > static_cast<int>(devices_.size())) return nullptr;
  return devices_[ifindex - 1].get();
}

std::vector<NetDevice*> NetCore::devices() const {
  std::vector<NetDevice*> v;
  for (const auto& d : devices_) v.push_back(d.get());
  return v;
}

void NetCore::SetLinkHandler(DeviceType type, PacketHandler* h) {
  link_handlers_[static_cast<int>(type)] = h;
}

void NetCore::AddPacketHandler(uint16_t ethertype, PacketHandler* h) {
  ptypes_.emplace_back(ethertype, h);
}

void NetCore::HandleRx(SkbPtr skb) {
  skb->tstamp_ns = loop_.now_ns();
  skb->SetMacHeader();
  PacketHandler* link = link_handlers_[static_cast<int>(skb->dev->type())];
  if (link != nullptr) {
    link->Rcv(std::move(skb));  // parses the link header, then DeliverByProtocol
  } else {
    // No link header (loopback, raw IP): the driver set skb->protocol.
    DeliverByProtocol(std::move(skb));
  }
}

void NetCore::DeliverByProtocol(SkbPtr skb) {
  skb->SetNetworkHeader();
  for (const auto& [type, handler] : ptypes_) {
    if (type == skb->protocol) {
      handler->Rcv(std::move(skb));
      return;
    }
  }
  Drop(std::move(skb), DropReason::kUNHANDLED_PROTO);
}

void NetCore::DevQueueXmit(SkbPtr skb) {
  NetDevice* dev = skb->dev;
  USNET_CHECK(dev != nullptr);
  if (!dev->up()) {
    ++dev->stats().tx_dropped;
    Drop(std::move(skb), DropReason::kDEV_READY);
    return;
  }
  skb->tstamp_ns = loop_.now_ns();
  dev->StartXmit(std::move(skb));
}

void NetCore::Drop(SkbPtr skb, DropReason reason) {
  drops_.Inc(reason);
  if (drop_hook) drop_hook(*skb, reason);
  pool_.FreeDropped(std::move(skb));
}

SkbPtr NetCore::AllocSkb(size_t headroom, size_t payload) {
  SkbPtr skb = pool_.Alloc(headroom + payload);
  if (skb) {
    bool ok = skb->Reserve(headroom);
    USNET_CHECK(ok);
  }
  return skb;
}

SkbPtr NetCore::AllocHeaderSkb() {
  SkbPtr skb = pool_.Alloc(kMaxHeaderRoom, /*header_only=*/true);
  if (skb) {
    bool ok = skb->Reserve(kMaxHeaderRoom);
    USNET_CHECK(ok);
  }
  return skb;
}

}  // namespace usnet
