name vdata
verity @IMAGE@
entry /bin/sh /test/verity.sh
cores 1
memory.max 32M
pids.max 8
lifetime 90
devices null
network none
persist none
