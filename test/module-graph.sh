#!/usr/bin/env bash
# Prints swiftnet's module graph as Package.swift declares it: one line per target,
# "target <- its dependencies" (targets of this package, then products of others in brackets).
#   test/module-graph.sh           print it
#   test/module-graph.sh --check   compare it with the block in README.md; exit 1 if they differ
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
export PATH="$PATH:/opt/swift/usr/bin"
graph=$(cd "$here" && swift package dump-package | python3 -c '
import json, sys
package = json.load(sys.stdin)
for target in package["targets"]:
    own, other = [], []
    for dependency in target["dependencies"]:
        kind, value = next(iter(dependency.items()))
        if kind in ("byName", "target"):
            own.append(value[0])
        elif kind == "product":
            other.append(value[0])
    kind = {"regular": "", "executable": " (executable)", "test": " (tests)", "system-target": " (system library)"}.get(target["type"], "")
    parts = sorted(own) + ["[%s]" % name for name in sorted(other)]
    print("%s%s <- %s" % (target["name"], kind, " ".join(parts) if parts else "nothing"))
')
if [[ ${1:-} == --check ]]; then
    readme=$(sed -n '/<!-- module-graph:begin -->/,/<!-- module-graph:end -->/p' "$here/README.md" | sed '1,2d;$d' | sed '$d')
    if [[ "$readme" != "$graph" ]]; then
        echo "README.md's module graph differs from Package.swift (fix the README: test/module-graph.sh prints the graph):"
        diff <(echo "$readme") <(echo "$graph") || true
        exit 1
    fi
    echo "README module graph matches Package.swift"
else
    echo "$graph"
fi
