#!/usr/bin/env bash
# swiftnet installer for a Debian host: installs the packages it needs, builds a release,
# installs /usr/local/bin/swiftnet, creates /var/lib/swiftnet (0700) and starts the server on
# /run/docker/plugins/swiftnet.sock. Idempotent: a second run with nothing changed does nothing.
#   install/install.sh              install and start
#   install/install.sh --uninstall  stop and remove (keeps the state; --purge removes it too)
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
prefix=/usr/local/bin
state_dir=/var/lib/swiftnet
pid_file=/run/swiftnet.pid
log_file=/var/log/swiftnet.log
socket=/run/docker/plugins/swiftnet.sock
export PATH="$PATH:/opt/swift/usr/bin"

[[ $(id -u) == 0 ]] || { echo "install.sh: run as root (it installs packages and manages network devices)" >&2; exit 1; }

running_pid() {
    [[ -f $pid_file ]] || return 1
    local pid; pid=$(cat "$pid_file")
    [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null && [[ $(readlink "/proc/$pid/exe" 2>/dev/null) == "$prefix/swiftnet"* ]] && echo "$pid"
}

stop_server() {
    local pid
    if pid=$(running_pid); then
        kill -TERM "$pid"
        for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
        echo "swiftnet: stopped (pid $pid)"
    fi
    rm -f "$pid_file"
}

if [[ "${1:-}" == "--uninstall" ]]; then
    stop_server
    rm -f "$prefix/swiftnet"
    if [[ "${2:-}" == "--purge" ]]; then rm -rf "$state_dir"; echo "swiftnet: state removed"; fi
    echo "swiftnet: uninstalled"
    exit 0
fi

"$here/install/deps.sh"
(cd "$here" && swift build -c release 2>&1 | tail -n 1)
built="$here/.build/release/swiftnet"

changed=0
if ! cmp -s "$built" "$prefix/swiftnet"; then
    install -m 0755 "$built" "$prefix/swiftnet.new" && mv "$prefix/swiftnet.new" "$prefix/swiftnet"
    changed=1
fi
install -d -m 0700 "$state_dir"

if pid=$(running_pid) && ((changed == 0)); then
    echo "swiftnet: already installed and running (pid $pid); nothing to do"
else
    stop_server
    # No systemd here: start in the background with a pid file and a log file.
    nohup "$prefix/swiftnet" serve --socket "$socket" --state "$state_dir/swiftnet.db" >>"$log_file" 2>&1 &
    echo $! >"$pid_file"
    for _ in $(seq 1 100); do [[ -S $socket ]] && break; sleep 0.05; done
    [[ -S $socket ]] || { echo "swiftnet: did not start; see $log_file" >&2; tail -n 5 "$log_file" >&2; exit 1; }
    echo "swiftnet: running in the background (pid $(cat "$pid_file")), log $log_file, socket $socket"
fi

cat <<MSG

Create a first network:
  docker network create -d swiftnet --ipam-driver swiftnet mynet
  docker run --rm --network mynet busybox ip addr
MSG
