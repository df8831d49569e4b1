# tests/lib/fat-repair.sh, sourced: fat_repair DISK START SECTORS OUT TAG runs
# fsck.fat -a on the FAT file system of DISK's partition at sector START
# (SECTORS long), as an operator repairs an ESP from a live system after a
# power cut (docs/install.md, "A power cut during update"). It works on a
# copy of the partition's bytes and writes them back, so no loop device is
# needed. Prints one line saying whether the ESP was clean or what was
# repaired; returns 1 (after a FAIL line) when fsck.fat could not repair it.
fat_repair() {
	local disk=$1 start=$2 count=$3 out=$4 tag=$5 part=$4/esp.part r=2 fixed
	dd if="$disk" of="$part" bs=512 skip="$start" count="$count" status=none &&
		{ fsck.fat -a "$part" >"$out/fsck.log" 2>&1; r=$?; } &&
		dd if="$part" of="$disk" bs=512 seek="$start" conv=notrunc status=none
	rm -f "$part"
	case $r in
	0) echo "$tag: fsck.fat: the ESP was clean" ;;
	1) # What every cut leaves (the dirty flag, in the boot sector and
		# not in its backup) is not news; anything else is printed.
		fixed=$(grep -Ev '^(fsck.fat|There are differences|This is mostly|Differences|  [0-9]+:|  Not automatically|Dirty bit is set| Automatically removing dirty|\*\*\* Filesystem was changed|Writing changes|.*esp\.part: )' \
			"$out/fsck.log" | head -n 6 | tr '\n' ' ')
		if [ -z "$fixed" ]; then
			echo "$tag: fsck.fat: the ESP was clean but for the dirty flag a cut leaves"
		else
			echo "$tag: fsck.fat repaired the ESP: $fixed"
		fi
		;;
	*)
		echo "FAIL: $tag fsck.fat could not repair the ESP ($r): $(tail -n 2 "$out/fsck.log" | tr '\n' ' ')"
		return 1
		;;
	esac
}
