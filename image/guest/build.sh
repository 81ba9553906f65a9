#!/usr/bin/env bash
# Builds the test guest: OUTDIR/vmlinuz (Debian's linux-image-*-amd64), OUTDIR/vmlinux (the same
# kernel uncompressed, for a PVH boot) and OUTDIR/initramfs.cpio.gz (Debian's busybox-static, the
# virtio modules that kernel needs, isochron-agent, isochron-load and /init). Same sources and
# package versions give the same bytes. See docs/guest.md.
#
#   image/guest/build.sh OUTDIR
#
# Environment: ISOCHRON_GUEST_CACHE  downloaded .debs and extracted kernel parts (default: image/guest/target/cache)
#              ISOCHRON_GUEST_KERNEL kernel package (default: the one linux-image-amd64 depends on)
#              SOURCE_DATE_EPOCH     timestamp of every file in the image (default: last commit of image/guest)
set -euo pipefail

die() { echo "build.sh: $*" >&2; exit 2; }
[[ $# -eq 1 && $1 != -* ]] || die "usage: build.sh OUTDIR (writes OUTDIR/vmlinuz, vmlinux and initramfs.cpio.gz)"
started=$(date +%s%N)
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
mkdir -p "$1" || die "cannot create output directory $1"
out=$(cd "$1" && pwd)
cache=${ISOCHRON_GUEST_CACHE:-$here/target/cache}
mkdir -p "$cache/debs"
cache=$(cd "$cache" && pwd)

# One build at a time per cache: tests may start several.
exec 9>"$cache/.lock"
flock 9

# ---- host tools: installed from Debian packages if missing, like .ci/run ----
missing=()
command -v gcc >/dev/null || missing+=(gcc)
[[ -e /usr/lib/x86_64-linux-gnu/libc.a ]] || missing+=(libc6-dev)
command -v cpio >/dev/null || missing+=(cpio)
command -v gzip >/dev/null || missing+=(gzip)
if ((${#missing[@]})); then
  [[ $(id -u) -eq 0 ]] || die "missing ${missing[*]}; install them (apt-get install ${missing[*]}) or run as root"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# ---- package versions ----
candidate() { apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ {print $2}'; }
if [[ -z $(candidate busybox-static) || $(candidate busybox-static) == "(none)" ]]; then
  apt-get update -qq || die "apt-get update failed; Debian's package lists are needed to find busybox-static and the kernel"
fi
kpkg=${ISOCHRON_GUEST_KERNEL:-$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-/ {print $2; exit}')}
[[ $kpkg =~ ^linux-image-[0-9][^[:space:]]*-amd64$ ]] \
  || die "kernel package '$kpkg' is not a linux-image-<version>-amd64 package (set ISOCHRON_GUEST_KERNEL)"
kver=$(candidate "$kpkg")
bver=$(candidate busybox-static)
[[ -n $kver && $kver != "(none)" ]] || die "no version of $kpkg is available from the configured Debian sources"

# fetch PACKAGE VERSION: sets $fetched to the cached .deb, downloading it (never installing it) on
# first use. Not run in a subshell, so that the restart below restarts the script.
fetch() {
  local deb="$cache/debs/${1}_${2//:/%3a}_amd64.deb" tmp
  if [[ ! -s $deb ]]; then
    tmp=$(mktemp -d "$cache/dl.XXXXXX")
    if ! (cd "$tmp" && apt-get -qq -o APT::Sandbox::User=root download "$1=$2" >/dev/null); then
      rm -rf "$tmp"
      # Stale package lists name versions the archive no longer has (kernel security updates):
      # refresh them once and start over with the versions they name now.
      if [[ -z ${ISOCHRON_GUEST_REFRESHED:-} ]]; then
        apt-get update -qq || die "apt-get update failed after apt-get download $1=$2 failed"
        flock -u 9
        ISOCHRON_GUEST_REFRESHED=1 exec "$here/build.sh" "$out"
      fi
      die "apt-get download $1=$2 failed"
    fi
    mv "$tmp"/*.deb "$deb"
    rm -rf "$tmp"
  fi
  fetched=$deb
}
fetch "$kpkg" "$kver"
kdeb=$fetched
fetch busybox-static "$bver"
bdeb=$fetched

# ---- kernel parts: vmlinuz, config and the virtio modules, extracted once per kernel version ----
kdir="$cache/$kpkg-${kver//:/%3a}"
if [[ ! -e $kdir/done ]]; then
  rm -rf "$kdir" && mkdir -p "$kdir/x"
  dpkg-deb --fsys-tarfile "$kdeb" | tar -x -C "$kdir/x" --wildcards './boot/vmlinuz-*' './boot/config-*' \
    './lib/modules/*/kernel/drivers/virtio/*' './lib/modules/*/kernel/drivers/block/virtio_blk.ko' \
    './lib/modules/*/kernel/drivers/char/virtio_console.ko'
  # The uncompressed kernel boots through its PVH entry point: under TCG that skips the emulated
  # real-mode setup and decompressor, 2.5 s instead of 15 s to /init.
  vz=$(echo "$kdir"/x/boot/vmlinuz-*)
  off=$(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$vz" | head -1 | cut -d: -f1)
  [[ -n $off ]] || die "$vz holds no xz-compressed kernel (the PVH vmlinux needs one)"
  # (xz stops at the end of the stream; tail's SIGPIPE then must not fail the build)
  xz -dc --single-stream < <(tail -c +$((off + 1)) "$vz") >"$kdir/vmlinux"
  [[ $(head -c 4 "$kdir/vmlinux" | od -An -c | tr -d ' ') == 177ELF ]] || die "no ELF kernel inside $vz"
  touch "$kdir/done"
fi
config=$(echo "$kdir"/x/boot/config-*)
modroot=$(echo "$kdir"/x/lib/modules/*)

# What the guest needs from the kernel: virtio PCI transport, virtio disk (storage load), virtio
# console (virtio-serial channel). Debian builds them as modules; a kernel that has them built in
# needs nothing loaded.
declare -A modpath=() seen=()
while IFS= read -r -d '' f; do m=${f##*/}; modpath[${m%.ko}]=$f; done < <(find "$modroot" -name '*.ko' -print0)
order=()
deps_of() { tr '\0' '\n' <"${modpath[$1]}" | sed -n 's/^depends=//p' | tr ',' ' '; }
visit() {
  [[ -n ${seen[$1]:-} ]] && return
  seen[$1]=1
  [[ -n ${modpath[$1]:-} ]] || die "module $1 (needed by the virtio drivers) is not in $kpkg under kernel/drivers/{virtio,block,char}"
  local d
  for d in $(deps_of "$1"); do visit "$d"; done
  order+=("$1")
}
for opt in VIRTIO:virtio VIRTIO_PCI:virtio_pci VIRTIO_BLK:virtio_blk VIRTIO_CONSOLE:virtio_console; do
  case $(sed -n "s/^CONFIG_${opt%%:*}=//p" "$config") in
    y) ;;
    m) visit "${opt#*:}" ;;
    *) die "$kpkg has no CONFIG_${opt%%:*}; the guest needs it (built in or as a module)" ;;
  esac
done

# ---- agent and load generator: static, warnings are errors, self test on the build host ----
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root="$work/root"
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,lib/modules,etc,proc,sys,dev,run,tmp,root}
cflags=(-static -O2 -Wall -Wextra -Werror -s -pthread "-ffile-prefix-map=$here=.")
gcc "${cflags[@]}" -o "$root/usr/bin/isochron-agent" "$here/src/agent.c" "$here/src/proto.c" "$here/src/port.c"
gcc "${cflags[@]}" -o "$root/usr/bin/isochron-load" "$here/src/load.c" "$here/src/proto.c" "$here/src/port.c"
"$root/usr/bin/isochron-agent" --selftest >/dev/null || die "isochron-agent --selftest failed"

# ---- initramfs tree ----
dpkg-deb --fsys-tarfile "$bdeb" | tar -x -C "$work" ./bin/busybox
mv "$work/bin/busybox" "$root/bin/busybox"
for applet in $("$root/bin/busybox" --list-full); do
  [[ $applet == bin/busybox || $applet == linuxrc ]] && continue
  [[ -e $root/$applet ]] || ln -s /bin/busybox "$root/$applet"
done
for m in "${order[@]}"; do cp "${modpath[$m]}" "$root/lib/modules/$m.ko"; done
printf '%s\n' "${order[@]}" >"$root/lib/modules/order"
cp "$here/src/init" "$root/init"
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git -C "$here" log -1 --format=%ct -- . 2>/dev/null || true)}
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-0}
printf 'kernel %s %s\nbusybox-static %s\nmodules %s\n' "$kpkg" "$kver" "$bver" "${order[*]}" >"$root/etc/isochron-guest"

