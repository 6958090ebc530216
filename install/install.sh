#!/usr/bin/env bash
# swiftnet installer for a Debian host: installs the packages it needs, builds a release,
# installs /usr/local/bin/swiftnet, creates /var/lib/swiftnet (0700) and starts the server on
# /run/docker/plugins/swiftnet.sock. Idempotent: a second run with nothing changed does nothing.
#   install/install.sh              install and start
#   install/install.sh --uninstall  stop and remove (keeps the state; --purge removes it too)
#   install/install.sh --demo       install, then run the seed article's scenario: a frontend
#                                   container reaches a backend by name on a swiftnet network
# Also installs bash/zsh/fish completion and the man page swiftnet(1) under /usr/local/share.
# Without systemd, the server writes its log to /var/log/swiftnet.log itself and rotates it
# at 10 MiB, keeping 5 (`swiftnet serve --log-file`): such hosts often have no cron to run
# logrotate.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
# Overridable for tests; the socket is where dockerd looks for the driver "swiftnet".
prefix=${SWIFTNET_PREFIX:-/usr/local/bin}
state_dir=${SWIFTNET_STATE_DIR:-/var/lib/swiftnet}
pid_file=${SWIFTNET_PID_FILE:-/run/swiftnet.pid}
log_file=${SWIFTNET_LOG_FILE:-/var/log/swiftnet.log}
share=${SWIFTNET_SHARE:-/usr/local/share}
# Completion and the man page, where each shell and man look under /usr/local/share.
completion_files=("$share/bash-completion/completions/swiftnet" "$share/zsh/site-functions/_swiftnet"
                  "$share/fish/vendor_completions.d/swiftnet.fish")
man_page=$share/man/man1/swiftnet.1.gz
socket=/run/docker/plugins/swiftnet.sock
units=/etc/systemd/system
export PATH="$PATH:/opt/swift/usr/bin"

has_systemd() { [[ -d /run/systemd/system ]]; }

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
    if has_systemd && [[ -f $units/swiftnet.service ]]; then
        systemctl disable --now swiftnet.socket swiftnet.service || true
        rm -f "$units/swiftnet.socket" "$units/swiftnet.service"
        systemctl daemon-reload
    fi
    stop_server
    [[ -x $prefix/swiftnet ]] && "$prefix/swiftnet" remove-firewall >/dev/null 2>&1 || true
    # The chain-prefix locks' folder: empty unless another swiftnet still holds a prefix.
    rmdir /run/swiftnet 2>/dev/null || true
    rm -f "$prefix/swiftnet"
    rm -f "${completion_files[@]}" "$man_page"
    [[ -S $socket ]] && rm -f "$socket"
    if [[ "${2:-}" == "--purge" ]]; then rm -rf "$state_dir"; echo "swiftnet: state removed"; fi
    echo "swiftnet: uninstalled"
    exit 0
fi

"$here/install/deps.sh"
# SWIFTNET_BINARY installs a binary built already (the tests pass the release build, since a
# build here would wait for the lock their own `swift test` holds on .build).
if [[ -n ${SWIFTNET_BINARY:-} ]]; then
    built=$SWIFTNET_BINARY
else
    (cd "$here" && swift build -c release 2>&1 | tail -n 1)
    built="$here/.build/release/swiftnet"
fi
[[ -x $built ]] || { echo "install.sh: no swiftnet binary at $built" >&2; exit 1; }

changed=0
install -d -m 0755 "$prefix"
if ! cmp -s "$built" "$prefix/swiftnet"; then
    install -m 0755 "$built" "$prefix/swiftnet.new" && mv "$prefix/swiftnet.new" "$prefix/swiftnet"
    changed=1
fi
install -d -m 0700 "$state_dir"

# Writes stdin to $1 only when it differs (a second run with nothing changed changes nothing).
install_text() {
    local target=$1 new
    new=$(mktemp)
    cat >"$new"
    if cmp -s "$new" "$target"; then rm -f "$new"; return; fi
    install -d -m 0755 "$(dirname "$target")"
    install -m 0644 "$new" "$target"
    rm -f "$new"
}
# bash-completion sources its file: no #! line.
"$prefix/swiftnet" --generate-completion-script bash | sed '1{/^#!/d}' | install_text "${completion_files[0]}"
"$prefix/swiftnet" --generate-completion-script zsh | install_text "${completion_files[1]}"
"$prefix/swiftnet" --generate-completion-script fish | install_text "${completion_files[2]}"
# The man page comes from the command line's own help, through swift-argument-parser's
# generate-manual tool (`plugin generate-manual --help` builds only the tool). With
# SWIFTNET_BINARY the caller built the binary (and test/run.sh the tool): it is looked up.
manual_tool=${SWIFTNET_MANUAL_TOOL:-}
if [[ -z $manual_tool && -z ${SWIFTNET_BINARY:-} ]]; then
    (cd "$here" && swift package plugin generate-manual --help >/dev/null 2>&1) || true
