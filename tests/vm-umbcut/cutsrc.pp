name cutsrc
image @IMAGE@
entry /test/umbpeer cut-offer
cores 1
cpu.max max 100000
memory.max 32M
pids.max 8
devices null zero urandom
network none
persist rw
umbilical offer
