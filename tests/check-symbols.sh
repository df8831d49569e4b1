#!/usr/bin/env bash
# The symbol boundary of verify/ (docs/verify.md), checked on its freestanding
# objects:
#  - every undefined symbol is our own (sv_*) or memcpy/memset/memmove/memcmp,
#    which the compiler may emit for struct copies and which every target has;
#  - every defined global symbol is ours (sv_*);
#  - nothing is writable static storage (no .data/.bss/common symbols at all),
#    which is what "no globals" means: tables are const and live in .rodata.
set -u
rc=0
for o in "$@"; do
	bad_u=$(nm -u "$o" | awk '{print $2}' | grep -Ev '^(sv_|memcpy$|memset$|memmove$|memcmp$)')
	bad_d=$(nm -g --defined-only "$o" | awk '{print $3}' | grep -Ev '^sv_')
	bad_w=$(nm "$o" | awk '$2 ~ /^[bBdDcCgGsS]$/ {print $3}')
	if [ -n "$bad_u$bad_d$bad_w" ]; then
		echo "FAIL: symbols of $o:" ${bad_u:+undefined: $bad_u} ${bad_d:+foreign global: $bad_d} \
			${bad_w:+writable: $bad_w}
		rc=1
	else
		echo "PASS: symbols of $o"
	fi
done
exit $rc
