#!/usr/bin/env bash
# Boots the firmware built by build.sh under QEMU, in the foreground, like a box on the plant
# network (docs/firmware.md): OPC UA forwarded to a port of this machine, MQTT to a broker on this
# machine, the state volume a disk image. SIGTERM or Ctrl-C presses the power button (a clean
# shutdown); a second one pulls the plug.
set -euo pipefail
usage() {
  cat <<'EOF'
usage: boot.sh [--firmware DIR] [--profile sim|kvm] [--state FILE|none] [--opcua-port N] [--mqtt URI]
               [--console stdio|file:PATH] [--qmp PATH] [--accel auto|kvm|tcg|tcg-single] [--smp N] [--mem MB]
               [--append "KERNEL ARGS"] [--retries N]

  --firmware DIR   build.sh's OUTDIR (default: image/target/firmware)
  --profile P      sim or kvm; default: the state volume's firmware.conf (sim on a new one)
  --state FILE     the state volume, an ext4 disk image; created when missing (default DIR/state.img);
                   "none" boots without one
  --opcua-port N   port of this machine forwarded to the firmware's OPC UA 4840 (default 4840)
  --mqtt URI       broker for a new state volume (default tcp://10.0.2.2:1883, this machine as QEMU's
                   user network shows it)
  --retries N      boots tried when the kernel fails before init (an early TCG oops), default 3
  --accel A        auto (kvm when /dev/kvm is usable, else tcg; tcg after a KVM boot that does not
                   reach init); tcg-single: the emulator runs every
                   CPU on one thread (slower, but without multi-threaded TCG's race with the kernel's
                   text patching, e.g. when a sched_ext scheduler is attached or detached)
EOF
}
die() { echo "boot.sh: $*" >&2; exit 2; }
say() { echo "boot.sh: $*" >&2; }
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
fw=$here/../target/firmware profile= state= port=4840 mqtt=tcp://10.0.2.2:1883 console=stdio qmp= accel=auto
smp=2 mem=2048 extra= retries=3
while (($#)); do
  case $1 in -h|--help) usage; exit 0 ;; esac
  (($# >= 2)) || die "option $1 needs a value (see --help)"
  case $1 in
    --firmware) fw=$2 ;;
    --profile) profile=$2 ;;
    --state) state=$2 ;;
    --opcua-port) port=$2 ;;
    --mqtt) mqtt=$2 ;;
    --console) console=$2 ;;
    --qmp) qmp=$2 ;;
    --accel) accel=$2 ;;
    --smp) smp=$2 ;;
    --mem) mem=$2 ;;
    --append) extra=$2 ;;
    --retries) retries=$2 ;;
    *) die "unknown option '$1' (see --help)" ;;
  esac
  shift 2
done
[[ -f $fw/vmlinux && -f $fw/rootfs.cpio.zst ]] || die "no firmware in $fw (vmlinux, rootfs.cpio.zst); build it: image/firmware/build.sh $fw"
fw=$(cd "$fw" && pwd)
in_range() { [[ $2 =~ ^[0-9]+$ ]] && (($2 >= $3 && $2 <= $4)) || die "$1 must be a whole number in $3..$4, got '$2'"; }
in_range --opcua-port "$port" 1 65535
in_range --smp "$smp" 1 64
in_range --mem "$mem" 512 65536
in_range --retries "$retries" 1 20
case $profile in ''|sim|kvm) ;; *) die "--profile must be sim or kvm, got '$profile'" ;; esac
[[ $mqtt =~ ^(tcp|ssl)://[^/:]+:[0-9]+$ ]] || die "--mqtt must be tcp://HOST:PORT or ssl://HOST:PORT, got '$mqtt'"
case $console in stdio) log=$(mktemp) ;; file:?*) log=${console#file:} ;; *) die "--console must be stdio or file:PATH, got '$console'" ;; esac
kvm_guess=0 # KVM chosen by auto: /dev/kvm can be there and still not boot the kernel (a nested hypervisor)
case $accel in
  auto)
    if [[ -r /dev/kvm && -w /dev/kvm && $(cat "$fw/kvm-verdict" 2>/dev/null) != broken ]]; then accel=kvm kvm_guess=1
    else
      [[ -e /dev/kvm ]] && say "KVM did not boot this firmware on this host before ($fw/kvm-verdict): using TCG"
      accel=tcg
    fi ;;
  kvm|tcg) ;;
  tcg-single) accel=tcg,thread=single ;;
  *) die "--accel must be auto, kvm, tcg or tcg-single, got '$accel'" ;;
esac
qmp=${qmp:-$(mktemp -u /tmp/isochron-firmware-qmp.XXXXXX)}

