#!/usr/bin/env bash
# Boots one test guest built by build.sh under QEMU, in the foreground (stop it with SIGTERM or QMP
# "quit"). The channel is the guest's second serial port (/dev/ttyS1); with the default pty, QMP
# query-chardev names its host end (label pv0), and QEMU prints "char device redirected to
# /dev/pts/N (label pv0)" on stdout (mixed with the console when that is stdio). See docs/guest.md.
set -euo pipefail

usage() {
  cat <<'EOF'
usage: boot.sh --image DIR [--vm ID] [--load MODES] [--name NAME] [--accel auto|kvm|tcg] [--kernel auto|vmlinuz|vmlinux]
               [--channel pty|unix:PATH|file:PATH] [--console stdio|file:PATH] [--qmp PATH]
               [--disk PATH] [--mem MB] [--smp N] [--interval-ms N] [--cycle-us N] [--duty PERCENT]
               [--append "EXTRA KERNEL ARGS"] [--dry-run]
MODES: comma-separated cpu, ram, cache, storage, ethernet, bus, garbage, idle, none
EOF
}
die() { echo "boot.sh: $*" >&2; exit 2; }

image= vm=1 load=none name= accel=auto kernel=auto channel=pty console=stdio qmp= disk= mem=256 smp=2
interval= cycle= duty= extra= dry=
while (($#)); do
  opt=$1
  case $opt in
    --dry-run) dry=1; shift; continue ;;
    -h|--help) usage; exit 0 ;;
  esac
  (($# >= 2)) || die "option $opt needs a value"
  case $opt in
    --image) image=$2 ;;
    --vm) vm=$2 ;;
    --load) load=$2 ;;
    --name) name=$2 ;;
    --accel) accel=$2 ;;
    --kernel) kernel=$2 ;;
    --channel) channel=$2 ;;
    --console) console=$2 ;;
    --qmp) qmp=$2 ;;
    --disk) disk=$2 ;;
    --mem) mem=$2 ;;
    --smp) smp=$2 ;;
    --interval-ms) interval=$2 ;;
    --cycle-us) cycle=$2 ;;
    --duty) duty=$2 ;;
    --append) extra=$2 ;;
    *) usage >&2; die "unknown option $opt" ;;
  esac
  shift 2
done

[[ -n $image ]] || die "--image DIR is required (the OUTDIR of build.sh)"
[[ -f $image/vmlinuz && -f $image/initramfs.cpio.gz ]] || die "$image has no vmlinuz and initramfs.cpio.gz; run image/guest/build.sh $image"
[[ $vm =~ ^[0-9]+$ ]] || die "--vm must be a whole number, got '$vm'"
[[ $load =~ ^(cpu|ram|cache|storage|ethernet|bus|garbage|idle|none)(,(cpu|ram|cache|storage|ethernet|bus|garbage|idle|none))*$ ]] \
  || die "--load must be a comma-separated list of cpu, ram, cache, storage, ethernet, bus, garbage, idle, none; got '$load'"
name=${name:-g$vm}
# in_range OPTION VALUE LO HI: the guest would only find out on its console, so check here
in_range() {
  [[ $2 =~ ^[0-9]+$ ]] && (($2 >= $3 && $2 <= $4)) || die "$1 must be a whole number in $3..$4, got '$2'"
}
in_range --mem "$mem" 64 65536
in_range --smp "$smp" 1 64
[[ -z $interval ]] || in_range --interval-ms "$interval" 10 60000
[[ -z $duty ]] || in_range --duty "$duty" 1 100
if [[ -n $cycle && $cycle != 0 ]]; then in_range --cycle-us "$cycle" 100 10000000; fi
if ((${cycle:-1000} > 0 && ${interval:-100} * 1000 / ${cycle:-1000} > 4096)); then
  die "--cycle-us ${cycle:-1000} is too short for --interval-ms ${interval:-100}: a frame holds at most 4096 cycles"
fi

