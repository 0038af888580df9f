// Classic pcap files (the format tcpdump, tshark and wireshark read), with
// nanosecond timestamps (magic 0xa1b23c4d).
//
//   PcapWriter w;
//   absl::Status s = w.Open("out.pcap", PcapWriter::kLinkEthernet);
//   w.Write(now_ns, frame_bytes);
#pragma once

#include <cstdint>
#include <cstdio>
#include <span>
#include <string>

#include "absl/status/status.h"

namespace usnet {

class PcapWriter {
 public:
  static constexpr uint32_t kLinkEthernet = 1;  // LINKTYPE_ETHERNET
  static constexpr uint32_t kLinkRaw = 101;     // LINKTYPE_RAW: bare IPv4/IPv6
  static constexpr uint32_t kSnapLen = 262144;

  PcapWriter() = default;
  PcapWriter(const PcapWriter&) = delete;
  PcapWriter& operator=(const PcapWriter&) = delete;
  ~PcapWriter() { Close(); }

  absl::Status Open(const std::string& path, uint32_t linktype);
  // Records one packet seen at `ts_ns` (ns since the Unix epoch). Write
  // errors are counted, not fatal: capturing must not break the link.
  void Write(int64_t ts_ns, std::span<const std::byte> data);
  void Flush();
  void Close();
  bool is_open() const { return f_ != nullptr; }
  uint64_t packets() const { return packets_; }
  uint64_t write_errors() const { return errors_; }

 private:
  std::FILE* f_ = nullptr;
  uint64_t packets_ = 0;
  uint64_t errors_ = 0;
};

}  // namespace usnet
