#!/usr/bin/env bash
# `usnet demo` runs to the end and shows each step.
. "$(dirname "$0")/lib.sh"
cd "$TMP"
"$USNET" demo >"$TMP/demo.txt" 2>&1 || fail "demo exits 0"
expect_grep '3 packets transmitted, 3 received, 0% packet loss' "$TMP/demo.txt" "ping step"
expect_grep 'got back "hello, usnet"' "$TMP/demo.txt" "UDP echo step"
expect_grep 'got 8000 bytes back, identical' "$TMP/demo.txt" "fragmentation step"
expect_grep '20 packets transmitted, [0-9]+ received, [1-9][0-9]?% packet loss' "$TMP/demo.txt" "loss step"
expect_grep 'errno ECONNREFUSED' "$TMP/demo.txt" "closed port step"
expect_grep 'Destination Host Unreachable' "$TMP/demo.txt" "unreachable host step"
expect_grep '^IpReasmOKs +1 ' "$TMP/demo.txt" "counters"
expect_grep 'NAPI: interrupts [0-9]+ polls' "$TMP/demo.txt" "NAPI statistics"
[ -s "$TMP/out/demo.pcap" ] && pass "demo.pcap written" || fail "demo.pcap missing"
finish
