name escape
image @IMAGE@
entry /test/persona-probe --dev null,zero,urandom --persist rw --abstract pvm-xa
cores 1
cpu.max max 100000
memory.max 64M
pids.max 16
devices null zero urandom
network none
persist rw
