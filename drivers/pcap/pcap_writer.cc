#include "drivers/pcap/pcap_writer.h"

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace usnet {

absl::Status PcapWriter::Open(const std::string& path, uint32_t linktype) {
  Close();
  f_ = std::fopen(path.c_str(), "wb");
  if (f_ == nullptr) {
    return absl::UnavailableError(absl::StrCat("cannot write ", path, ": ", std::strerror(errno)));
  }
  std::setvbuf(f_, nullptr, _IOFBF, 1 << 20);
  struct {
    uint32_t magic = 0xa1b23c4d;  // nanosecond resolution
    uint16_t major = 2, minor = 4;
    int32_t thiszone = 0;
    uint32_t sigfigs = 0;
    uint32_t snaplen = kSnapLen;
    uint32_t network;
  } hdr;
  hdr.network = linktype;
  if (std::fwrite(&hdr, sizeof(hdr), 1, f_) != 1) {
    Close();
    return absl::UnavailableError(absl::StrCat("cannot write ", path));
  }
  return absl::OkStatus();
}

void PcapWriter::Write(int64_t ts_ns, std::span<const std::byte> data) {
  if (f_ == nullptr) return;
  const uint32_t incl = static_cast<uint32_t>(std::min<size_t>(data.size(), kSnapLen));
  struct {
    uint32_t sec, nsec, incl_len, orig_len;
  } rec{static_cast<uint32_t>(ts_ns / 1'000'000'000), static_cast<uint32_t>(ts_ns % 1'000'000'000),
        incl, static_cast<uint32_t>(data.size())};
  if (std::fwrite(&rec, sizeof(rec), 1, f_) != 1 || std::fwrite(data.data(), 1, incl, f_) != incl) {
    ++errors_;
    return;
  }
  ++packets_;
}

void PcapWriter::Flush() {
  if (f_ != nullptr) std::fflush(f_);
}

void PcapWriter::Close() {
  if (f_ != nullptr) {
    std::fclose(f_);
    f_ = nullptr;
  }
}

}  // namespace usnet
