name netown
image @IMAGE@
entry /bin/sh /test/netown.sh eth0
cores 1
cpu.max max 100000
memory.max 32M
pids.max 16
devices null
network device eth0
persist none
