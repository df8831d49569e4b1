name wifiown
image @IMAGE@
entry /bin/sh /test/wifiown.sh wlan0 phy0
cores 1
cpu.max max 100000
memory.max 32M
pids.max 16
devices null
network device wlan0
persist none
