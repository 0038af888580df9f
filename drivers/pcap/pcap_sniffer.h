// PcapSniffer: wraps any device and records every frame in both directions
// to a pcap file, as it crosses the wrapped device (sent frames before the
// inner device takes them, received ones before the stack does). A frame
// whose checksum is left to the device (CHECKSUM_PARTIAL) is written with
// the checksum filled in, as the wire would carry it, so captures read
// clean in tshark.
//
//   auto dev = std::make_unique<PcapSniffer>(std::move(inner), std::move(writer));
#pragma once

#include <memory>
#include <vector>

#include "drivers/pcap/pcap_writer.h"
#include "drivers/wrap/wrapper_device.h"

namespace usnet {

class PcapSniffer final : public WrapperDevice {
 public:
  // `writer` may be shared by several sniffers (both ends of a link in one
  // file); it must outlive them.
  PcapSniffer(std::unique_ptr<NetDevice> inner, PcapWriter* writer);

  void StartXmit(SkbPtr skb) override;
  void HandleRx(SkbPtr skb) override;

  // The link type a device's frames need.
  static uint32_t LinkTypeFor(const NetDevice& dev);

 private:
  void Record(const SkBuff& skb);

  PcapWriter* writer_;
  std::vector<std::byte> scratch_;
};

}  // namespace usnet
