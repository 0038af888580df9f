#!/usr/bin/env python3
"""Writes the seed corpus of rx_fuzz (tests/fuzz/rx_fuzz.cc) to corpus/rx/.

Each seed is a list of records, op (1 byte) | len (2 bytes, big-endian) |
data, in the format rx_fuzz.cc's header describes. The seeds are valid
traffic, so the fuzzer starts from frames that reach ARP, ICMP, UDP, the
ping socket and reassembly rather than dying in the Ethernet or IP checks.

  tests/fuzz/make_rx_corpus.py            # rewrites tests/fuzz/corpus/rx/*.bin
"""
import os
import struct

A_MAC = bytes([2, 0, 0, 0, 0, 1])  # MacAddr::Local(1): host a, 10.0.0.1
B_MAC = bytes([2, 0, 0, 0, 0, 2])  # MacAddr::Local(2): host b, 10.0.0.2
BCAST = b"\xff" * 6
A_IP, B_IP = bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])
TUN_PEER, TUN_IP = bytes([10, 0, 1, 1]), bytes([10, 0, 1, 2])
PING_IDENT = 0x1234

# Record kinds (op bits 0-2) and flags.
ETH, L2, IP, TUN, ARP, UDPTX, PINGTX, CTRL = range(8)
FIX_ADDRS, FIX_HDR, FIX_L4 = 0x08, 0x10, 0x20
RUN_NOW, RUN_1MS, RUN_1S = 0x40, 0x80, 0xC0


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ipv4(src, dst, proto, payload, ident=1, frag=0, ttl=64):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, frag, ttl, proto, 0,
                    src, dst)
    return h[:10] + struct.pack("!H", csum(h)) + h[12:] + payload


def udp(src, dst, sport, dport, data):
    n = 8 + len(data)
    pseudo = src + dst + struct.pack("!BBH", 0, 17, n)
    c = csum(pseudo + struct.pack("!HHHH", sport, dport, n, 0) + data) or 0xFFFF
    return struct.pack("!HHHH", sport, dport, n, c) + data


def icmp(typ, code, rest, data):
    h = struct.pack("!BBHI", typ, code, 0, rest) + data
    return h[:2] + struct.pack("!H", csum(h)) + h[4:]


def eth(dst, ethertype, payload, src=A_MAC):
    return dst + src + struct.pack("!H", ethertype) + payload


def arp(op, smac, sip, tmac, tip):
    return struct.pack("!HHBBH", 1, 0x0800, 6, 4, op) + smac + sip + tmac + tip


def rec(op, data=b""):
    return struct.pack("!BH", op, len(data)) + data


def ctrl(byte):
    return rec(CTRL, bytes([byte]))


