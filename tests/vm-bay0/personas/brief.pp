name brief
image @IMAGE@
entry /bin/sleep 3600
cores 1
cpu.max max 100000
memory.max 16M
pids.max 4
lifetime 25
devices null
network none
persist none
