#!/usr/bin/env bash
# ovmf/run.sh: boots one VM (QEMU q35 + OVMF, optionally swtpm) and reports how
# it ended. docs/harness.md has the whole story; in short:
#
#   ovmf/run.sh --esp IMG [options] [-- extra qemu arguments]
#   ovmf/run.sh --kernel VMLINUZ --initrd IMG --append CMDLINE [options]
#
#   --esp IMG        the ESP (a bare FAT image, image/mkesp.sh), read-only
#   --esp-rw IMG     the same, read-write, as a laptop's ESP is (for tests
#                    that change the ESP from inside the VM and cut power)
#   --kernel, --initrd, --append
#                    boot a kernel directly (OVMF starts its EFI stub from
#                    fw_cfg); no ESP, no loader
#   --vars FILE      the OVMF variable store to use and keep; made from
#                    OVMF_VARS_4M.fd when FILE does not exist. Default: a
#                    fresh copy, thrown away at the end
#   --log FILE       serial log, each line prefixed "[seconds.millis] " from
#                    QEMU's start (default build/ovmf/last.log)
#   --timeout S      hard limit on the whole run (default 120)
#   --max-boots N    stop at the Nth boot's reset, i.e. allow N boots
#                    (default 6); the first boot counts as one
#   --until ERE      stop the VM as soon as a serial line matches
#   --cad-on ERE     press ctrl-alt-del (QEMU monitor sendkey) once, at the
#                    first serial line that matches: the guest's init decides
#                    what happens next (bay0: orderly shutdown, then reboot).
#                    Given more than once: once every ERE has matched a line
#   --cut-on ERE     a power cut: at the first serial line that matches (and
#                    --cut-after S seconds later, decimals allowed; default 0)
#                    QEMU is killed with SIGKILL: no flush, no shutdown, the
#                    guest's unwritten page cache gone, as when the power
#                    fails. Ends the run with end=cut
#   --tpm            a TPM 2.0 (swtpm, tpm-tis); --tpm-crb: behind tpm-crb
#   --tpm-state DIR  swtpm's state folder, kept by the caller (made when
#                    absent), so that one TPM, its persistent objects and
#                    NV, lives on across runs. Default: a fresh folder,
#                    thrown away at the end
#   --watchdog       an i6300esb watchdog (its action: reset)
#   --persist IMG    a second virtio disk, read-write (/persist)
#   --inventory IMG  another virtio disk, read-write as a laptop's disk is
#                    (bay0 makes its inventory partition read-only itself)
#   --disk IMG       a whole disk (GPT), read-write, virtio, without a
#                    bootindex: the firmware boots it as a laptop's internal
#                    disk, through the store's Boot#### entries and BootOrder
#                    (or \EFI\BOOT\BOOTX64.EFI); usable with --kernel too
#   --live           also print the serial lines on stdout as they come
#   --seabios        SeaBIOS instead of OVMF, with --kernel only: QEMU loads
#                    the kernel and initrd itself (no UEFI, no loader, no
#                    variable store), a few seconds sooner. Only for tests
#                    where neither the firmware nor the loader is what is
#                    tested (docs/harness.md); boots are counted from
#                    SeaBIOS's debug console instead of the flash's resets
#   --secboot        OVMF_CODE_4M.secboot.fd (Secure Boot, variables in SMM);
#                    with a fresh store it starts in setup mode
#
# The last line on stdout is "ovmf: end=<how> boots=<n> seconds=<s>" and the
# exit status says the same:
#   0 poweroff   the guest powered the machine off
#   2 resets     the guest kept resetting: --max-boots reached
#   3 matched    a line matched --until; the harness stopped the VM
#   4 cut        a line matched --cut-on; the harness killed QEMU (SIGKILL)
#   5 crash      the firmware printed a CPU exception (OVMF then hangs for
#                ever); the harness stopped the VM at once
#   124 timeout  --timeout reached; the harness stopped the VM
#   1            harness or QEMU error (see the messages above)
#
# Resets do not end QEMU (no -no-reboot): the VM restarts with its RAM gone,
# its variable store and TPM kept, as a laptop does. Boots are counted from
# QEMU's trace of the pflash reset, which happens once at power-on and once
# per reset.
set -euo pipefail

ovmf_dir=${OVMF_DIR:-/usr/share/OVMF}
code=$ovmf_dir/OVMF_CODE_4M.fd
vars_template=$ovmf_dir/OVMF_VARS_4M.fd

