#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Test 9: the server builds a reply in its request's own frame, and only
# when that frame is nobody else's. Without a packet tap most replies
# reuse their request's frame (the server's `reused` counter). With a tap
# on the client's interface (an AF_PACKET socket for every ethertype, as
# tcpdump opens, which holds a clone of each frame sent and received),
# data still verifies, and every frame the tap saw is intact: each one the
# client sent is a request from the client's MAC, each one it received a
# reply from the server's. A reply written into a frame a tap still holds
# would show up there as a "sent" frame with the server's MAC and a reply
# type.
# memx-timeout: 900

. "$(dirname "$0")/lib.sh"
memx_setup "$@"

reused() { awk '$1 == "reused" { print $2 }' $MEMX_SYS_SRV/objects; }

memx_start 128M 192M 1500
cmac=$(memx_mac "$MEMX_CIF") smac=$(memx_mac "$MEMX_SIF")

r0=$(reused)
memx_fio_verify /dev/memx0 32M || memx_fail "fio verify without a tap"
rn=$(($(reused) - r0))
# 8192 4k writes and as many verifying reads: one reply each at least
memx_log "no tap: $rn replies built in their request's frame"
[ "$rn" -ge 12000 ] || memx_fail "only $rn of about 16384 replies reused their request's frame"

cat >/tmp/memx_tap.py <<'EOF'
import signal, socket, struct, sys

ifname, cmac, smac, out = sys.argv[1:5]
cmac, smac = bytes.fromhex(cmac.replace(":", "")), bytes.fromhex(smac.replace(":", ""))
REQ, REPLY = {1, 3, 4, 5, 6, 7}, {2, 8, 9, 10}
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
s.bind((ifname, 0))
n = {"sent": 0, "received": 0, "bad": 0}
bad = []
stop = False


def done(*_):
    global stop
    stop = True


signal.signal(signal.SIGTERM, done)
s.settimeout(0.5)
open(out + ".ready", "w").close()
while not stop:
    try:
        f, addr = s.recvfrom(128)
    except socket.timeout:
        continue
    except InterruptedError:
        continue
    if len(f) < 16 or f[12:14] != b"\x88\xb5":
        continue
    src, typ = f[6:12], f[15]
    if addr[2] == socket.PACKET_OUTGOING:
        n["sent"] += 1
        ok = src == cmac and typ in REQ
    else:
        n["received"] += 1
        ok = src == smac and typ in REPLY
    if not ok:
        n["bad"] += 1
        if len(bad) < 5:
            bad.append("%s type %d from %s" % ("sent" if addr[2] == socket.PACKET_OUTGOING else "received", typ, src.hex(":")))
with open(out, "w") as o:
    o.write("sent %d received %d bad %d\n" % (n["sent"], n["received"], n["bad"]))
    for b in bad:
        o.write("bad: %s\n" % b)
EOF
rm -f /tmp/memx_tap.out /tmp/memx_tap.out.ready
python3 /tmp/memx_tap.py "$MEMX_CIF" "$cmac" "$smac" /tmp/memx_tap.out &
tap=$!
memx_defer "kill $tap 2>/dev/null"
for _ in $(seq 100); do
	[ -e /tmp/memx_tap.out.ready ] && break
	sleep 0.1
done
[ -e /tmp/memx_tap.out.ready ] || memx_fail "packet tap did not start"
memx_fio_verify /dev/memx0 16M --offset=32M || memx_fail "fio verify with a packet tap"
sleep 1
kill -TERM $tap
wait $tap || memx_fail "packet tap failed"
cat /tmp/memx_tap.out
read -r _ sent _ recvd _ bad < <(head -n1 /tmp/memx_tap.out)
[ "$bad" = 0 ] || memx_fail "the tap saw $bad frames rewritten under it"
# 4096 writes of 3 fragments and 4096 reads: most of them seen
if [ "$sent" -lt 4096 ] || [ "$recvd" -lt 4096 ]; then
	memx_fail "the tap saw only $sent frames sent and $recvd received"
fi
memx_log "tap: $sent frames sent and $recvd received, all intact; reused $(reused)"
memx_pass
