#include "tools/lib/lab.h"

#include "drivers/memlink/memlink.h"
#include "drivers/pcap/pcap_sniffer.h"

namespace usnet {

Lab::Lab(const LabOptions& o) : opts_(o) {
  if (o.realtime) {
    clock_ = std::make_unique<RealClock>();
  } else {
    clock_ = std::make_unique<ManualClock>();
  }
  loop_ = std::make_unique<EventLoop>(*clock_);
  a_ = std::make_unique<Stack>(*loop_, pool_, "a", o.seed * 2 + 1);
  b_ = std::make_unique<Stack>(*loop_, pool_, "b", o.seed * 2 + 2);
}

Lab::~Lab() {
  // Sockets first (they reference the stacks), then the hosts.
  proc_a_.reset();
  proc_b_.reset();
  a_.reset();
  b_.reset();
  pcap_.Close();
}

absl::Status Lab::Init() {
  auto [ea, eb] = MemLink::Make(*loop_, {.name = "eth0", .mac = MacAddr::Local(1), .mtu = opts_.mtu},
                                {.name = "eth0", .mac = MacAddr::Local(2), .mtu = opts_.mtu});
  std::unique_ptr<NetDevice> da = std::move(ea), db = std::move(eb);
  if (opts_.faults.active()) {
    auto fa = std::make_unique<FaultInjector>(std::move(da), *loop_, opts_.faults, FaultConfig{},
                                              opts_.seed * 7919 + 1);
    auto fb = std::make_unique<FaultInjector>(std::move(db), *loop_, opts_.faults, FaultConfig{},
                                              opts_.seed * 7919 + 2);
    faults_a_ = fa.get();
    faults_b_ = fb.get();
    da = std::move(fa);
    db = std::move(fb);
  }
  if (!opts_.pcap_path.empty()) {
    if (absl::Status s = pcap_.Open(opts_.pcap_path, PcapSniffer::LinkTypeFor(*da)); !s.ok()) return s;
    da = std::make_unique<PcapSniffer>(std::move(da), &pcap_);
  }
  dev_a_ = a_->AddDevice(std::move(da));
  dev_b_ = b_->AddDevice(std::move(db));
  if (absl::Status s = a_->AddAddress("eth0", "10.0.0.1/24"); !s.ok()) return s;
  if (absl::Status s = b_->AddAddress("eth0", "10.0.0.2/24"); !s.ok()) return s;
  proc_a_ = std::make_unique<Process>(*a_);
  proc_b_ = std::make_unique<Process>(*b_);
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Lab>> Lab::Create(const LabOptions& o) {
  std::unique_ptr<Lab> lab(new Lab(o));
  if (absl::Status s = lab->Init(); !s.ok()) return s;
  return lab;
}

}  // namespace usnet