# Whether KVM boots this guest: /dev/kvm can be there and still not run it (a nested hypervisor
# where the kernel never gets past its decompressor), so the first auto boot tries a probe guest
# that only prints a line and stops. The verdict is kept in the image directory.
kvm_boots() {
  local verdict=$image/kvm-probe log
  exec 8>"$image/.kvm-probe.lock" # guests booted in parallel probe once
  flock 8
  if [[ ! -s $verdict ]]; then
    log=$(mktemp)
    timeout "${ISOCHRON_KVM_PROBE_S:-20}" qemu-system-x86_64 -accel kvm -m 128 -nodefaults -display none \
      -monitor none -no-reboot -kernel "$image/vmlinuz" -initrd "$image/initramfs.cpio.gz" \
      -append "console=ttyS0 quiet panic=1 isochron.probe=1" -serial "file:$log" >/dev/null 2>&1 || true
    if grep -q 'isochron-guest: probe ok' "$log"; then echo ok >"$verdict"; else echo broken >"$verdict"; fi
    rm -f "$log"
  fi
  exec 8>&-
  [[ $(cat "$verdict") == ok ]]
}

case $accel in
  auto)
    if [[ -r /dev/kvm && -w /dev/kvm ]] && kvm_boots; then
      accel_args=(-accel kvm)
    else
      [[ -e /dev/kvm ]] && echo "boot.sh: KVM did not boot the guest within ${ISOCHRON_KVM_PROBE_S:-20} s on this host (see $image/kvm-probe); using TCG" >&2
      accel_args=(-accel tcg)
    fi ;;
  kvm) accel_args=(-accel kvm) ;;
  tcg) accel_args=(-accel tcg) ;;
  *) die "--accel must be auto, kvm or tcg, got '$accel'" ;;
esac

# Under TCG the uncompressed kernel's PVH entry skips the emulated real-mode setup and decompressor
# (about 2.5 s instead of 15 s to /init); under KVM the usual bzImage path costs nothing.
case $kernel in
  auto) if [[ ${accel_args[*]} == *tcg* && -f $image/vmlinux ]]; then kernel=vmlinux; else kernel=vmlinuz; fi ;;
  vmlinuz|vmlinux) [[ -f $image/$kernel ]] || die "$image has no $kernel; run image/guest/build.sh $image" ;;
  *) die "--kernel must be auto, vmlinuz or vmlinux, got '$kernel'" ;;
esac

case $channel in
  pty) chan_args=(-chardev pty,id=pv0) ;;
  unix:?*) chan_args=(-chardev "socket,id=pv0,path=${channel#unix:},server=on,wait=off") ;;
  file:?*) chan_args=(-chardev "file,id=pv0,path=${channel#file:}") ;;
  *) die "--channel must be pty, unix:PATH or file:PATH, got '$channel'" ;;
esac
case $console in
  stdio|file:?*) ;;
  *) die "--console must be stdio or file:PATH, got '$console'" ;;
esac

append="console=ttyS0 quiet panic=1 isochron.vm=$vm isochron.load=$load"
[[ -n $interval ]] && append+=" isochron.interval_ms=$interval"
[[ -n $cycle ]] && append+=" isochron.cycle_us=$cycle"
[[ -n $duty ]] && append+=" isochron.duty=$duty"
[[ -n $extra ]] && append+=" $extra"

disk_args=()
if [[ ,$load, == *,storage,* && -z $disk ]]; then
  disk=$image/disk-$name.img
fi
if [[ -n $disk ]]; then
  # sparse; the storage load writes and reads its first 64 MiB
  [[ -e $disk ]] || truncate -s 128M "$disk"
  disk_args=(-drive "file=$disk,if=virtio,format=raw")
fi

cmd=(qemu-system-x86_64 -name "$name,debug-threads=on" "${accel_args[@]}" -m "$mem" -smp "$smp"
  -nodefaults -display none -monitor none -no-reboot
  -kernel "$image/$kernel" -initrd "$image/initramfs.cpio.gz" -append "$append"
  -serial "$console" "${chan_args[@]}" -serial chardev:pv0 -serial null "${disk_args[@]}")
[[ -n $qmp ]] && cmd+=(-qmp "unix:$qmp,server=on,wait=off")

if [[ -n $dry ]]; then
  [[ $accel == auto ]] && echo "# accelerator chosen by probing: ${accel_args[*]}" 
  printf '%q ' "${cmd[@]}"
  echo
  exit 0
fi
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 not found; install Debian's qemu-system-x86"
exec "${cmd[@]}"
