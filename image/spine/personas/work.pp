name work
image @IMAGE@
entry /bin/sh /etc/persona/work.sh
cores @WORK_CORES@
cpu.max max 100000
memory.max 128M
pids.max 16
devices null zero urandom
network none
persist rw
