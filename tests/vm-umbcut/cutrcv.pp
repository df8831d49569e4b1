name cutrcv
image @IMAGE@
entry /test/umbpeer cut-pull
cores 1
cpu.max max 100000
memory.max 32M
pids.max 8
devices null zero urandom
network none
persist rw
umbilical pull
