#!/usr/bin/env bash
# Builds the firmware (docs/firmware.md): a PREEMPT_RT kernel with sched_ext and a root file system
# (an initramfs) holding the appliance with both profiles, a jlink'ed Java runtime, QEMU for the
# kvm profile's guests, rt-tests and an init that mounts the state volume, brings up the network,
# starts the guests and supervises the appliance.
#
#   image/firmware/build.sh [--appliance DIR] OUTDIR
#
# Writes OUTDIR/bzImage (for a boot loader), OUTDIR/vmlinux (the same kernel, uncompressed: QEMU
# boots its PVH entry), OUTDIR/rootfs.cpio.zst and OUTDIR/manifest.txt (package versions, sha256).
# Same sources, pin and JDK give the same bytes. Nothing is installed on the build machine: Debian
# packages are downloaded and unpacked.
#
# Environment: ISOCHRON_DEB_CACHE  downloaded .debs and unpacked kernels (default ~/.cache/isochron)
#              JAVA_HOME           the JDK whose jlink makes the runtime (default: the javac on PATH)
#              SOURCE_DATE_EPOCH   timestamp of every file (default: last commit of image/)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../lib/debian.sh
. "$here/../lib/debian.sh"
# shellcheck source=kernel.conf
. "$here/kernel.conf"
die() { deb_die "$@"; }
started=$(date +%s%N)

