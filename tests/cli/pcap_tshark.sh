#!/usr/bin/env bash
# A capture written by `usnet ping --pcap` reads cleanly in tshark: every
# frame decodes, no malformed packet, no bad checksum (with checksum
# validation turned on), and the expected conversation is there.
. "$(dirname "$0")/lib.sh"
command -v tshark >/dev/null || skip "tshark not installed (apt-get install tshark)"

"$USNET" ping --count 5 --size 3000 --pcap "$TMP/p.pcap" --quiet >/dev/null || fail "ping with --pcap"
TS="tshark -r $TMP/p.pcap -o ip.check_checksum:TRUE -o udp.check_checksum:TRUE -o tcp.check_checksum:TRUE"
$TS >"$TMP/all" 2>"$TMP/err" || fail "tshark reads the file ($(cat "$TMP/err"))"
n=$(wc -l <"$TMP/all")
# 2 ARP + 5 x (3 request fragments + 3 reply fragments) = 32 frames
[ "$n" -eq 32 ] && pass "32 frames decoded" || fail "expected 32 frames, tshark shows $n"
$TS -Y "_ws.malformed || _ws.expert.severity >= warning" >"$TMP/bad" 2>/dev/null
[ -s "$TMP/bad" ] && { fail "malformed or bad-checksum frames:"; cat "$TMP/bad"; } || pass "no malformed frame, no bad checksum"
expect_grep 'Echo \(ping\) reply .*seq=5' "$TMP/all" "reassembled echo replies decode"

# The same filter does catch damage: corrupt frames on purpose.
"$USNET" ping --count 10 --size 100 --corrupt 0.5 --pcap "$TMP/c.pcap" --quiet >/dev/null
$TS -r "$TMP/c.pcap" -Y "_ws.malformed || _ws.expert.severity >= warning" 2>/dev/null | grep -q . \
  && pass "the check can fail: corrupted frames are flagged" || fail "corrupted capture was not flagged"
finish