esp='' esp_ro=on kernel='' initrd='' append='' vars='' tpm_state='' log=build/ovmf/last.log
disk='' timeout=120 max_boots=6 until='' cut_on='' cut_after=0 cad_on=() tpm='' watchdog=0 persist='' inventory='' live=0 secboot=0 seabios=0
extra=()

die() {
	echo "ovmf: $*" >&2
	exit 1
}

while [ $# -gt 0 ]; do
	case $1 in
	--esp) esp=$2 && shift ;;
	--esp-rw) esp=$2 esp_ro=off && shift ;;
	--kernel) kernel=$2 && shift ;;
	--initrd) initrd=$2 && shift ;;
	--append) append=$2 && shift ;;
	--vars) vars=$2 && shift ;;
	--log) log=$2 && shift ;;
	--timeout) timeout=$2 && shift ;;
	--max-boots) max_boots=$2 && shift ;;
	--until) until=$2 && shift ;;
	--cut-on) cut_on=$2 && shift ;;
	--cut-after) cut_after=$2 && shift ;;
	--cad-on) cad_on+=("$2") && shift ;;
	--tpm) tpm='tpm-tis' ;;
	--tpm-crb) tpm='tpm-crb' ;;
	--tpm-state) tpm_state=$2 && shift ;;
	--watchdog) watchdog=1 ;;
	--persist) persist=$2 && shift ;;
	--inventory) inventory=$2 && shift ;;
	--disk) disk=$2 && shift ;;
	--live) live=1 ;;
	--seabios) seabios=1 ;;
	--secboot)
		secboot=1
		code=$ovmf_dir/OVMF_CODE_4M.secboot.fd
		;;
	--)
		shift
		extra=("$@")
		break
		;;
	*) die "unknown option $1 (see the head of $0)" ;;
	esac
	shift
done
[ -n "$esp" ] || [ -n "$kernel" ] || [ -n "$disk" ] || die "need --esp, --kernel or --disk"
[ -z "$disk" ] || [ -f "$disk" ] || die "no disk image $disk"
[ -z "$esp" ] || [ -f "$esp" ] || die "no ESP image $esp"
[ -z "$kernel" ] || [ -f "$kernel" ] || die "no kernel $kernel"
[ -z "$initrd" ] || [ -f "$initrd" ] || die "no initrd $initrd"
[ -z "$persist" ] || [ -f "$persist" ] || die "no persist image $persist"
[ -z "$inventory" ] || [ -f "$inventory" ] || die "no inventory image $inventory"
[ -z "$tpm_state" ] || [ -n "$tpm" ] || die "--tpm-state needs --tpm or --tpm-crb"
[ -z "$tpm_state" ] || [ ! -e "$tpm_state" ] || [ -d "$tpm_state" ] ||
	die "--tpm-state $tpm_state is not a folder"
