# The probe persona's entry: every escape probe from tests/persona/ (in
# /test/escape/, each printing "escape: <item>: ok|FAIL <detail>"), then the
# filesystem probes. It runs as PID 1 of the persona's PID namespace.
echo "pvm: probe-start"
for p in /test/escape/*; do
	[ -x "$p" ] || continue
	"$p" || echo "pvm: escape-run-$(basename "$p"): FAIL exited $?"
done
/test/fsprobe probe
echo "pvm: probe-done"