fi
[[ -n $manual_tool ]] || manual_tool=$(find "$here/.build" -name generate-manual-tool -type f -perm -u+x 2>/dev/null | head -n 1)
if [[ -n $manual_tool && -x $manual_tool ]]; then
    pages=$(mktemp -d)
    # Dated by the binary, so that the page changes only with it.
    "$manual_tool" "$prefix/swiftnet" --date "$(date -u -r "$prefix/swiftnet" +%Y-%m-%d)" --section 1 --output-directory "$pages" >/dev/null
    gzip -9n <"$pages/swiftnet.1" | install_text "$man_page"
    rm -rf "$pages"
else
    echo "install.sh: no man page installed: swift-argument-parser's generate-manual tool is not built (swift package plugin generate-manual --help builds it)" >&2
fi

if has_systemd; then
    # Socket activation: systemd listens on the plugin socket before dockerd starts, starts
    # swiftnet on the first connection or at boot, and restarts it after a failure.
    for unit in swiftnet.socket swiftnet.service; do
        if ! cmp -s "$here/install/$unit" "$units/$unit"; then
            install -m 0644 "$here/install/$unit" "$units/$unit"
            changed=1
        fi
    done
    systemctl daemon-reload
    systemctl enable swiftnet.socket swiftnet.service >/dev/null
    if ((changed)); then systemctl restart swiftnet.socket swiftnet.service; else systemctl start swiftnet.socket swiftnet.service; fi
    echo "swiftnet: installed as swiftnet.socket + swiftnet.service (systemd), socket $socket"
elif pid=$(running_pid) && ((changed == 0)); then
    echo "swiftnet: already installed and running (pid $pid); nothing to do"
else
    stop_server
    # No systemd here: start in the background with a pid file and a log file. Nothing will
    # start it at boot; run this script again after a reboot (or use a systemd host).
    # The server gets no descriptor of ours but the log: a caller waiting for this script to
    # end (a pipe, a test harness) must not wait for the server too.
    (
        for fd in /proc/self/fd/*; do
            n=${fd##*/}
            ((n > 2)) && eval "exec $n>&-" 2>/dev/null
        done
        # The server writes and rotates the log itself (--log-file); the redirection only
        # catches what it prints before it has opened the file.
        exec nohup "$prefix/swiftnet" serve --socket "$socket" --state "$state_dir/swiftnet.db" --log-file "$log_file" \
            </dev/null >>"$log_file" 2>&1
    ) &
    echo $! >"$pid_file"
    for _ in $(seq 1 100); do [[ -S $socket ]] && break; sleep 0.05; done
    [[ -S $socket ]] || { echo "swiftnet: did not start; see $log_file" >&2; tail -n 5 "$log_file" >&2; exit 1; }
    echo "swiftnet: no systemd here; running in the background (pid $(cat "$pid_file")), log $log_file, socket $socket"
fi

if [[ "${1:-}" == "--demo" ]]; then
    docker=/usr/bin/docker
    if ! timeout 10 "$docker" version >/dev/null 2>&1; then
        echo "swiftnet demo: no Docker answers; installing and starting Debian's docker.io"
        "$here/install/deps.sh" --test
        if has_systemd; then systemctl start docker; else "$here/test/dockerd.sh"; fi
    fi
    image=busybox:latest
    if ! "$docker" image inspect "$image" >/dev/null 2>&1 && ! timeout 30 "$docker" pull "$image" >/dev/null 2>&1; then
        echo "swiftnet demo: no registry reachable; importing a busybox image from this host"
        "$here/test/dockerd.sh" >/dev/null
        image=bb:latest
    fi
    network=swiftnet-demo
    cleanup() {
        "$docker" rm -f swiftnet-demo-backend >/dev/null 2>&1 || true
        "$docker" network rm "$network" >/dev/null 2>&1 || true
    }
    trap cleanup EXIT
    cleanup
    set -x
    "$docker" network create -d swiftnet --ipam-driver swiftnet "$network"
    "$docker" run -d --name swiftnet-demo-backend --network "$network" --network-alias backend --dns 127.0.0.1 "$image" \
        sh -c 'mkdir -p /www && echo "hello from backend" > /www/index.html && exec httpd -f -p 8080 -h /www'
    # The frontend finds the backend by name through Docker's embedded DNS (127.0.0.11).
    "$docker" run --rm --network "$network" --dns 127.0.0.1 "$image" sh -c \
        'for i in 1 2 3 4 5; do ip=$(nslookup backend 127.0.0.11 | awk "/^Address/ {a=\$NF} END {print a}"); [ -n "$ip" ] && wget -q -O - "http://$ip:8080/" && exit 0; sleep 1; done; exit 1'
    "$docker" network inspect "$network"
    set +x
    echo "swiftnet demo: the frontend reached backend:8080 by name on a swiftnet network; removing it"
    exit 0
fi

cat <<MSG

Create a first network:
  docker network create -d swiftnet --ipam-driver swiftnet mynet
  docker run --rm --network mynet busybox ip addr
MSG