# ---- the state volume: made on first use with this machine's broker and the chosen profile ----
disk=()
if [[ $state != none ]]; then
  state=${state:-$fw/state.img}
  if [[ ! -e $state ]]; then
    seed=$(mktemp -d)
    mkdir -p "$seed/config"
    printf '{\n  ":configurator:resource-version": 1, ":configurator:symbolic-name": "site", ":configurator:version": "1",\n  "io.isochron.mqtt": { "brokerUri": "%s", "bufferSync": true }\n}\n' "$mqtt" \
      >"$seed/config/site.json"
    echo "PROFILE=${profile:-sim}" >"$seed/firmware.conf"
    truncate -s 256M "$state"
    mkfs.ext4 -q -L isochron-state -d "$seed" "$state" || die "cannot make the state volume $state"
    rm -rf "$seed"
    say "new state volume $state (MQTT broker $mqtt, profile ${profile:-sim})"
  fi
  [[ -f $state && -r $state && -w $state ]] || die "--state $state is not a readable and writable file"
  disk=(-drive "file=$state,if=virtio,format=raw,cache=writeback")
fi

append="console=ttyS0 quiet panic=5"
[[ -n $profile ]] && append+=" isochron.profile=$profile"
[[ -n $extra ]] && append+=" $extra"
qemu_for() { # the QEMU command line for accelerator $1
  local cpu=()
  [[ $1 == kvm ]] && cpu=(-cpu host)
  qemu=(qemu-system-x86_64 -accel "$1" -M q35 "${cpu[@]}" -smp "$smp" -m "$mem" -nodefaults -display none
    -kernel "$fw/vmlinux" -initrd "$fw/rootfs.cpio.zst" -append "$append" -serial "file:$log"
    -qmp "unix:$qmp,server=on,wait=off" -pidfile "$qmp.pid" "${disk[@]}"
    -netdev "user,id=n0,hostfwd=tcp:127.0.0.1:$port-:4840" -device virtio-net-pci,netdev=n0
    -device i6300esb -action watchdog=reset
    -object rng-random,filename=/dev/urandom,id=rng0 -device virtio-rng-pci,rng=rng0)
}
qemu_for "$accel"

qmp_cmd() { # one QMP command; true when QEMU took it
  python3 - "$qmp" "$1" <<'PY' 2>/dev/null
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.settimeout(5); s.connect(sys.argv[1]); f = s.makefile('rw')
f.readline(); f.write('{"execute":"qmp_capabilities"}\n'); f.flush(); f.readline()
f.write(json.dumps({"execute": sys.argv[2]}) + '\n'); f.flush()
while True:
    r = json.loads(f.readline())
    if 'return' in r or 'error' in r: sys.exit(0 if 'return' in r else 1)
PY
}

pid= tailer=
presses=0
power_button() {
  presses=$((presses + 1))
  if ((presses == 1)) && qmp_cmd system_powerdown; then
    say "power button pressed: the firmware shuts down cleanly (again to pull the plug)"
  else
    say "pulling the plug"
    kill -9 "$pid" 2>/dev/null || true
  fi
}
trap power_button TERM INT
trap '[[ -n $tailer ]] && kill $tailer 2>/dev/null; [[ $console == stdio ]] && rm -f "$log"; rm -f "$qmp" "$qmp.pid"' EXIT

for ((try = 1; ; try++)); do
  : >"$log"
  say "booting $fw (kernel $(sed -n 's/^kernel //p' "$fw/manifest.txt" 2>/dev/null), $accel, ${smp} CPUs, $mem MiB), OPC UA on 127.0.0.1:$port"
  "${qemu[@]}" &
  pid=$!
  if [[ $console == stdio && -z $tailer ]]; then
    tail -n +1 -F "$log" 2>/dev/null &
    tailer=$!
  fi
  # The kernel hands over to init within seconds; an oops before that (seen under TCG now and then)
  # is retried. After the firmware's first line, whatever happens is the firmware's business.
  # (Under KVM it takes about a second: 30 s without a line means KVM does not run this kernel.)
  verdict= waited=0 limit=1200
  [[ $accel == kvm ]] && limit=300
  while [[ -z $verdict ]] && ((waited++ < limit)); do
    if grep -q '^isochron-firmware: ' "$log"; then verdict=up
    elif grep -qE 'Oops|Kernel panic|BUG: ' "$log"; then verdict=oops
    elif ! kill -0 "$pid" 2>/dev/null; then verdict=exited
    else sleep 0.1
    fi
  done
  [[ $verdict == up ]] && break
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  ((try < retries || kvm_guess)) || die "the kernel did not reach init in $retries boots (last: ${verdict:-timeout}; console: $log)"
  if ((kvm_guess)); then
    say "boot $try under KVM failed before init (${verdict:-timeout}): /dev/kvm is there but does not run this kernel; booting again under TCG"
    echo broken >"$fw/kvm-verdict" 2>/dev/null || true # later boots go straight to TCG
    accel=tcg kvm_guess=0 try=0 # (TCG gets its own tries)
    qemu_for "$accel"
  else
    say "boot $try failed before init (${verdict:-timeout}); booting again"
  fi
done
while kill -0 "$pid" 2>/dev/null; do
  wait "$pid" 2>/dev/null || true
done
say "QEMU ended"
