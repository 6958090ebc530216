#!/usr/bin/env bash
# A dockerd for the end-to-end tests, and the busybox image they run (bb:latest), with no
# registry. Idempotent: starts dockerd only when `/usr/bin/docker version` does not answer on
# the default socket, imports the image only when it is missing. Needs root.
#
#   test/dockerd.sh          start (if needed), wait until it answers, import bb:latest
#   test/dockerd.sh --stop   stop the dockerd this script started (the pid in its pid file)
#
# Always /usr/bin/docker: the `docker` first on PATH may be a newer CLI that refuses flags.
set -euo pipefail

docker=/usr/bin/docker
data_root=/var/lib/swiftnet-test-docker
exec_root=/run/swiftnet-test-docker
pid_file=/run/swiftnet-test-dockerd.pid
log_file=/var/log/swiftnet-test-dockerd.log
image=bb:latest
wait_seconds=60

say() { echo "dockerd.sh: $*"; }

answers() { timeout 10 "$docker" version >/dev/null 2>&1; }

# The pid in our pid file, if that process is alive and is the dockerd we start (its command
# line names our data root): never a pid that was reused by something else.
our_pid() {
    [[ -r $pid_file ]] || return 1
    local pid
    pid=$(tr -dc '0-9' <"$pid_file")
    [[ -n $pid && -r /proc/$pid/cmdline ]] || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "dockerd.*--data-root $data_root" || return 1
    echo "$pid"
}

stop() {
    local pid
    if ! pid=$(our_pid); then
        say "no dockerd of ours is running (pid file $pid_file); nothing to stop"
        return 0
    fi
    say "stopping dockerd pid $pid (SIGTERM)"
    kill -TERM "$pid"
    for ((i = 0; i < 30 * 5; i++)); do
        [[ -d /proc/$pid ]] || break
        sleep 0.2
    done
    if [[ -d /proc/$pid ]]; then
        say "dockerd pid $pid still running after 30 s; sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        sleep 1
    fi
    say "dockerd stopped"
}

start() {
    if answers; then
        say "dockerd already answers on the default socket; not starting one"
        return 0
    fi
    local pid
    if pid=$(our_pid); then
        say "dockerd pid $pid (ours) is running but not answering yet; waiting for it"
    else
        # A stale pid file makes dockerd refuse to start.
        [[ -e $pid_file ]] && { say "removing stale pid file $pid_file"; rm -f "$pid_file"; }
        mkdir -p "$data_root" "$exec_root" "$(dirname "$log_file")"
        say "starting dockerd (data root $data_root, log $log_file)"
        # setsid: dockerd (and the containerd it runs) must not die with this shell or get
        # its terminal's signals; it outlives this script until --stop.
        setsid dockerd \
            --data-root "$data_root" \
            --exec-root "$exec_root" \
            --pidfile "$pid_file" \
            --dns 127.0.0.1 \
            --host unix:///var/run/docker.sock \
            >>"$log_file" 2>&1 </dev/null &
        pid=$!
        disown || true
    fi
    say "waiting up to ${wait_seconds} s for dockerd to answer"
    local deadline=$((SECONDS + wait_seconds))
    until answers; do
        if ((SECONDS >= deadline)); then
            say "dockerd did not answer within ${wait_seconds} s; last log lines:"
            tail -n 20 "$log_file" | sed 's/^/    /'
            exit 1
        fi
        if [[ ! -d /proc/$pid ]]; then
            say "dockerd (pid $pid) exited; last log lines:"
            tail -n 20 "$log_file" | sed 's/^/    /'
            exit 1
        fi
        sleep 0.5
    done
    say "dockerd answers ($("$docker" version --format '{{.Server.Version}}' 2>/dev/null))"
}

import_image() {
    if "$docker" image inspect "$image" >/dev/null 2>&1; then
        say "image $image already present"
        return 0
    fi
    local busybox=/bin/busybox
    [[ -x $busybox ]] || { say "$busybox is missing (Debian package busybox-static)"; exit 1; }
    local root
    root=$(mktemp -d /tmp/swiftnet-bb.XXXXXX)
    say "building a busybox root in $root"
    mkdir -p "$root"/{bin,etc,tmp,www,root,proc,sys,dev}
    chmod 1777 "$root/tmp"
    cp "$busybox" "$root/bin/busybox"
    local applet
    for applet in $("$busybox" --list); do
        [[ $applet == busybox ]] && continue
        ln -s busybox "$root/bin/$applet"
    done
    # Docker's default PATH looks in these too.
    ln -s bin "$root/sbin"
    mkdir -p "$root/usr"
    ln -s ../bin "$root/usr/bin"
    ln -s ../bin "$root/usr/sbin"
    printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$root/etc/passwd"
    printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
    echo "swiftnet e2e" >"$root/www/index.html"
    say "importing $image ($("$busybox" --list | wc -l) applets)"
    local status=0
    tar -C "$root" -c . | "$docker" import --change 'CMD ["sh"]' - "$image" >/dev/null || status=$?
    rm -rf "$root"
    ((status == 0)) || { say "docker import failed (status $status)"; exit 1; }
    say "image $image imported"
}

case "${1:-}" in
    --stop) stop ;;
    "") start; import_image ;;
    *) echo "usage: $0 [--stop]" >&2; exit 2 ;;
esac