# Fixed modes, owner, mtimes and entry order: nothing of the build host leaks into the archive.
chmod -R u=rwX,go=rX "$root"
chmod 0755 "$root/init" "$root/bin/busybox" "$root/usr/bin/isochron-agent" "$root/usr/bin/isochron-load"
chmod 1777 "$root/tmp"
find "$root" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
(cd "$root" && find . -mindepth 1 -print0 | LC_ALL=C sort -z \
  | cpio --null --create --format=newc --reproducible --owner=0:0 --quiet) | gzip -9 -n >"$work/initramfs.cpio.gz"
cp "$(echo "$kdir"/x/boot/vmlinuz-*)" "$work/vmlinuz"
cp "$kdir/vmlinux" "$work/vmlinux"

rm -f "$out/kvm-probe" # boot.sh's verdict on KVM belongs to the previous kernel
mv -f "$work/vmlinuz" "$out/vmlinuz"
mv -f "$work/vmlinux" "$out/vmlinux"
mv -f "$work/initramfs.cpio.gz" "$out/initramfs.cpio.gz"
{
  cat "$root/etc/isochron-guest"
  echo "SOURCE_DATE_EPOCH $SOURCE_DATE_EPOCH"
  (cd "$out" && sha256sum vmlinuz vmlinux initramfs.cpio.gz)
} >"$out/manifest.txt"
ms=$((($(date +%s%N) - started) / 1000000))
printf 'build.sh: %s/vmlinuz, vmlinux and initramfs.cpio.gz (%s %s, busybox-static %s) in %d.%d s\n' \
  "$out" "$kpkg" "$kver" "$bver" $((ms / 1000)) $((ms % 1000 / 100))