def oversized_datagram(proto):
    """Two fragments through tun0 that reassemble to 60 + 65476 bytes."""
    pad = 0x7F * 256
    tail = b"t" * 444
    if proto == 1:  # an echo request, its checksum over the whole payload
        hdr = struct.pack("!BBHI", 8, 0, 0, 0x00010001)
        c = csum(hdr + bytes(pad) + tail + bytes(pad))
        l4 = struct.pack("!BBHI", 8, 0, c, 0x00010001)
    else:  # a UDP header without checksum
        l4 = struct.pack("!HHHH", 1000, 7, 65475, 0)
    frag1 = (b"\x4f" + bytes(3) + struct.pack("!HHBB", 300, 0x2000, 64, proto) + bytes(10) +
             b"\x01" * 40 + l4)
    frag2 = (b"\x45" + bytes(3) + struct.pack("!HHBB", 300, (8 + pad) // 8, 64, proto) +
             bytes(10) + tail)
    return (rec(CTRL, bytes([0, 0x7F])) + rec(TUN | FIX_ADDRS | FIX_HDR, frag1) +
            rec(TUN | FIX_ADDRS | FIX_HDR | RUN_NOW, frag2))


def seeds():
    s = {}
    # Who has 10.0.0.2? -> b answers and learns a (STALE).
    s["arp_request"] = rec(ETH | RUN_NOW, eth(BCAST, 0x0806, arp(1, A_MAC, A_IP, b"\0" * 6, B_IP)))
    # An unsolicited reply for an entry b does not have, then one it does.
    s["arp_reply"] = (rec(ETH | RUN_NOW, eth(B_MAC, 0x0806, arp(2, A_MAC, A_IP, B_MAC, B_IP))) +
                      rec(ARP | 0x08 | 0x10 | 0x20 | RUN_NOW,
                          struct.pack("!H", 2) + A_MAC + bytes([10, 0, 0, 3]) + B_MAC + B_IP))
    # ping 10.0.0.2 from a: b replies (resolving a by ARP first).
    s["icmp_echo"] = rec(ETH | RUN_1S, eth(B_MAC, 0x0800, ipv4(
        A_IP, B_IP, 1, icmp(8, 0, 0x00420001, b"abcdefgh" * 4))))
    # An echo reply for b's ping socket (ident 0x1234).
    s["icmp_echo_reply"] = rec(ETH | RUN_NOW, eth(B_MAC, 0x0800, ipv4(
        A_IP, B_IP, 1, icmp(0, 0, (PING_IDENT << 16) | 7, b"pong"))))
    # Port unreachable quoting a datagram b's connected socket sent.
    quoted = ipv4(B_IP, A_IP, 17, udp(B_IP, A_IP, 5000, 9, b"q"))
    s["icmp_port_unreach"] = rec(ETH | RUN_NOW, eth(B_MAC, 0x0800, ipv4(
        A_IP, B_IP, 1, icmp(3, 3, 0, quoted))))
    # A datagram for the socket on port 7, and one for a closed port.
    s["udp_datagram"] = (
        rec(ETH | RUN_NOW, eth(B_MAC, 0x0800, ipv4(A_IP, B_IP, 17, udp(A_IP, B_IP, 1000, 7, b"hello")))) +
        rec(ETH | RUN_NOW, eth(B_MAC, 0x0800, ipv4(A_IP, B_IP, 17, udp(A_IP, B_IP, 1000, 99, b"x")))))
    # Four datagrams for port 7 without a read in between: the receive
    # buffer (SO_RCVBUF at its minimum) takes two.
    s["udp_rcvbuf_full"] = b"".join(
        rec(ETH, eth(B_MAC, 0x0800, ipv4(A_IP, B_IP, 17, udp(A_IP, B_IP, 1000 + i, 7, b"fill"), ident=i)))
        for i in range(4)) + ctrl(1)
    # A subnet broadcast datagram.
    s["udp_broadcast"] = rec(ETH | RUN_NOW, eth(BCAST, 0x0800, ipv4(
        A_IP, bytes([10, 0, 0, 255]), 17, udp(A_IP, bytes([10, 0, 0, 255]), 1000, 7, b"all"))))
    # One UDP datagram in two fragments: 16 bytes (MF), then the rest.
    dgram = udp(A_IP, B_IP, 1000, 7, b"fragmented payload, 34 bytes long!")
    s["ip_fragments"] = (
        rec(ETH, eth(B_MAC, 0x0800, ipv4(A_IP, B_IP, 17, dgram[:16], ident=77, frag=0x2000))) +
        rec(ETH | RUN_NOW, eth(B_MAC, 0x0800, ipv4(A_IP, B_IP, 17, dgram[16:], ident=77, frag=2))))
    # The first fragment alone: reassembly times out (ICMP time exceeded).
    s["frag_timeout"] = (
        rec(ETH | RUN_NOW, eth(B_MAC, 0x0800, ipv4(A_IP, B_IP, 17, dgram[:16], ident=78, frag=0x2000))) +
        ctrl(5))
    # Through the TUN device: an echo request and a datagram.
    s["tun_echo"] = rec(TUN | RUN_NOW, ipv4(TUN_PEER, TUN_IP, 1, icmp(8, 0, 0x00010001, b"tun!")))
    s["tun_udp"] = rec(TUN | RUN_NOW, ipv4(TUN_PEER, TUN_IP, 17, udp(TUN_PEER, TUN_IP, 53, 9, b"dns?")))
    # Auto-fixed packets: garbage checksums and lengths made valid by the harness.
    s["fixup_udp"] = rec(IP | FIX_ADDRS | FIX_HDR | FIX_L4 | RUN_NOW,
                         bytes(9) + b"\x11" + bytes(10) +
                         struct.pack("!HHHH", 4000, 7, 0, 0) + b"fixed up")
    s["fixup_tun_icmp"] = rec(TUN | FIX_ADDRS | FIX_HDR | FIX_L4 | RUN_NOW,
                              b"\x45" + bytes(8) + b"\x01" + bytes(10) + b"\x08\x00\0\0\0\1\0\1data")
    # b sends: UDP to a (port 9: unreachable), a big fragmented datagram,
    # a ping; then time passes and the sockets are drained.
    s["local_tx"] = (rec(UDPTX | RUN_1MS, bytes([0, 0, 9, 0, 10])) +
                     rec(UDPTX | RUN_1MS, bytes([0, 0, 9, 0x0b, 0xb8])) +
                     rec(PINGTX | RUN_1MS, bytes([0, 0, 32])) +
                     rec(UDPTX | RUN_1MS, bytes([5, 0, 7, 0, 10])) +  # 10.0.0.5: ARP fails
                     rec(UDPTX, bytes([5, 0, 7, 5, 0])) * 4 +  # ... and its queue overflows
                     ctrl(4 | 0x08))
    # The largest datagram reassembly may build (65535 bytes, a 60-byte
    # header with options), from two fragments through tun0: CTRL sets a pad
    # of 0x7f * 256 zero bytes that the harness appends to each packet.
    pad = 0x7F * 256
    frag1 = (b"\x4f" + bytes(3) + struct.pack("!HHBB", 300, 0x2000, 64, 17) + bytes(10) +
             b"\x01" * 40 + struct.pack("!HHHH", 1000, 7, 65475, 0))
    off2 = (8 + pad) // 8
    frag2 = b"\x45" + bytes(3) + struct.pack("!HHBB", 300, off2, 64, 17) + bytes(10) + b"t" * 443
    s["tun_max_datagram"] = (rec(CTRL, bytes([0, 0x7F])) +
                             rec(TUN | FIX_ADDRS | FIX_HDR, frag1) +
                             rec(TUN | FIX_ADDRS | FIX_HDR | RUN_NOW, frag2))
    # Regression (found with this harness): the same datagram one byte
    # longer. Each fragment fits 64 KiB with its own header, but the head's
    # 60-byte header + 65476 bytes do not; reassembly must refuse it (Linux
    # ip_frag_reasm: out_oversize). As ICMP it hit a CHECK in icmp_rcv; as
    # UDP it was delivered with a corrupt header.
    s["crash-reasm-oversize-hlen-icmp"] = oversized_datagram(1)
    s["reasm-oversize-hlen-udp"] = oversized_datagram(17)
    # eth0 down and up again around a frame.
    s["link_flap"] = (ctrl(0x10) +
                      rec(ETH | RUN_NOW, eth(B_MAC, 0x0800, ipv4(A_IP, B_IP, 17, udp(A_IP, B_IP, 1, 7, b"")))) +
                      ctrl(0x10))
    return s


def main():
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "rx")
    os.makedirs(out, exist_ok=True)
    for name, data in sorted(seeds().items()):
        with open(os.path.join(out, name + ".bin"), "wb") as f:
            f.write(data)
        print("%-34s %5d bytes" % (name, len(data)))


if __name__ == "__main__":
    main()
