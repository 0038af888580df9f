// NetDevice: the small interface between the stack and a link (Linux
// net_device + net_device_ops). The stack transmits with StartXmit; a driver
// hands received frames up with Receive() from its NAPI poll. Devices wrap
// each other (a PcapSniffer around a FaultInjector around a MemLink end): a
// wrapper is a NetDevice that is also the RxHandler of the device inside it.
//
//   class MyDriver : public NetDevice {
//     void StartXmit(SkbPtr skb) override { ... }       // owns skb now
//     int Poll(int budget) { ...; Receive(std::move(skb)); ... }
//   };
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "net/core/addr.h"
#include "net/core/drop_reason.h"
#include "net/core/napi.h"
#include "net/core/skbuff.h"

namespace usnet {

class NetCore;

enum class DeviceType : uint8_t {
  kEther,     // Ethernet framing, ARP (ARPHRD_ETHER)
  kLoopback,  // no link header, no ARP (ARPHRD_LOOPBACK)
  kRawIp,     // bare IP packets (ARPHRD_NONE, a TUN device)
};

enum NetdevFeature : uint32_t {
  kFeatureHwCsum = 1u << 0,  // fills checksums of CHECKSUM_PARTIAL packets (NETIF_F_HW_CSUM)
  kFeatureRxCsum = 1u << 1,  // marks received checksums verified (NETIF_F_RXCSUM)
  kFeatureTso = 1u << 2,     // takes TCPv4 GSO super-frames (NETIF_F_TSO)
};

struct NetDeviceStats {  // Linux rtnl_link_stats64 subset
  uint64_t rx_packets = 0, rx_bytes = 0, rx_dropped = 0, rx_errors = 0;
  uint64_t tx_packets = 0, tx_bytes = 0, tx_dropped = 0, tx_errors = 0;
};

class RxHandler {
 public:
  virtual ~RxHandler() = default;
  virtual void HandleRx(SkbPtr skb) = 0;
};

class NetDevice {
 public:
  NetDevice(std::string name, DeviceType type, MacAddr mac, uint32_t mtu);
  virtual ~NetDevice() = default;
  NetDevice(const NetDevice&) = delete;
  NetDevice& operator=(const NetDevice&) = delete;

  // ndo_start_xmit: the frame begins at skb->data (link header included).
  // The device owns the skb from here on and must Consume or Drop it.
  virtual void StartXmit(SkbPtr skb) = 0;
  // Called when the device joins a host (register_netdevice). Wrappers pass
  // it on to the device they wrap.
  virtual void Attach(NetCore* core) { core_ = core; }
  // NAPI instances, for statistics (`usnet nstat` shows their counters).
  virtual std::vector<const Napi*> napis() const { return {}; }

  void SetRxHandler(RxHandler* h) { rx_handler_ = h; }
  // Hands a received frame up (drivers call this from their poll).
  void Receive(SkbPtr skb);
  // Drops a frame this device could not handle, counting the reason.
  void DropSkb(SkbPtr skb, DropReason reason);

  const std::string& name() const { return name_; }
  DeviceType type() const { return type_; }
  int ifindex() const { return ifindex_; }
  void set_ifindex(int i) { ifindex_ = i; }
  const MacAddr& mac() const { return mac_; }
  void set_mac(MacAddr m) { mac_ = m; }
  uint32_t mtu() const { return mtu_; }
  void set_mtu(uint32_t m) { mtu_ = m; }
  uint32_t features() const { return features_; }
  void set_features(uint32_t f) { features_ = f; }
  bool has_feature(NetdevFeature f) const { return (features_ & f) != 0; }
  bool up() const { return up_; }
  void set_up(bool up) { up_ = up; }
  // Bytes of link header the stack must push (ETH_HLEN for Ethernet).
  size_t hard_header_len() const { return type_ == DeviceType::kEther ? 14 : 0; }
  NetCore* core() const { return core_; }
  NetDeviceStats& stats() { return stats_; }
  const NetDeviceStats& stats() const { return stats_; }

 protected:
  NetCore* core_ = nullptr;
  NetDeviceStats stats_;

 private:
  std::string name_;
  DeviceType type_;
  MacAddr mac_;
  uint32_t mtu_;
  uint32_t features_ = 0;
  int ifindex_ = 0;
  bool up_ = true;
  RxHandler* rx_handler_ = nullptr;
};

}  // namespace usnet