appliance=$here/../target/isochron
while (($#)); do
  case $1 in
    --appliance) (($# >= 2)) || die "--appliance needs a directory"; appliance=$2; shift 2 ;;
    -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) die "unknown option '$1' (allowed: --appliance DIR)" ;;
    *) break ;;
  esac
done
[[ $# -eq 1 ]] || die "usage: build.sh [--appliance DIR] OUTDIR"
[[ -x $appliance/bin/isochron && -d $appliance/bundle && -d $appliance/bundle-kvm ]] \
  || die "no built appliance in $appliance (bin/isochron, bundle/, bundle-kvm/); build it first: mvn -B -DskipTests package"
appliance=$(cd "$appliance" && pwd)
mkdir -p "$1" || die "cannot create output directory $1"
out=$(cd "$1" && pwd)

# ---- build tools (Debian packages on the build machine, like .ci/run) ----
missing=()
# (QEMU: its shared libraries are looked up among the build machine's, like every other's below)
for t in gcc:gcc cpio:cpio zstd:zstd xz:xz-utils readelf:binutils mkfs.ext4:e2fsprogs qemu-system-x86_64:qemu-system-x86; do
  command -v "${t%%:*}" >/dev/null || missing+=("${t#*:}")
done
[[ -e /usr/lib/x86_64-linux-gnu/libc.a ]] || missing+=(libc6-dev)
if ((${#missing[@]})); then
  [[ $(id -u) -eq 0 ]] || die "missing ${missing[*]}; install them (apt-get install ${missing[*]}) or run as root"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
jdk=${JAVA_HOME:-}
if [[ -z $jdk ]]; then
  javac=$(command -v javac) || die "no JDK: set JAVA_HOME or put javac on PATH (jlink makes the firmware's runtime)"
  jdk=$(dirname "$(dirname "$(readlink -f "$javac")")")
fi
[[ -x $jdk/bin/jlink && -d $jdk/jmods ]] || die "$jdk is not a JDK with jmods (jlink needs them); set JAVA_HOME"

cache=${ISOCHRON_DEB_CACHE:-${XDG_CACHE_HOME:-${HOME:-/nonexistent}/.cache}/isochron}
if ! mkdir -p "$cache" 2>/dev/null; then
  echo "build.sh: cannot create the package cache $cache; using $here/../target/deb-cache (set ISOCHRON_DEB_CACHE)" >&2
  cache=$here/../target/deb-cache
fi
deb_init "$cache"
exec 9>"$deb_cache/.lock" # one build at a time per cache
flock 9

# ---- kernel: the pin, or the newest that passes the check ----
deb_view kernel $KERNEL_SUITES
# kernel_problems CONFIG: what the firmware needs that CONFIG lacks ("" if nothing)
kernel_problems() {
  local c p=()
  for c in $KERNEL_BUILT_IN; do grep -qx "CONFIG_$c=y" "$1" || p+=("CONFIG_$c=y"); done
  for c in $KERNEL_BUILT_IN_OR_MODULE; do grep -qE "^CONFIG_$c=(y|m)$" "$1" || p+=("CONFIG_$c=y|m"); done
  echo "${p[*]}"
}
# kernel_unpack ABI VERSION: sets $kdir to the unpacked kernel (vmlinuz, config, modules), once per version
kernel_unpack() {
  local abi=$1 ver=$2 pkg
  kdir="$deb_cache/kernels/$abi-rt-amd64_${ver//:/%3a}"
  [[ -e $kdir/done ]] && return
  rm -rf "$kdir" && mkdir -p "$kdir/x"
  for pkg in linux-base linux-binary linux-modules; do
    deb_fetch kernel "$pkg-$abi-rt-amd64" "$ver"
    dpkg-deb -x "$deb_file" "$kdir/x"
  done
  touch "$kdir/done"
}
kabi=$KERNEL_ABI kver=$KERNEL_VERSION
if deb_available kernel "linux-binary-$kabi-rt-amd64" "$kver"; then
  kernel_unpack "$kabi" "$kver"
  problems=$(kernel_problems "$kdir"/x/usr/lib/modules/*/config)
  [[ -z $problems ]] || die "kernel $kabi-rt-amd64 $kver (the pin in kernel.conf) lacks $problems; refusing it"
else
  found=
  while read -r name; do
    abi=${name#linux-binary-}; abi=${abi%-rt-amd64}
    ver=$(deb_version kernel "$name")
    [[ -n $ver ]] && echo "$ver $abi"
  done < <(deb_names kernel '^linux-binary-[0-9][^ ]*-rt-amd64$') | sort -rV >"$deb_cache/kernel-candidates"
  while read -r ver abi; do
    deb_fetch kernel "linux-base-$abi-rt-amd64" "$ver"
    cfg=$(mktemp)
    dpkg-deb --fsys-tarfile "$deb_file" | tar -xO --wildcards './usr/lib/modules/*/config' >"$cfg"
    if [[ -z $(kernel_problems "$cfg") ]]; then found="$abi $ver"; rm -f "$cfg"; break; fi
    rm -f "$cfg"
  done <"$deb_cache/kernel-candidates"
  [[ -n $found ]] || die "the pinned kernel $kabi $kver is gone from $KERNEL_SUITES and no -rt kernel there passes the check"
  echo "build.sh: the pinned kernel $kabi-rt-amd64 $kver is no longer in $KERNEL_SUITES; using ${found% *}-rt-amd64 ${found#* }, the newest that passes the check (move the pin: docs/firmware.md)" >&2
  kabi=${found% *} kver=${found#* }
  kernel_unpack "$kabi" "$kver"
fi
kmods=$(echo "$kdir"/x/usr/lib/modules/*)
if [[ ! -s $kdir/vmlinux ]]; then
  # The uncompressed kernel boots through its PVH entry point: under TCG that skips the emulated
  # real-mode setup and decompressor.
  off=$(LC_ALL=C grep -m1 -obUaP '\x28\xb5\x2f\xfd' "$kmods/vmlinuz" | cut -d: -f1)
  [[ -n $off ]] || die "$kmods/vmlinuz holds no zstd-compressed kernel (CONFIG_KERNEL_ZSTD)"
  # zstd stops with an error at the data after the frame; the ELF check below decides.
  tail -c +$((off + 1)) "$kmods/vmlinuz" | zstd -dcq >"$kdir/vmlinux.tmp" 2>/dev/null || true
  readelf -h "$kdir/vmlinux.tmp" >/dev/null 2>&1 || die "no ELF kernel inside $kmods/vmlinuz"
  mv "$kdir/vmlinux.tmp" "$kdir/vmlinux"
fi

# ---- root file system ----
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/root
mkdir -p "$root"/{proc,sys,dev,run,tmp,var/lib/isochron,lib/modules,opt}
declare -A unpacked=()
unpack() { # VIEW PACKAGE [VERSION]
  local ver=${3:-$(deb_version "$1" "$2")}
  [[ -n $ver ]] || die "no version of $2 is available from the machine's Debian sources"
  [[ -n ${unpacked[$2]:-} ]] && return
  deb_fetch "$1" "$2" "$ver"
  dpkg-deb -x "$deb_file" "$root"
  unpacked[$2]=$ver
}
# QEMU for the kvm profile's guests, with its firmware (no display, audio or block modules).
for p in libc6 busybox-static bash rt-tests e2fsprogs qemu-system-x86 qemu-system-common qemu-system-data seabios \
  ipxe-qemu; do
  unpack host "$p"
done
# x86_64 only: not the i386 and microvm builds, nor other architectures' firmware. Of the common
# part only the TCG accelerator module (QEMU loads it when /dev/kvm is missing), not the helpers.
rm -f "$root"/usr/bin/qemu-system-{i386,x86_64-microvm} "$root/usr/libexec/qemu-system-i386" \
  "$root"/usr/bin/qemu-{pr-helper,storage-daemon} "$root"/etc/qemu-if{up,down}
rm -rf "$root/usr/lib/qemu" "$root/usr/share/qemu/vhost-user" "$root/usr/share/qemu/trace-events-all"
find "$root/usr/lib/x86_64-linux-gnu/qemu" -type f ! -name accel-tcg-x86_64.so -delete
(cd "$root/usr/share/qemu" && rm -rf openbios-* slof.bin skiboot.lid s390-* opensbi-* palcode-* hppa-* ./*.dtb \
  npcm7xx_bootrom.bin QEMU,cgthree.bin QEMU,tcx.bin vof.bin)
for applet in $("$root/bin/busybox" --list-full); do
  [[ -e $root/$applet || -L $root/$applet ]] || ln -s /bin/busybox "$root/$applet"
done
ln -sf /bin/busybox "$root/init" # busybox init, configured by /etc/inittab

# Kernel modules, uncompressed (busybox insmod), with their load order.
while read -r m; do
  n=${m##*/}; n=${n%.xz}
  xz -dcf "$m" >"$root/lib/modules/$n"
  echo "${n%.ko}" >>"$root/lib/modules/order"
done < <(deb_modules "$kmods/kernel" $KERNEL_MODULES)

# The appliance, both profiles, and a runtime with only the modules its bundles need (jdeps) plus
# those reached by reflection: sun.misc.Unsafe (Felix, Netty) and the elliptic-curve TLS suites.
cp -a "$appliance" "$root/opt/isochron"
rm -rf "$root/opt/isochron/var"
# The two profiles share most bundles: one copy, hard-linked (the archive stores it once).
for jar in "$root"/opt/isochron/bundle-kvm/*.jar; do
  twin=$root/opt/isochron/bundle/${jar##*/}
  if [[ -f $twin ]] && cmp -s "$jar" "$twin"; then ln -f "$twin" "$jar"; fi
done
modules=jdk.unsupported,jdk.crypto.ec
for set in "bin/felix.jar bundle/*.jar" "bin/felix.jar bundle-kvm/*.jar" "lib/isochron-cli.jar"; do
  # shellcheck disable=SC2086
  modules+=,$(cd "$appliance" && "$jdk/bin/jdeps" --ignore-missing-deps --print-module-deps --multi-release 17 $set 2>/dev/null | tail -1)
done
modules=$(tr ',' '\n' <<<"$modules" | sort -u | paste -sd,)
# java.desktop is there for java.beans: its native libraries (AWT, fonts, sound) are not.
"$jdk/bin/jlink" --add-modules "$modules" --strip-debug --no-header-files --no-man-pages --compress=2 \
  --exclude-files='glob:/java.desktop/lib/**' --output "$root/opt/isochron/runtime"

gcc -static -O2 -Wall -Wextra -Werror -s "-ffile-prefix-map=$here=." -o "$root/usr/sbin/isochron-supervise" "$here/src/supervise.c"
ln -sf isochron-supervise "$root/usr/sbin/systemd-notify"
# The sched_ext scheduler and its loader, compiled for this kernel (docs/schedext.md).
scx=$(ISOCHRON_DEB_LOCKED=1 ISOCHRON_DEB_CACHE=$deb_cache "$here/../schedext/build.sh" --vmlinux "$kdir/vmlinux" \
  "$root/usr/sbin") || die "the sched_ext scheduler did not build (above)"
cp -a "$here/rootfs/." "$root/"

# Shared libraries: every ELF file's NEEDED, from the Debian package the build machine has it in.
for round in 1 2 3 4 5 6; do
  have=$(find "$root" \( -type f -o -type l \) -name '*.so*' -printf '%f\n' | sort -u)
  need=$(find "$root" -type f \( -perm -u+x -o -name '*.so*' \) -exec sh -c 'head -c4 "$1" | grep -q ELF && readelf -d "$1"' _ {} \; 2>/dev/null \
    | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | sort -u)
  absent=$(comm -23 <(echo "$need") <(echo "$have"))
  [[ -z $absent ]] && break
  ((round < 6)) || die "shared libraries still missing after 5 rounds: $absent"
  for so in $absent; do
    path=$(ldconfig -p | awk -v so="$so" '$1 == so && /x86-64/ && !found {print $NF; found = 1}')
    [[ -n $path ]] || die "$so (needed in the firmware) is not on the build machine; which Debian package has it?"
    real=$(readlink -f "$path") pkg=
    # (merged /usr: the package may name the file under /lib)
    for p in "$real" "$path" "${real#/usr}" "${path#/usr}"; do
      pkg=$(dpkg -S "$p" 2>/dev/null | sed -n '1s/:.*//p') || true
      [[ -n $pkg ]] && break
    done
    [[ -n $pkg ]] || die "$so ($path) belongs to no Debian package on the build machine"
    unpack host "$pkg"
  done
done
rm -rf "$root"/usr/share/{doc,man,info,locale,lintian,bug,bash-completion,menu} "$root"/etc/{cron.*,logrotate.d}

export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git -C "$here/.." log -1 --format=%ct -- . 2>/dev/null || true)}
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-0}
{
  echo "isochron-firmware $(sed -n 's:^  <version>\(.*\)</version>:\1:p' "$here/../../pom.xml" | sed -n 1p)"
  echo "kernel linux-binary-$kabi-rt-amd64 $kver"
  for p in $(printf '%s\n' "${!unpacked[@]}" | sort); do echo "package $p ${unpacked[$p]}"; done
  echo "java $("$root/opt/isochron/runtime/bin/java" -version 2>&1 | sed -n '1s/"//gp') modules $modules"
  echo "modules $(paste -sd' ' "$root/lib/modules/order")"
  echo "sched_ext toolchain ${scx##*(toolchain }" | sed 's/)$//'
} >"$root/etc/isochron-firmware"

# Fixed modes, owner, mtimes and entry order: nothing of the build machine leaks into the archive.
chmod -R u+rwX,go+rX,go-w "$root"
chmod 1777 "$root/tmp"
find "$root" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
(cd "$root" && find . -mindepth 1 -print0 | LC_ALL=C sort -z \
  | cpio --null --create --format=newc --reproducible --owner=0:0 --quiet) | zstd -q -T1 -12 >"$work/rootfs.cpio.zst"
cp "$kmods/vmlinuz" "$work/bzImage"
cp "$kdir/vmlinux" "$work/vmlinux"
mv -f "$work/bzImage" "$work/vmlinux" "$work/rootfs.cpio.zst" "$out/"
{
  cat "$root/etc/isochron-firmware"
  echo "SOURCE_DATE_EPOCH $SOURCE_DATE_EPOCH"
  (cd "$out" && sha256sum bzImage vmlinux rootfs.cpio.zst)
} >"$out/manifest.txt"
ms=$((($(date +%s%N) - started) / 1000000))
printf 'build.sh: %s: bzImage, vmlinux, rootfs.cpio.zst (%s MiB; kernel %s-rt-amd64 %s) in %d.%d s\n' "$out" \
  $(($(stat -c %s "$out/rootfs.cpio.zst") / 1048576)) "$kabi" "$kver" $((ms / 1000)) $((ms % 1000 / 100))
