#!/usr/bin/env bash
# Packages swiftnet as a managed Docker plugin (`docker plugin create`) and enables it.
#
#   plugin/build.sh              release build, rootfs, (re)create and enable swiftnet:latest
#   plugin/build.sh --no-enable  the same, but leave the plugin disabled (to `docker plugin set` first)
#   plugin/build.sh --remove     disable and remove the plugin (its state folder stays)
#
# Further options (the tests use them): --name NAME (plugin NAME:latest, default swiftnet),
# --dir DIR (package folder, default plugin/build), --binary PATH (package this swiftnet
# binary instead of building a release).
#
# The package folder gets config.json and rootfs/: the binary at /usr/bin/swiftnet, every shared
# library it and the iptables tools load (found with ldd, at the same paths as on this host,
# the dynamic loader too), the iptables/ip6tables tools (-save, -restore) of this host's
# backend (nft or legacy) in /usr/sbin, the xtables extensions, and the few /etc files
# iptables reads. Idempotent: the folder is rebuilt and an existing plugin of the same name
# is removed first (`docker plugin rm -f`; networks made with it keep working once the new
# one is enabled, their state is in the state folder).
#
# Never install the plugin beside the host service (install/install.sh): while a managed
# plugin swiftnet:latest exists, dockerd resolves the driver name `swiftnet` to it, not to
# /run/docker/plugins/swiftnet.sock. Always /usr/bin/docker (the `docker` first on PATH may be
# a newer CLI).
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
docker=/usr/bin/docker
name=swiftnet
dir=$here/plugin/build
binary=
enable=1
remove=0
state_dir=/var/lib/swiftnet
export PATH="$PATH:/opt/swift/usr/bin"

say() { echo "plugin/build.sh: $*"; }
die() { echo "plugin/build.sh: $*" >&2; exit 1; }

while (($#)); do
    case "$1" in
        --no-enable) enable=0 ;;
        --remove) remove=1 ;;
        --name) name=${2:?--name needs a value}; shift ;;
        --dir) dir=${2:?--dir needs a value}; shift ;;
        --binary) binary=${2:?--binary needs a value}; shift ;;
        -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown option $1 (see --help)" ;;
    esac
    shift
done
[[ $name =~ ^[a-z0-9][a-z0-9._-]*$ ]] || die "--name: lower-case letters, digits, '.', '_', '-' only (no tag)"
plugin=$name:latest
[[ $(id -u) == 0 ]] || die "run as root (docker plugin create, and the plugin manages network devices)"
"$docker" version >/dev/null 2>&1 || die "no dockerd answers $docker version"

exists() { "$docker" plugin inspect --format '{{.Id}}' "$plugin" >/dev/null 2>&1; }

remove_plugin() {
    exists || return 0
    if [[ $("$docker" plugin inspect --format '{{.Enabled}}' "$plugin") == true ]]; then
        # -f: also when networks still use it (their records stay in the state folder).
        "$docker" plugin disable -f "$plugin" >/dev/null
    fi
    "$docker" plugin rm -f "$plugin" >/dev/null
    say "removed $plugin"
}

if ((remove)); then
    remove_plugin
    exit 0
fi

# --- the binary -----------------------------------------------------------------------------
if [[ -z $binary ]]; then
    say "swift build -c release"
    (cd "$here" && swift build -c release 2>&1 | tail -n 3) || die "swift build -c release failed"
    binary=$here/.build/release/swiftnet
fi
[[ -x $binary ]] || die "$binary is not an executable"

# --- rootfs ---------------------------------------------------------------------------------
rootfs=$dir/rootfs
rm -rf "$rootfs"
mkdir -p "$rootfs"/{usr/bin,usr/sbin,usr/lib,usr/lib64,etc,proc,sys,dev,tmp,run/docker/plugins,var/lib/swiftnet,host/proc/sys/net}
chmod 1777 "$rootfs/tmp"
# Debian 12's merged /usr: /lib, /lib64, /bin, /sbin are links into /usr, so the paths ldd
# prints (/lib/x86_64-linux-gnu/…, /lib64/ld-linux-x86-64.so.2) work in the rootfs too.
ln -s usr/lib "$rootfs/lib"
ln -s usr/lib64 "$rootfs/lib64"
ln -s usr/bin "$rootfs/bin"
ln -s usr/sbin "$rootfs/sbin"

