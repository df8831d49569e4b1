name py
verity @IMAGE@
entry @ENTRY@
cores 1
memory.max 64M
pids.max 8
devices null urandom
network none
persist none
