#include "drivers/pcap/pcap_sniffer.h"

#include <cstring>

#include "net/core/net_core.h"
#include "net/core/skb_bits.h"

namespace usnet {

PcapSniffer::PcapSniffer(std::unique_ptr<NetDevice> inner, PcapWriter* writer)
    : WrapperDevice(std::move(inner)), writer_(writer) {}

uint32_t PcapSniffer::LinkTypeFor(const NetDevice& dev) {
  return dev.type() == DeviceType::kEther ? PcapWriter::kLinkEthernet : PcapWriter::kLinkRaw;
}

void PcapSniffer::Record(const SkBuff& skb) {
  const int64_t ts = core_ != nullptr ? absl::ToUnixNanos(core_->now()) : skb.tstamp_ns;
  if (skb.ip_summed != CsumState::kPartial && !skb.has_frag()) {
    writer_->Write(ts, skb.cspan());
    return;
  }
  // A frame in two pieces, or with a checksum the device would finish.
  SkbFlatten(skb, scratch_);
  writer_->Write(ts, scratch_);
}

void PcapSniffer::StartXmit(SkbPtr skb) {
  Record(*skb);
  PassDown(std::move(skb));
}

void PcapSniffer::HandleRx(SkbPtr skb) {
  Record(*skb);
  Receive(std::move(skb));
}

}  // namespace usnet
