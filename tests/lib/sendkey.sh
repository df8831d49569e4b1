#!/usr/bin/env bash
# tests/lib/sendkey.sh: presses one key on a VM's keyboard through its QEMU
# monitor, a unix socket ("-monitor unix:SOCKET,server=on,wait=off"), as the
# person at bay0's console would. KEY is QEMU's sendkey name (shift-y, n, esc).
#
#   tests/lib/sendkey.sh SOCKET KEY
#
# Exit 1 with one line on stderr if the monitor could not be reached.
set -u
[ $# = 2 ] || {
	echo "usage: sendkey.sh SOCKET KEY" >&2
	exit 2
}
python3 - "$1" "$2" <<'PY' 2>/dev/null || {
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.settimeout(2)
time.sleep(0.2)
s.sendall(b"sendkey " + sys.argv[2].encode() + b"\n")
time.sleep(0.3)
s.close()
PY
	echo "sendkey: could not send $2 to the monitor at $1" >&2
	exit 1
}