# Copies a file to the same path in the rootfs, following links (a library is copied under
# the name the loader asks for).
place() {
    local source=$1 target=$rootfs$1
    [[ -e $target ]] && return 0
    mkdir -p "$(dirname "$target")"
    cp -L --preserve=mode "$source" "$target"
}

# Every library ldd resolves for a file, and the loader.
libraries() {
    local file=$1 out
    out=$(ldd "$file" 2>&1) || die "ldd $file: $out"
    if grep -q "not found" <<<"$out"; then die "ldd $file: a library is missing: $(grep 'not found' <<<"$out")"; fi
    # "libx.so => /path (0x…)" and "/lib64/ld-linux-x86-64.so.2 (0x…)"
    awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' <<<"$out"
}

copy_with_libraries() {
    local file=$1 library
    while read -r library; do
        [[ -n $library ]] && place "$library"
    done < <(libraries "$file")
}

cp --preserve=mode "$binary" "$rootfs/usr/bin/swiftnet"
copy_with_libraries "$binary"

# The iptables tools swiftnet runs (SwiftnetFirewall: /usr/sbin/{iptables,ip6tables}{,-save,-restore}),
# as this host has them: all are links to one multi-call binary (xtables-nft-multi or
# xtables-legacy-multi) that picks the tool by the name it is called with.
multi=$(readlink -f /usr/sbin/iptables) || die "/usr/sbin/iptables is missing (Debian package iptables)"
[[ -x $multi ]] || die "/usr/sbin/iptables ($multi) is not executable"
cp --preserve=mode "$multi" "$rootfs/usr/sbin/$(basename "$multi")"
copy_with_libraries "$multi"
for tool in iptables iptables-save iptables-restore ip6tables ip6tables-save ip6tables-restore; do
    [[ $(readlink -f "/usr/sbin/$tool") == "$multi" ]] || die "/usr/sbin/$tool is not $multi: mixed iptables backends"
    ln -s "$(basename "$multi")" "$rootfs/usr/sbin/$tool"
done
# The extensions (libxt_*.so, libipt_*.so, libip6t_*.so) are in xtables/ beside libxtables.
libxtables=$(libraries "$multi" | grep '/libxtables\.so' | head -n 1) || die "$multi does not link libxtables"
xtables=$(dirname "$(readlink -f "$libxtables")")/xtables
[[ -d $xtables ]] || die "no xtables extension folder ($xtables)"
mkdir -p "$rootfs$xtables"
for module in "$xtables"/*.so; do
    place "$module"
    copy_with_libraries "$module"
done
# iptables reads protocol names (-p tcp), ethertypes (nft's ebtables code) and, for the legacy
# backend, takes a lock under /run (created on demand; /run is in the rootfs).
for file in /etc/protocols /etc/services /etc/ethertypes; do
    [[ -e $file ]] && place "$file"
done
# Mount points dockerd binds over (network type host: /etc/hosts and /etc/resolv.conf, read-only).
: >"$rootfs/etc/hosts"
: >"$rootfs/etc/resolv.conf"

cp "$here/plugin/config.json" "$dir/config.json"
say "rootfs $(du -sh "$rootfs" | cut -f1) in $rootfs"

# --- the plugin -----------------------------------------------------------------------------
# The state folder is bind-mounted from the host (mount `state`, settable source); runc fails
# to start the plugin when the source is missing, so make the default one.
mkdir -p -m 0700 "$state_dir"

remove_plugin
"$docker" plugin create "$plugin" "$dir" >/dev/null
say "created $plugin"
if ((enable)); then
    "$docker" plugin enable "$plugin" >/dev/null
    say "enabled $plugin: docker network create -d $plugin --ipam-driver $plugin NAME"
else
    say "not enabled (--no-enable): docker plugin set $plugin …; docker plugin enable $plugin"
fi
