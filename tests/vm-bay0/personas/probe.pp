name probe
image @IMAGE@
entry /test/fsprobe
cores 1
cpu.max max 100000
memory.max 64M
pids.max 16
devices null zero urandom
network none
persist rw
