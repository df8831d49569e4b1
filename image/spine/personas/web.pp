name web
image @IMAGE@
entry /bin/sh /etc/persona/web.sh
cores 2-3
cpu.max 50000 100000
memory.max 64M
pids.max 32
devices null zero urandom
network none
persist none
