#!/usr/bin/env bash
# Makes the DEVELOPMENT signify slot key pair in keys/dev/ if it is missing.
# These keys have no passphrase, live only on the build machine, are ignored
# by git, and say "DEVELOPMENT" in their file names and comments: nothing
# signed by them is fit for a real laptop. An owner's own keys come from
# keys/spine-keys (docs/keys.md); their rotation is not built yet
# (docs/boot.md, "Keys", has the steps by hand).
set -euo pipefail
dir=${1:-keys/dev}
name=spine-slot-DEVELOPMENT
mkdir -p "$dir"
chmod 700 "$dir"
if [ ! -s "$dir/$name.pub" ] || [ ! -s "$dir/$name.sec" ]; then
	rm -f "$dir/$name.pub" "$dir/$name.sec"
	signify-openbsd -G -n -c "DEVELOPMENT KEY, NOT FOR PRODUCTION: Alpine Spine slot" \
		-p "$dir/$name.pub" -s "$dir/$name.sec"
	echo "keys: made development slot key $dir/$name.pub"
fi
