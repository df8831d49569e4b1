name vault
image @IMAGE@
entry /bin/sh /etc/persona/vault.sh
cores 1
cpu.max 20000 100000
memory.max 32M
pids.max 8
devices null urandom
network none
persist rw
