# The entry of the verity test personas (tests/vm-bay0/verity-checks.sh
# grades what they print). Reads the whole blob through dm-verity: its
# SHA-256 if every block verified, else "eio" and a wait for bay0, which
# purges a persona whose image is corrupt at its next watchdog tick.
if sum=$(sha256sum /test/blob 2>&1); then
	echo "verity: read $PERSONA ${sum%% *}"
else
	echo "verity: eio $PERSONA: $sum"
	exec sleep 60
fi
