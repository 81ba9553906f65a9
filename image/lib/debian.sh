# Debian packages for the images, fetched and unpacked, never installed on the build machine.
# Sourced by image/firmware/build.sh (bash); see docs/firmware.md.
#
#   deb_init CACHE          cache directory (outside the clone: downloads survive a fresh clone)
#   deb_view NAME SUITE...  a private apt view of other suites of the machine's own Debian mirror
#   deb_version VIEW PKG    the version of PKG that VIEW offers ("" if none); VIEW "host" = the machine's apt
#   deb_fetch VIEW PKG VER  sets $deb_file to the cached .deb, checked against the archive's SHA256
#
# Functions call deb_die (default: print and exit 2) with one line naming what went wrong.

deb_die() { echo "${0##*/}: $*" >&2; exit 2; }

deb_init() {
  deb_cache=$1
  mkdir -p "$deb_cache/debs" "$deb_cache/views" || deb_die "cannot create the package cache $deb_cache"
  deb_cache=$(cd "$deb_cache" && pwd)
}

# The machine's own Debian mirror, from its apt sources (deb822 or one-line format): the URI that
# serves the main archive (not -security). Never written into the repository.
deb_mirror() {
  local uri
  uri=$(awk 'tolower($1)=="uris:" {u=$2} tolower($1)=="suites:" && u!="" && $0 !~ /-security/ {print u; exit}' \
    /etc/apt/sources.list.d/*.sources 2>/dev/null)
  if [[ -z $uri ]]; then
    uri=$(awk '$1=="deb" {for (i=2;i<=NF;i++) if ($i ~ /^[a-z]+:\/\//) {if ($(i+1) !~ /-security/) {print $i; exit}}}' \
      /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null)
  fi
  [[ -n $uri ]] || deb_die "no Debian mirror found in /etc/apt/sources.list or /etc/apt/sources.list.d/*.sources"
  printf '%s\n' "${uri%/}"
}

# apt options of a view: its own sources list, lists and cache, nothing of the machine's configuration.
deb_opts() {
  local dir=$deb_cache/views/$1
  if [[ $1 == host ]]; then
    deb_apt=(-o APT::Sandbox::User=root)
  else
    deb_apt=(-o "Dir::Etc::SourceList=$dir/sources.list" -o Dir::Etc::SourceParts=/dev/null
      -o "Dir::State::Lists=$dir/lists" -o "Dir::Cache=$dir/cache" -o Dir::State::Status=/dev/null
      -o APT::Sandbox::User=root -o Acquire::Languages=none)
  fi
}

deb_view() {
  local name=$1 dir=$deb_cache/views/$1 mirror suite
  shift
  mirror=$(deb_mirror)
  mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial"
  for suite in "$@"; do
    printf 'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] %s %s main\n' "$mirror" "$suite"
  done >"$dir/sources.list.new"
  # Lists older than a day are refreshed: backports and sid move, and the versions they name go.
  if ! cmp -s "$dir/sources.list.new" "$dir/sources.list" 2>/dev/null \
    || [[ -z $(find "$dir/lists" -maxdepth 1 -name '*Packages*' -mmin -1440 -print -quit 2>/dev/null) ]]; then
    mv "$dir/sources.list.new" "$dir/sources.list"
    deb_refresh "$name"
  else
    rm -f "$dir/sources.list.new"
  fi
}

deb_refresh() {
  deb_opts "$1"
  if [[ $1 == host ]]; then
    apt-get update -qq >/dev/null || deb_die "apt-get update failed (the machine's Debian sources)"
  else
    apt-get "${deb_apt[@]}" update -qq >/dev/null 2>"$deb_cache/views/$1/update.err" \
      || deb_die "apt-get update of suites $(awk '{print $4}' "$deb_cache/views/$1/sources.list" | paste -sd' ')" \
        "failed: $(tail -1 "$deb_cache/views/$1/update.err")"
  fi
}

deb_version() {
  deb_opts "$1"
  apt-cache "${deb_apt[@]}" policy "$2" 2>/dev/null | awk '/Candidate:/ {if ($2 != "(none)") print $2}'
}

# Names of the packages in VIEW matching the extended regular expression.
deb_names() {
  deb_opts "$1"
  apt-cache "${deb_apt[@]}" pkgnames 2>/dev/null | grep -E "$2" || true
}

deb_sha256() {
  deb_opts "$1"
  apt-cache "${deb_apt[@]}" show "$2=$3" 2>/dev/null | awk '/^SHA256:/ && !found {print $2; found = 1}'
}

# A cached .deb is used when it matches the SHA256 of the archive's index or, once the archive no
# longer has that version, the SHA256 the index gave when it was downloaded (kept beside it).
deb_fetch() {
  local view=$1 pkg=$2 ver=$3 want tmp
  deb_file="$deb_cache/debs/${pkg}_${ver//:/%3a}_amd64.deb"
  want=$(deb_sha256 "$view" "$pkg" "$ver")
  if [[ -z $want && -s $deb_file.sha256 ]]; then
    want=$(cat "$deb_file.sha256")
  fi
  if [[ -n $want && -s $deb_file ]] && [[ $(sha256sum "$deb_file" | cut -d' ' -f1) == "$want" ]]; then
    return
  fi
  if [[ -z $want ]]; then
    deb_refresh "$view"
    want=$(deb_sha256 "$view" "$pkg" "$ver")
    [[ -n $want ]] || deb_die "$pkg $ver is not in the archive's index (any more) and not in the cache $deb_cache"
  fi
  tmp=$(mktemp -d "$deb_cache/dl.XXXXXX")
  deb_opts "$view"
  if ! (cd "$tmp" && apt-get "${deb_apt[@]}" -qq download "$pkg=$ver" >/dev/null 2>"$tmp/err"); then
    deb_die "apt-get download $pkg=$ver failed: $(tail -1 "$tmp/err")"
  fi
  [[ $(sha256sum "$tmp"/*.deb | cut -d' ' -f1) == "$want" ]] \
    || deb_die "$pkg $ver: downloaded file does not match the archive's SHA256 $want"
  mv "$tmp"/*.deb "$deb_file"
  echo "$want" >"$deb_file.sha256"
  rm -rf "$tmp"
}

# True when VIEW's index or the cache has PKG at VER.
deb_available() {
  [[ -n $(deb_sha256 "$1" "$2" "$3") || -s "$deb_cache/debs/${2}_${3//:/%3a}_amd64.deb.sha256" ]]
}

# Kernel modules in load order: deb_modules DIR NAME... prints the paths of NAME and everything it
# depends on (modinfo's depends=, read from the module itself), dependencies first. Modules are
# .ko or .ko.xz files under DIR.
deb_modules() {
  local dir=$1 f m
  shift
  declare -A path=() seen=()
  local -a order=()
  while IFS= read -r -d '' f; do
    m=${f##*/}; m=${m%.xz}; m=${m%.ko}; path[${m//-/_}]=$f
  done < <(find "$dir" \( -name '*.ko' -o -name '*.ko.xz' \) -print0)
  _deb_visit() {
    local n=${1//-/_} d
    [[ -n ${seen[$n]:-} ]] && return
    seen[$n]=1
    [[ -n ${path[$n]:-} ]] || deb_die "kernel module $1 is not in $dir"
    for d in $(xz -dcf "${path[$n]}" | tr '\0' '\n' | sed -n 's/^depends=//p' | tr ',' ' '); do _deb_visit "$d"; done
    order+=("${path[$n]}")
  }
  for m in "$@"; do _deb_visit "$m"; done
  printf '%s\n' "${order[@]}"
}
