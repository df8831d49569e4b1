#!/usr/bin/env bash
# Makes the DEVELOPMENT signify slot key pair and persona key pair in keys/dev/
# if they are missing (the slot key signs Spines, the persona key passports).
# These keys have no passphrase, live only on the build machine, are ignored
# by git, and say "DEVELOPMENT" in their file names and comments: nothing
# signed by them is fit for a real laptop. An owner's own keys come from
# keys/spine-keys (docs/keys.md); their rotation is not built yet
# (docs/boot.md, "Keys", has the steps by hand).
set -euo pipefail
dir=${1:-keys/dev}
mkdir -p "$dir"
chmod 700 "$dir"
for what in slot persona; do
	name=spine-$what-DEVELOPMENT
	if [ ! -s "$dir/$name.pub" ] || [ ! -s "$dir/$name.sec" ]; then
		rm -f "$dir/$name.pub" "$dir/$name.sec"
		signify-openbsd -G -n -c "DEVELOPMENT KEY, NOT FOR PRODUCTION: Alpine Spine $what" \
			-p "$dir/$name.pub" -s "$dir/$name.sec"
		echo "keys: made development $what key $dir/$name.pub"
	fi
done
