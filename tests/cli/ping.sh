#!/usr/bin/env bash
# `usnet ping`: the issue's demonstrations, and one-line errors for bad input.
. "$(dirname "$0")/lib.sh"

"$USNET" ping --count 20 >"$TMP/out" 2>&1 || fail "ping --count 20 exits 0"
expect_grep '^20 packets transmitted, 20 received, 0% packet loss' "$TMP/out" "20 pings, 0% loss"
expect_grep '^64 bytes from 10\.0\.0\.2: icmp_seq=20 ttl=64 time=' "$TMP/out" "ping-like reply lines"
expect_grep '^rtt min/avg/max/mdev = ' "$TMP/out" "rtt summary"

"$USNET" ping --count 50 --loss 0.2 --quiet >"$TMP/loss" 2>&1
expect_grep '^50 packets transmitted, [0-9]+ received, [1-9][0-9]?% packet loss' "$TMP/loss" "--loss 0.2 shows loss yet completes"

"$USNET" ping --count 3 --size 8000 --nstat >"$TMP/frag" 2>&1 || fail "ping --size 8000 exits 0"
expect_grep '^3 packets transmitted, 3 received, 0% packet loss' "$TMP/frag" "--size 8000 crosses the MTU"
expect_grep '^8008 bytes from 10\.0\.0\.2' "$TMP/frag" "8000-byte echoes come back whole"
expect_grep '^IpFragCreates +18 ' "$TMP/frag" "18 fragments (6 per 8028-byte packet x 3) counted"
expect_grep '^IpReasmOKs +3 ' "$TMP/frag" "3 datagrams reassembled"
expect_grep '^IcmpInEchos +3 ' "$TMP/frag" "--nstat prints nstat-named counters"

"$USNET" ping --count 2 --to 10.0.0.99 >"$TMP/unreach" 2>&1 && fail "ping to nobody exits 1"
expect_grep '^From 10\.0\.0\.1 icmp_seq=1 Destination Host Unreachable' "$TMP/unreach" "ARP failure reported as host unreachable"

# Bad input: one line on stderr, exit status 2 (absl's own errors exit 1).
check_bad() {
  local want=$1; shift
  "$USNET" "$@" >"$TMP/bad.out" 2>"$TMP/bad.err"
  local rc=$?
  local lines
  lines=$(grep -c . "$TMP/bad.err")
  if [ "$rc" -ne 0 ] && [ "$lines" -eq 1 ] && grep -q -- "$want" "$TMP/bad.err"; then
    pass "usnet $* -> exit $rc: $(cat "$TMP/bad.err")"
  else
    fail "usnet $* -> exit $rc, stderr: $(cat "$TMP/bad.err")"
  fi
}
check_bad "count" ping --count 0
check_bad "loss" ping --loss 1.5
check_bad "size" ping --size 70000
check_bad "to" ping --to 10.0.0
check_bad "mtu" ping --mtu 20
check_bad "bogus" ping --bogus
check_bad "count" demo --count 3
check_bad "unknown command" frobnicate
check_bad "sysctl" ping --sysctl net.ipv4.ip_default_ttl=999
check_bad "sysctl" ping --sysctl net.nope=1
finish
