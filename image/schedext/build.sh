#!/usr/bin/env bash
# Builds Isochron's sched_ext scheduler (docs/schedext.md): the BPF object, compiled for the kernel
# whose BTF it is given, inside a static loader, isochron-scx, that loads, attaches, steers and
# reads it. The toolchain (clang-19, libbpf 1.4 and bpftool 7.5 from bookworm-backports, the static
# libraries the loader links) comes from Debian packages that are downloaded and unpacked, never
# installed, into the package cache the firmware uses.
#
#   image/schedext/build.sh --vmlinux FILE OUTDIR
#
# FILE: the kernel's ELF vmlinux with its .BTF (the firmware build passes its own). Writes
# OUTDIR/isochron-scx. Same sources, toolchain and kernel give the same bytes.
#
# Environment: ISOCHRON_DEB_CACHE  downloaded .debs and the unpacked toolchain (default ~/.cache/isochron)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../lib/debian.sh
. "$here/../lib/debian.sh"
die() { deb_die "$@"; }

vmlinux=
while (($#)); do
  case $1 in
    --vmlinux) (($# >= 2)) || die "--vmlinux needs a file"; vmlinux=$2; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) die "unknown option '$1' (allowed: --vmlinux FILE)" ;;
    *) break ;;
  esac
done
[[ $# -eq 1 && -n $vmlinux ]] || die "usage: build.sh --vmlinux FILE OUTDIR"
[[ -r $vmlinux ]] || die "--vmlinux: cannot read $vmlinux"
mkdir -p "$1" || die "cannot create output directory $1"
out=$(cd "$1" && pwd)

if [[ -z ${ISOCHRON_DEB_LOCKED:-} ]]; then # (the firmware build holds the cache's lock already)
  cache=${ISOCHRON_DEB_CACHE:-${XDG_CACHE_HOME:-${HOME:-/nonexistent}/.cache}/isochron}
  mkdir -p "$cache" 2>/dev/null || die "cannot create the package cache $cache (set ISOCHRON_DEB_CACHE)"
  deb_init "$cache"
  exec 9>"$deb_cache/.lock"
  flock 9
else
  deb_init "$ISOCHRON_DEB_CACHE"
fi

# ---- toolchain: unpacked once per set of versions ----
deb_view bpf bookworm-backports
host_pkgs="clang-19 libclang-cpp19 libllvm19 libclang-common-19-dev libelf-dev zlib1g-dev libzstd-dev"
bpo_pkgs="libbpf-dev bpftool"
versions=()
for p in $host_pkgs; do
  v=$(deb_version host "$p")
  [[ -n $v ]] || die "no version of $p is available from the machine's Debian sources"
  versions+=("$p=$v")
done
for p in $bpo_pkgs; do
  v=$(deb_version bpf "$p")
  [[ -n $v ]] || die "no version of $p in bookworm-backports"
  versions+=("$p=$v")
done
tc=$deb_cache/toolchains/bpf-$(printf '%s\n' "${versions[@]}" | sha256sum | cut -c1-16)
if [[ ! -e $tc/done ]]; then
  rm -rf "$tc" && mkdir -p "$tc/x"
  for pv in "${versions[@]}"; do
    p=${pv%%=*}
    view=host
    [[ " $bpo_pkgs " == *" $p "* ]] && view=bpf
    deb_fetch "$view" "$p" "${pv#*=}"
    dpkg-deb -x "$deb_file" "$tc/x"
  done
  printf '%s\n' "${versions[@]}" >"$tc/versions"
  touch "$tc/done"
fi
x=$tc/x
lib=$x/usr/lib/x86_64-linux-gnu
clang=$x/usr/lib/llvm-19/bin/clang
bpftool=$x/usr/sbin/bpftool
# The unpacked tools run on the machine's own libraries for the rest (libxml2, libz3, libedit, libcap, …).
export LD_LIBRARY_PATH=$lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
missing=$( (ldd "$clang"; ldd "$bpftool") 2>/dev/null | awk '/not found/ {print $1}' | sort -u | paste -sd' ')
[[ -z $missing ]] || die "the toolchain needs $missing, which this machine lacks (install the Debian packages that have them)"

# ---- the scheduler, its skeleton and the loader ----
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$bpftool" btf dump file "$vmlinux" format c >"$work/vmlinux.h" 2>"$work/err" \
  || die "no BTF in $vmlinux: $(tail -1 "$work/err")"
grep -q 'struct sched_ext_ops {' "$work/vmlinux.h" || die "the kernel $vmlinux has no sched_ext (struct sched_ext_ops missing from its BTF)"
# -mcpu=v3: 32-bit atomics (clang-19 crashed on a 32-bit atomic subtraction for v2);
# -fms-extensions: the kernel's BTF has anonymous members of tagged types.
"$clang" -target bpf -mcpu=v3 -O2 -g -fms-extensions -Wno-microsoft-anon-tag -Wall -Werror \
  -I "$work" -I "$x/usr/include" -ffile-prefix-map="$here=." -ffile-prefix-map="$work=." -ffile-prefix-map="$x=/toolchain" \
  -c "$here/src/isochron_scx.bpf.c" -o "$work/isochron_scx.bpf.o"
# The object goes into the loader as data (_binary_isochron_scx_bpf_start/_end): one file to ship.
"$bpftool" gen object "$work/isochron_scx_bpf" "$work/isochron_scx.bpf.o"
(cd "$work" && ld -r -b binary -z noexecstack -o scx_object.o isochron_scx_bpf)
gcc -static -O2 -Wall -Wextra -Werror -s -ffile-prefix-map="$here=." -I "$x/usr/include" \
  -o "$out/isochron-scx" "$here/src/isochron_scx.c" "$here/src/selftest.c" "$here/src/serve.c" "$work/scx_object.o" \
  "$lib/libbpf.a" "$lib/libelf.a" "$lib/libz.a" "$lib/libzstd.a" -lpthread
echo "build.sh: $out/isochron-scx (toolchain $(paste -sd' ' "$tc/versions"))"
