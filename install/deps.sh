#!/usr/bin/env bash
# Installs the Debian packages swiftnet needs to build and run (and, with --test, to run its
# tests). Idempotent: installs only what is missing. Needs root.
set -euo pipefail

runtime=(libmicrohttpd12 libnl-3-200 libnl-route-3-200 libsqlite3-0 iptables iproute2)
build=(libmicrohttpd-dev libnl-3-dev libnl-route-3-dev libsqlite3-dev pkg-config)
# dpkg-dev: dpkg-shlibdeps for install/package.sh (the Debian package test builds one).
# etcd-server: the etcd and multi-host tests start their own etcd on loopback.
# nftables: `nft -a` shows the kernel's rule handles, which tell whether a re-apply rewrote rules.
# sqlite3: tests edit a stopped server's state file the way another version would have.
# python3: small helpers in tests (a UDP listener in a container's namespace, state edits).
testing=(docker.io busybox-static procps curl systemd dpkg-dev etcd-server nftables sqlite3 python3)

want=("${runtime[@]}" "${build[@]}")
[[ "${1:-}" == "--test" ]] && want+=("${testing[@]}")

missing=()
for package in "${want[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
    echo "swiftnet: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v swift >/dev/null; then
    if [[ -x /opt/swift/usr/bin/swift ]]; then
        echo "swiftnet: using the Swift toolchain in /opt/swift/usr/bin (add it to PATH)" >&2
    else
        echo "swiftnet: a Swift 6 toolchain is needed to build (swift.org's Linux release; Debian has none)" >&2
        exit 1
    fi
fi
