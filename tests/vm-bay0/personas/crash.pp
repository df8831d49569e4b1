name crash
image @IMAGE@
entry /test/xpeer crash
cores 1
cpu.max max 100000
memory.max 32M
pids.max 8
devices null
network none
persist none