[[ $timeout =~ ^[1-9][0-9]*$ ]] || die "--timeout wants whole seconds"
[[ $max_boots =~ ^[1-9][0-9]*$ ]] || die "--max-boots wants a count"
[[ $cut_after =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "--cut-after wants seconds (0, 1.25, ...)"
if [ "$seabios" = 1 ]; then
	[ -n "$kernel" ] && [ -z "$esp" ] && [ "$secboot" = 0 ] && [ -z "$vars" ] ||
		die "--seabios boots --kernel only (no --esp, --secboot or --vars)"
else
	[ -f "$code" ] && [ -f "$vars_template" ] || die "no OVMF in $ovmf_dir (apt-get install ovmf)"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/ovmf.XXXXXX")
qpid='' spid='' rpid=''
cleanup() {
	# Only the processes this run started, by their ids.
	[ -z "$qpid" ] || kill "$qpid" 2>/dev/null || true
	[ -z "$spid" ] || kill "$spid" 2>/dev/null || true
	[ -z "$rpid" ] || wait "$rpid" 2>/dev/null || true
	[ -z "$spid" ] || wait "$spid" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

if [ -z "$vars" ]; then
	vars=$work/vars.fd
fi
if [ "$seabios" = 0 ] && [ ! -f "$vars" ]; then
	mkdir -p "$(dirname "$vars")"
	cp "$vars_template" "$vars"
fi
mkdir -p "$(dirname "$log")"
: >"$log"

args=(
	-machine q35,smm=on -m 512 -smp 1 -nic none
	-display none -monitor none -serial stdio
	-D "$work/trace"
)
# A boot is counted at each reset of the flash (OVMF); SeaBIOS has no
# flash: there, at each "Booting from ROM" (the kernel QEMU loaded) on
# SeaBIOS's debug console (count_boots).
if [ "$seabios" = 1 ]; then
	args+=(-chardev "file,id=seabios,path=$work/seabios.log"
		-device isa-debugcon,iobase=0x402,chardev=seabios)
else
	args+=(-drive "if=pflash,format=raw,unit=0,readonly=on,file=$code"
		-drive "if=pflash,format=raw,unit=1,file=$vars" -trace pflash_reset)
fi
# The Secure Boot build runs its variable services in SMM and needs the
# flash to accept writes from SMM only; the plain build writes the flash from
# normal mode, and with secure=on those writes would be refused (OVMF then
# silently keeps variables in RAM, and they vanish at the next reset).
[ "$secboot" = 0 ] || args+=(-global driver=cfi.pflash01,property=secure,value=on)
if [ -n "$esp" ]; then
	args+=(-drive "if=none,id=esp,format=raw,readonly=$esp_ro,file=$esp"
		-device virtio-blk-pci,drive=esp,bootindex=1)
fi
if [ -n "$kernel" ]; then
	args+=(-kernel "$kernel")
	[ -z "$initrd" ] || args+=(-initrd "$initrd")
	[ -z "$append" ] || args+=(-append "$append")
fi
if [ -n "$persist" ]; then
	args+=(-drive "if=none,id=persist,format=raw,file=$persist"
		-device virtio-blk-pci,drive=persist,serial=persist)
fi
if [ -n "$inventory" ]; then
	args+=(-drive "if=none,id=inventory,format=raw,file=$inventory"
		-device virtio-blk-pci,drive=inventory,serial=inventory)
fi
if [ -n "$disk" ]; then
	args+=(-drive "if=none,id=disk,format=raw,file=$disk" -device virtio-blk-pci,drive=disk)
fi
[ "$watchdog" = 0 ] || args+=(-device i6300esb -action watchdog=reset)
# The monitor on a pair of FIFOs (QEMU's pipe chardev: <path>.in, <path>.out),
# so that the reader can press keys without a socket client.
if [ ${#cad_on[@]} -gt 0 ]; then
	mkfifo "$work/mon.in" "$work/mon.out"
	args+=(-chardev "pipe,id=mon,path=$work/mon" -mon chardev=mon,mode=readline)
fi

if [ -n "$tpm" ]; then
	[ -n "$tpm_state" ] || tpm_state=$work/tpm
	mkdir -p "$tpm_state"
	swtpm socket --tpm2 --tpmstate "dir=$tpm_state" \
		--ctrl "type=unixio,path=$work/swtpm.sock" \
		--log "file=$work/swtpm.log,level=1" &
	spid=$!
	for _ in $(seq 50); do
		[ -S "$work/swtpm.sock" ] && break
		sleep 0.1
	done
	[ -S "$work/swtpm.sock" ] || die "swtpm did not come up: $(cat "$work/swtpm.log" 2>/dev/null)"
	args+=(-chardev "socket,id=chrtpm,path=$work/swtpm.sock"
		-tpmdev emulator,id=tpm0,chardev=chrtpm -device "$tpm,tpmdev=tpm0")
fi

# Boots so far: the flash's resets in the trace (one at power-on, one at
# each reset); under SeaBIOS, the kernels it started (its debug console).
count_boots() {
	if [ "$seabios" = 1 ]; then
		grep -c '^Booting from ROM' "$work/seabios.log" 2>/dev/null || true
	else
		grep -c 'system.flash0: reset' "$work/trace" 2>/dev/null || true
	fi
}

# us since the epoch, from bash's clock ("1700000000.123456")
now_us() {
	local t=$EPOCHREALTIME
	echo $((10#${t/./}))
}

# The serial reader: stamps each line, stores it, echoes it with --live, and
# stops the VM at the first --until match.
mkfifo "$work/serial"
# cad_seen LINE: true once every --cad-on ERE has matched this or an earlier
# line (the reader's own subshell keeps cad_hit).
cad_hit=()
cad_seen() {
	local plain=$1 i all=1
	for i in "${!cad_on[@]}"; do
		[ -n "${cad_hit[i]:-}" ] || ! [[ $plain =~ ${cad_on[i]} ]] || cad_hit[i]=1
		[ -n "${cad_hit[i]:-}" ] || all=
	done
	[ -n "$all" ]
}
# A plain line costs no fork: a guest prints thousands of lines, and two
# processes per line (a clock and a sed) cost about 12 ms of CPU each here.
reader() {
	local line plain us stamped t
	while IFS= read -r line || [ -n "$line" ]; do
		line=${line//$'\r'/}
		t=$EPOCHREALTIME
		us=$((10#${t/./} - start_us))
		# Match without the firmware's ANSI screen sequences, which can
		# share a line with the first thing the loader prints.
		# Only a line with an ESC in it costs a sed (a bash pattern with
		# *(...) is quadratic on a long line).
		plain=$line
		[[ $line != *$'\e'* ]] || plain=$(sed -E 's/\x1b\[[0-9;=?]*[A-Za-z]//g' <<<"$line")
		printf -v stamped '[%4d.%03d] %s' $((us / 1000000)) $((us % 1000000 / 1000)) "$line"
		printf '%s\n' "$stamped" >>"$log"
		[ "$live" = 0 ] || printf '%s\n' "$stamped"
		# OVMF's exception handler prints this banner, then dead-loops:
		# nothing more will happen in this VM.
		if [[ $line == *'!!!! X64 Exception Type'* ]] && [ ! -e "$work/crashed" ]; then
			: >"$work/crashed"
			kill "$qpid" 2>/dev/null || true
		fi
		if [ ${#cad_on[@]} -gt 0 ] && [ ! -e "$work/cad" ] && cad_seen "$plain"; then
			: >"$work/cad"
			printf 'sendkey ctrl-alt-delete\n' >"$work/mon.in"
			printf '[%4d.%03d] ovmf: ctrl-alt-del pressed\n' $((us / 1000000)) $((us % 1000000 / 1000)) |
				tee -a "$log" | { [ "$live" = 0 ] && cat >/dev/null || cat; }
		fi
		if [ -n "$cut_on" ] && [ ! -e "$work/cut-armed" ] &&
			[[ $plain =~ $cut_on ]]; then
			: >"$work/cut-armed"
			# In the background, so that lines keep being logged
			# until the very moment of the cut.
			(
				sleep "$cut_after"
				# Not if the run has ended meanwhile (its QEMU gone).
				[ -d "$work" ] && : >"$work/cut" 2>/dev/null || exit 0
				kill -KILL "$qpid" 2>/dev/null || true
				us=$(($(now_us) - start_us))
				printf '[%4d.%03d] ovmf: power cut (SIGKILL), %s s after the line\n' \
					$((us / 1000000)) $((us % 1000000 / 1000)) "$cut_after" >>"$log"
			) &
		fi
		if [ -n "$until" ] && [ ! -e "$work/matched" ] &&
			[[ $plain =~ $until ]]; then
			: >"$work/matched"
			kill "$qpid" 2>/dev/null || true
		fi
	done
}

start_us=$(now_us)
qemu-system-x86_64 "${args[@]}" "${extra[@]}" </dev/null >"$work/serial" 2>"$work/qemu.err" &
qpid=$!
reader <"$work/serial" &
rpid=$!
# Drain the monitor's replies so that QEMU never blocks on a full pipe.
[ ${#cad_on[@]} -eq 0 ] || { cat "$work/mon.out" >/dev/null 2>&1 & }

end=
boots=1
while kill -0 "$qpid" 2>/dev/null; do
	sleep 0.2
	[ -e "$work/matched" ] || [ -e "$work/crashed" ] || [ -e "$work/cut" ] && break
	boots=$(count_boots)
	[ "${boots:-0}" -ge 1 ] || boots=1
	if [ "$boots" -gt "$max_boots" ]; then
		end=resets
		break
	fi
	if [ $(($(now_us) - start_us)) -ge $((timeout * 1000000)) ]; then
		end=timeout
		break
	fi
done
[ -z "$end" ] || kill "$qpid" 2>/dev/null || true
qrc=0
wait "$qpid" || qrc=$?
qpid=
wait "$rpid" || true
rpid=
boots=$(count_boots)
[ "${boots:-0}" -ge 1 ] || boots=1
[ "$end" != resets ] || boots=$max_boots
if [ -e "$work/cut" ]; then
	end=cut
elif [ -e "$work/matched" ]; then
	end=matched
elif [ -e "$work/crashed" ]; then
	end=crash
elif [ -z "$end" ]; then
	if [ "$qrc" = 0 ]; then
		end=poweroff
	else
		end=error
		sed 's/^/ovmf: qemu: /' "$work/qemu.err" >&2
	fi
fi
us=$(($(now_us) - start_us))
printf 'ovmf: end=%s boots=%s seconds=%d.%01d\n' "$end" "$boots" $((us / 1000000)) $((us % 1000000 / 100000)) |
	tee -a "$log"
case $end in
poweroff) exit 0 ;;
resets) exit 2 ;;
matched) exit 3 ;;
cut) exit 4 ;;
crash) exit 5 ;;
timeout) exit 124 ;;
*) exit 1 ;;
esac
