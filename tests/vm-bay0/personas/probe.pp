name probe
image @IMAGE@
entry /bin/sh /test/probe.sh
cores 1
cpu.max max 100000
memory.max 64M
pids.max 64
devices null zero urandom
network none
persist rw
