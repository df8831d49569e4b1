name spin
image @IMAGE@
entry /test/spinner 20 @SPIN_CORES@ 4
cores @SPIN_CORES@
cpu.max 20000 100000
memory.max 32M
pids.max 8
devices null zero urandom
network none
persist none
