// NetCore: the protocol-independent half of one host (what Linux keeps in
// struct net and net/core/dev.c): its devices, the receive dispatch
// (netif_receive_skb: link layer by device type, then the packet-type table
// by EtherType), the transmit exit (dev_queue_xmit), the end of every skb
// (Consume / Drop with a reason), the copy ledger, counters and sysctls.
// Protocols register themselves here; NetCore includes none of them.
//
//   NetCore core(loop, pool, "a", /*seed=*/1);
//   core.AddPacketHandler(0x0800, &ipv4);      // dev_add_pack(ETH_P_IP)
//   NetDevice* dev = core.AddDevice(std::move(driver));
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "kernel/event_loop.h"
#include "kernel/mib.h"
#include "kernel/sysctl.h"
#include "net/core/copy_ledger.h"
#include "net/core/drop_reason.h"
#include "net/core/netdevice.h"
#include "net/core/skbuff.h"

namespace usnet {

// A protocol's receive function (Linux packet_type.func).
class PacketHandler {
 public:
  virtual ~PacketHandler() = default;
  virtual void Rcv(SkbPtr skb) = 0;
};

struct CoreConfig {
  int somaxconn = 4096;            // net.core.somaxconn
  int netdev_max_backlog = 1000;   // net.core.netdev_max_backlog
  int dev_weight = 64;             // net.core.dev_weight
  int netdev_budget = 300;         // net.core.netdev_budget
  int netdev_budget_usecs = 2000;  // net.core.netdev_budget_usecs
  int rmem_default = 212992;       // net.core.rmem_default
  int rmem_max = 212992;           // net.core.rmem_max
  int wmem_default = 212992;       // net.core.wmem_default
  int wmem_max = 212992;           // net.core.wmem_max
};

class NetCore final : public RxHandler {
 public:
  NetCore(EventLoop& loop, SkbPool& pool, std::string hostname, uint64_t seed);
  ~NetCore() override;
  NetCore(const NetCore&) = delete;
  NetCore& operator=(const NetCore&) = delete;

  EventLoop& loop() { return loop_; }
  SkbPool& pool() { return pool_; }
  absl::Time now() const { return loop_.now(); }
  const std::string& hostname() const { return hostname_; }
  std::mt19937_64& rng() { return rng_; }

  // Devices (register_netdevice). The host owns them.
  NetDevice* AddDevice(std::unique_ptr<NetDevice> dev);
  NetDevice* FindDevice(std::string_view name) const;
  NetDevice* DeviceByIndex(int ifindex) const;
  std::vector<NetDevice*> devices() const;

  // Receive dispatch.
  void SetLinkHandler(DeviceType type, PacketHandler* h);  // e.g. eth_rcv
  void AddPacketHandler(uint16_t ethertype, PacketHandler* h);
  // netif_receive_skb: from a device, through its link layer.
  void HandleRx(SkbPtr skb) override;
  // After the link layer: deliver by skb->protocol (__netif_receive_skb_core).
  void DeliverByProtocol(SkbPtr skb);
  // dev_queue_xmit: hand a finished frame to skb->dev.
  void DevQueueXmit(SkbPtr skb);

  // Every skb ends in one of these.
  void Consume(SkbPtr skb) { pool_.FreeConsumed(std::move(skb)); }
  void Drop(SkbPtr skb, DropReason reason);
  // Observes drops (tests, `usnet dropwatch`-style tools).
  std::function<void(const SkBuff&, DropReason)> drop_hook;

  DropStats& drops() { return drops_; }
  CopyLedger& ledger() { return ledger_; }
  MibRegistry& mibs() { return mibs_; }
  SysctlTable& sysctl() { return sysctl_; }
  CoreConfig& config() { return config_; }

  // Allocates an skb with `headroom` reserved and room for `payload` more.
  SkbPtr AllocSkb(size_t headroom, size_t payload);
  // An skb for headers only (kMaxHeaderRoom reserved), whose payload will be
  // a fragment: from the small 256-byte class that AllocSkb never uses.
  SkbPtr AllocHeaderSkb();

 private:
  EventLoop& loop_;
  SkbPool& pool_;
  std::string hostname_;
  std::mt19937_64 rng_;
  std::vector<std::unique_ptr<NetDevice>> devices_;
  PacketHandler* link_handlers_[3] = {};
  std::vector<std::pair<uint16_t, PacketHandler*>> ptypes_;
  DropStats drops_;
  CopyLedger ledger_;
  MibRegistry mibs_;
  SysctlTable sysctl_;
  CoreConfig config_;
};

}  // namespace usnet
