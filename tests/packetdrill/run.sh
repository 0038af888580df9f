#!/usr/bin/env bash
# Runs packetdrill scripts against usnet through build/lib/libusnet_packetdrill.so.
#
#   PACKETDRILL=/path/to/packetdrill tests/packetdrill/run.sh [DIR|FILE.pkt ...]
#
# With no arguments it runs this folder's own scripts. Every script runs in
# virtual time (the adapter's clock), so a run takes seconds. It prints one
# line per script and then "N passed, N failed"; the exit status is 1 if any
# failed. Without $PACKETDRILL it says so and exits 77 (ctest: skipped).
# packetdrill is not a Debian package: build it yourself, outside this
# repository (github.com/google/packetdrill, gtests/net/packetdrill:
# ./configure && make; it needs bison and flex).
#
# Environment:
#   PACKETDRILL      the packetdrill binary (required)
#   USNET_PD_SO      the adapter (default: build/lib/libusnet_packetdrill.so)
#   USNET_PD_FLAGS   extra adapter flags (see tools/packetdrill/adapter.cc)
#   USNET_PD_VERBOSE=1  print packetdrill's output for failures
#   USNET_PD_LINUX=1 run the same scripts against this machine's Linux kernel
#                    instead (the reference), each in a fresh namespace with
#                    defaults.conf applied (root only)
#   USNET_PD_NETNS=1 run packetdrill inside a network namespace this script
#                    creates (with a TUN device tun0) and removes: needed
#                    for upstream scripts, whose init command sets Linux
#                    sysctls and runs tc on tun0 (root only)
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

if [[ -z "${PACKETDRILL:-}" ]]; then
  echo "SKIP: PACKETDRILL is not set; build packetdrill outside the repo and set PACKETDRILL=/path/to/packetdrill to run these scripts"
  exit 77
fi
if [[ ! -x "$PACKETDRILL" ]]; then
  echo "error: PACKETDRILL=$PACKETDRILL is not an executable" >&2
  exit 2
fi
so=${USNET_PD_SO:-$root/build/lib/libusnet_packetdrill.so}
linux=${USNET_PD_LINUX:-0}
# usnet runs in virtual time; Linux takes the scripts' real durations.
limit=60
[[ "$linux" == 1 ]] && limit=200
if [[ "$linux" != 1 && ! -f "$so" ]]; then
  echo "error: $so not found (build it: cmake --build build --target usnet_packetdrill)" >&2
  exit 2
fi

local_ip=192.168.0.2
flags="ip=$local_ip/16 gw=192.168.0.1 sysctl_file=$here/defaults.conf ${USNET_PD_FLAGS:-}"

scripts=()
(( $# == 0 )) && set -- "$here"
for arg in "$@"; do
  if [[ -d "$arg" ]]; then
    while IFS= read -r f; do scripts+=("$f"); done < <(find "$arg" -name '*.pkt' | sort)
  elif [[ -f "$arg" ]]; then
    scripts+=("$arg")
  else
    echo "error: no such file or directory: $arg" >&2
    exit 2
  fi
done

# A fresh namespace per script: upstream init commands are not idempotent
# (`tc qdisc add` fails the second time).
ns=""
new_netns() {
  ns=usnet-pd-$$
  ip netns add "$ns" || { echo "error: cannot create network namespace $ns (root needed)" >&2; exit 2; }
  ip -n "$ns" link set lo up || exit 2
  if [[ "$linux" == 1 ]]; then
    # packetdrill makes tun0 itself; the kernel gets the sysctls usnet gets.
    ip netns exec "$ns" sysctl -q -p "$here/defaults.conf" || exit 2
  else
    ip -n "$ns" tuntap add dev tun0 mode tun && ip -n "$ns" link set tun0 up || exit 2
  fi
}
del_netns() { [[ -n "$ns" ]] && ip netns del "$ns" 2>/dev/null; ns=""; }
trap del_netns EXIT

passed=0 failed=0
for s in "${scripts[@]}"; do
  prefix=() extra=""
  if [[ "$linux" == 1 ]]; then
    new_netns
    prefix=(ip netns exec "$ns")
  elif [[ "${USNET_PD_NETNS:-0}" == 1 ]]; then
    new_netns
    prefix=(ip netns exec "$ns")
    extra="sysctl_from_proc=1"
  fi
  target=(--so_filename="$so" --so_flags="$flags $extra")
  [[ "$linux" == 1 ]] && target=()
  # Scripts run from their own folder, as upstream's relative init commands expect.
  out=$(cd "$(dirname "$s")" && timeout $limit "${prefix[@]}" "$PACKETDRILL" "${target[@]}" \
          --local_ip=$local_ip --remote_ip=192.0.2.1 --gateway_ip=192.168.0.1 \
          --netmask_ip=255.255.0.0 --ip_version=ipv4 "$(basename "$s")" 2>&1)
  rc=$?
  del_netns
  if (( rc == 0 )); then
    passed=$((passed + 1)); echo "PASS $s"
  else
    failed=$((failed + 1)); echo "FAIL $s (exit $rc)"
    if [[ "${USNET_PD_VERBOSE:-0}" == 1 ]]; then
      printf '%s\n' "$out" | sed 's/^/    /'
    else
      printf '%s\n' "$out" | grep -m1 -E 'error|Error|assert' | sed 's/^/    /'
    fi
  fi
done
echo "$passed passed, $failed failed"
(( failed == 0 ))
