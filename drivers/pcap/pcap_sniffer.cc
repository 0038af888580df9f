#include "drivers/pcap/pcap_sniffer.h"

#include <cstring>

#include "net/core/checksum.h"
#include "net/core/net_core.h"

namespace usnet {

PcapSniffer::PcapSniffer(std::unique_ptr<NetDevice> inner, PcapWriter* writer)
    : WrapperDevice(std::move(inner)), writer_(writer) {}

uint32_t PcapSniffer::LinkTypeFor(const NetDevice& dev) {
  return dev.type() == DeviceType::kEther ? PcapWriter::kLinkEthernet : PcapWriter::kLinkRaw;
}

void PcapSniffer::Record(const SkBuff& skb) {
  const int64_t ts = core_ != nullptr ? absl::ToUnixNanos(core_->now()) : skb.tstamp_ns;
  if (skb.ip_summed != CsumState::kPartial) {
    writer_->Write(ts, skb.cspan());
    return;
  }
  // Finish the checksum the device would have: sum from csum_start to the
  // end (the field holds the pseudo-header sum) and store the result.
  scratch_.assign(skb.data(), skb.tail());
  const size_t start = skb.csum_start - skb.headroom();
  if (start + skb.csum_offset + 2 <= scratch_.size()) {
    uint16_t c = CsumFold(CsumPartial(scratch_.data() + start, scratch_.size() - start, 0));
    if (c == 0) c = 0xffff;
    StoreCsum(scratch_.data() + start + skb.csum_offset, c);
  }
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
