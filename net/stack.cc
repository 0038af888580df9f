#include "net/stack.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace usnet {

Stack::Stack(EventLoop& loop, SkbPool& pool, std::string name, uint64_t seed)
    : core_(loop, pool, std::move(name), seed), eth_(core_) {
  core_.SetLinkHandler(DeviceType::kEther, &eth_);
  inet_ = std::make_unique<Inet>(core_);
  tcp_ = std::make_unique<Tcp>(*inet_);
  // Drop reasons last, after the SNMP groups (nstat lists groups in order).
  core_.mibs().Add("Drop_", kDropReasonNames, core_.drops().values());
}

Stack::~Stack() {
  tcp_.reset();  // TCP's sockets and timers go before IP they sit on
}

absl::Status Stack::AddAddress(std::string_view dev, std::string_view prefix) {
  NetDevice* d = core_.FindDevice(dev);
  if (d == nullptr) return absl::NotFoundError(absl::StrCat("no device ", std::string(dev)));
  std::optional<Ipv4Prefix> p = Ipv4Prefix::Parse(prefix);
  if (!p) return absl::InvalidArgumentError(absl::StrCat("bad address '", std::string(prefix), "'"));
  return inet_->AddAddress(d, *p);
}

absl::Status Stack::AddRoute(std::string_view prefix, std::string_view gateway,
                             std::string_view dev) {
  NetDevice* d = core_.FindDevice(dev);
  if (d == nullptr) return absl::NotFoundError(absl::StrCat("no device ", std::string(dev)));
  std::optional<Ipv4Prefix> p =
      prefix == "default" ? Ipv4Prefix{Ipv4Addr(), 0} : Ipv4Prefix::Parse(prefix);
  if (!p) return absl::InvalidArgumentError(absl::StrCat("bad prefix '", std::string(prefix), "'"));
  Route r{.dst = *p, .dev = d};
  if (!gateway.empty()) {
    std::optional<Ipv4Addr> gw = Ipv4Addr::Parse(gateway);
    if (!gw) return absl::InvalidArgumentError(absl::StrCat("bad gateway '", std::string(gateway), "'"));
    r.gateway = *gw;
  }
  return inet_->fib().Add(r);
}

std::vector<std::pair<std::string, uint64_t>> Stack::Counters() {
  inet_->ip_mib.Set(IpMib::kDefaultTTL, static_cast<uint64_t>(inet_->config().ip_default_ttl));
  return core_.mibs().Snapshot();
}

std::string Stack::FormatDevices() const {
  std::string out;
  for (NetDevice* d : core_.devices()) {
    const NetDeviceStats& s = d->stats();
    absl::StrAppendFormat(&out, "%d: %s: mtu %u %s\n", d->ifindex(), d->name(), d->mtu(),
                          d->type() == DeviceType::kEther ? "link/ether " + d->mac().ToString()
                                                          : std::string("link/loopback"));
    absl::StrAppendFormat(&out, "    RX: packets %u bytes %u dropped %u errors %u\n", s.rx_packets,
                          s.rx_bytes, s.rx_dropped, s.rx_errors);
    absl::StrAppendFormat(&out, "    TX: packets %u bytes %u dropped %u errors %u\n", s.tx_packets,
                          s.tx_bytes, s.tx_dropped, s.tx_errors);
    for (const Napi* n : d->napis()) {
      const NapiStats& ns = n->stats();
      absl::StrAppendFormat(&out, "    NAPI: interrupts %u polls %u packets %u full-budget polls %u",
                            ns.interrupts, ns.polls, ns.packets, ns.full_polls);
      if (ns.polls > 0) {
        absl::StrAppendFormat(&out, " (%.2f packets/poll)",
                              static_cast<double>(ns.packets) / static_cast<double>(ns.polls));
      }
      out += "\n";
    }
  }
  return out;
}

std::string Stack::FormatCopies() const {
  std::string out;
  const CopyLedger& l = const_cast<NetCore&>(core_).ledger();
  for (size_t i = 0; i < CopyLedger::kSites; ++i) {
    if (l.all_calls()[i] == 0) continue;
    absl::StrAppendFormat(&out, "  %-12s %12u bytes in %u copies\n", kCopySiteNames[i],
                          l.all_bytes()[i], l.all_calls()[i]);
  }
  return out;
}

}  // namespace usnet
