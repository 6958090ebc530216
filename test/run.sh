#!/usr/bin/env bash
# Runs every swiftnet test on this host: installs what a fresh Debian host lacks, builds, and
# runs the XCTest suites (unit, protocol over the real socket, netlink in namespaces, and
# end-to-end on a real dockerd). Needs root. Ends with one "N passed, N failed" line.
set -uo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
export PATH="$PATH:/opt/swift/usr/bin"

install/deps.sh --test || exit 1

# The end-to-end tests need a dockerd (and the busybox image bb:latest); start one unless one
# answers already, and stop it at the end only if this run started it.
started_dockerd=0
/usr/bin/docker version >/dev/null 2>&1 || started_dockerd=1
stop_dockerd() { ((started_dockerd)) && test/dockerd.sh --stop >&2; started_dockerd=0; }
trap stop_dockerd EXIT
test/dockerd.sh || exit 1

# The README's module graph must be the one Package.swift declares.
graph_ok=1
test/module-graph.sh --check || graph_ok=0

swift build --build-tests 2>&1 | grep -E "error|warning: .*swiftnet|Compiling|Build" | grep -v "^Compiling" | tail -n 20
[[ ${PIPESTATUS[0]} == 0 ]] || { echo "build failed"; exit 1; }
# The install and managed-plugin tests install the release binary; `swift test` holds the
# lock on .build while it runs, so they cannot build it themselves. (The Debian package test
# builds its own, statically linked, in .build-package/ through install/package.sh.)
swift build -c release 2>&1 | grep -E "error|Build" | tail -n 5
[[ ${PIPESTATUS[0]} == 0 ]] || { echo "release build failed"; exit 1; }
# The install test installs the man page through swift-argument-parser's generate-manual
# tool, which install.sh cannot build from inside `swift test` either (`--help` builds only it).
swift package plugin generate-manual --help >/dev/null 2>&1 || { echo "could not build generate-manual-tool"; exit 1; }

# One `swift test` per group, so that a crash of the test process (not of swiftnet, which runs
# as its own process) costs one group, which is then run once more; the counts are those of
# each group's last run.
groups=(
    "--skip DockerEndToEndTests --skip DockerRestartTests --skip ManagedPluginTests --skip InstallScriptTests --skip DebianPackageTests"
    "--filter DockerEndToEndTests"
    "--filter DockerRestartTests"
    "--filter ManagedPluginTests|InstallScriptTests|DebianPackageTests"
)
passed=0 failed=0 skipped=0 status=0
for group in "${groups[@]}"; do
    for attempt in 1 2; do
        log=$(mktemp)
        # Swift Testing has no tests here; its empty summary would read as "no test ran".
        # shellcheck disable=SC2086
        swift test --skip-build --disable-swift-testing $group 2>&1 | tee "$log" | grep -E "error:|failed|Executed|passed \(|skipped|signal"
        code=${PIPESTATUS[0]}
        if grep -q "exited with unexpected signal" "$log" && ((attempt == 1)); then
            echo "test process crashed in group '$group'; running the group once more"
            rm -f "$log"
            continue
        fi
        break
    done
    ((code == 0)) || status=$code
    passed=$((passed + $(grep -cE "^Test Case '.*' passed" "$log")))
    failed=$((failed + $(grep -cE "^Test Case '.*' failed" "$log")))
    skipped=$((skipped + $(grep -cE "^Test Case '.*' skipped|Test skipped" "$log")))
    rm -f "$log"
done
stop_dockerd
if ((graph_ok)); then passed=$((passed + 1)); else failed=$((failed + 1)); status=1; fi
echo "tests: $passed passed, $failed failed, $skipped skipped"
((passed > 0)) || status=1
exit "$status"
