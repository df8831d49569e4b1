name bomb
image @IMAGE@
entry /test/forkbomb 32 12
cores 1
cpu.max max 100000
memory.max 64M
pids.max 32
devices null zero urandom
network none
persist none
