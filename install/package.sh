#!/usr/bin/env bash
# Builds the Debian package swiftnet_<version>_<arch>.deb, for hosts without a Swift toolchain.
#
#   install/package.sh                  build; the .deb goes to the current folder
#   install/package.sh --output DIR     ... to DIR
#   install/package.sh --version V      stamp version V instead of the tree's (test builds)
#   install/package.sh --print-version  print the tree's version and exit
#
# The version is the one of `swiftnet --version`: `Plugin.version` in
# Sources/SwiftnetPlugin/Plugin.swift, read from there. --version V builds a copy of
# the sources with V in that line, so the binary and the package always agree.
#
# A release build (its own scratch folder .build-package/, so it never waits for or
# disturbs the lock `swift build`/`swift test` hold on .build) with the Swift runtime linked
# statically: the package depends only on Debian packages (Depends from dpkg-shlibdeps, plus
# iptables), none copied in. Contents: /usr/bin/swiftnet (stripped), /usr/sbin/swiftnet-daemon
# (hosts without systemd), the systemd units of install/ pointed at /usr/bin, man pages,
# bash/zsh/fish completion, and the maintainer scripts of install/deb/.
# Needs the Swift toolchain (PATH or /opt/swift), dpkg-dev and binutils; not root.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
version_file=$here/Sources/SwiftnetPlugin/Plugin.swift
work=$here/.build-package
output=$PWD
version=
export PATH="$PATH:/opt/swift/usr/bin"

say() { echo "install/package.sh: $*"; }
die() { echo "install/package.sh: $*" >&2; exit 1; }

# The one line that holds the version; the package and the binary take it from here.
# `package` since the package dropped `public` (a package with no library product).
version_pattern='^\( *package static let version = "\)\([^"]*\)\("\)$'
tree_version() {
    local found
    found=$(sed -n "s/$version_pattern/\\2/p" "$version_file")
    [[ $(wc -l <<<"$found") == 1 && -n $found ]] || die "no single 'package static let version = \"…\"' line in $version_file"
    echo "$found"
}

while (($#)); do
    case "$1" in
        --output) output=${2:?--output needs a folder}; shift ;;
        --version) version=${2:?--version needs a value}; shift ;;
        --print-version) tree_version; exit 0 ;;
        -h|--help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown option $1 (see --help)" ;;
    esac
    shift
done
[[ -n $version ]] || version=$(tree_version)
# A Debian version without a revision (a native package); it is also a Swift string literal.
[[ $version =~ ^[0-9][A-Za-z0-9.+~]*$ ]] || die "version '$version': digits, letters, '.', '+', '~' only, starting with a digit"
for tool in swift dpkg-deb dpkg-shlibdeps strip; do
    command -v "$tool" >/dev/null || die "$tool is missing (Swift toolchain; Debian packages dpkg-dev, binutils)"
done
arch=$(dpkg --print-architecture)
mkdir -p "$output"
output=$(cd "$output" && pwd)
mkdir -p "$work"
# One build at a time per tree (the staged sources are shared).
exec 9>"$work/lock"
flock 9

# --- the sources, with the version stamped ------------------------------------------------
# A copy that changes only what changed (mtimes kept), so that SwiftPM rebuilds only what a
# new version or edit touches.
stage=$work/source
sync_file() {
    local source=$1 target=$2
    cmp -s "$source" "$target" && return 0
    mkdir -p "$(dirname "$target")"
    cp -p "$source" "$target"
}
mkdir -p "$stage"
while IFS= read -r -d '' file; do
    [[ $file == Sources/SwiftnetPlugin/Plugin.swift ]] && continue
    sync_file "$here/$file" "$stage/$file"
done < <(cd "$here" && find Package.swift Package.resolved Sources Tests -type f -print0 2>/dev/null)
while IFS= read -r -d '' file; do
    [[ -e $here/$file ]] || rm -f "$stage/$file"
done < <(cd "$stage" && find . -type f -printf '%P\0')
stamped=$(mktemp)
sed "s/$version_pattern/\\1$version\\3/" "$version_file" >"$stamped"
grep -qF "package static let version = \"$version\"" "$stamped" || die "could not stamp the version into $version_file"
if cmp -s "$stamped" "$stage/Sources/SwiftnetPlugin/Plugin.swift"; then rm -f "$stamped"; else mv "$stamped" "$stage/Sources/SwiftnetPlugin/Plugin.swift"; fi

# --- the build ------------------------------------------------------------------------------
scratch=$work/scratch
say "swift build -c release --static-swift-stdlib (version $version)"
build_log=$work/build.log
# No $ORIGIN run path (nothing is loaded from beside the binary); symbols bound at start (BIND_NOW).
if ! (cd "$stage" && swift build -c release --static-swift-stdlib --disable-local-rpath -Xlinker -z -Xlinker now \
        --scratch-path "$scratch" --product swiftnet >"$build_log" 2>&1); then
    tail -n 30 "$build_log" >&2
    die "swift build failed (log $build_log)"
fi
built=$scratch/release/swiftnet
[[ $("$built" --version) == "$version" ]] || die "$built --version says $("$built" --version), not $version"
if ldd "$built" | grep -q "/opt/swift\|libswift\|not found"; then
    die "the Swift runtime is not linked statically: $(ldd "$built" | grep '/opt/swift\|libswift\|not found')"
fi

# The man page comes from the command line's own help (swift-argument-parser's
# generate-manual tool; `--help` only builds the tool).
(cd "$stage" && swift package --scratch-path "$scratch" plugin generate-manual --help >>"$build_log" 2>&1) \
    || die "could not build swift-argument-parser's generate-manual tool (log $build_log)"
manual_tool=$(find "$scratch" -name generate-manual-tool -type f -perm -u+x | head -n 1)
[[ -n $manual_tool ]] || die "no generate-manual-tool in $scratch"

# --- the tree -------------------------------------------------------------------------------
# Reproducible dates: the last commit's (dpkg-deb clamps file times to SOURCE_DATE_EPOCH).
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git -C "$here" log -1 --format=%ct 2>/dev/null || date +%s)}
root=$work/root
rm -rf "$root"
umask 022
mkdir -p "$root"/{DEBIAN,usr/bin,usr/sbin,lib/systemd/system,usr/share/man/man1,usr/share/man/man8} \
    "$root"/usr/share/{doc/swiftnet,bash-completion/completions,zsh/vendor-completions,fish/vendor_completions.d}

install -m 0755 "$built" "$root/usr/bin/swiftnet"
# As dh_strip does; the package has no debug symbols.
strip --strip-unneeded --remove-section=.comment --remove-section=.note "$root/usr/bin/swiftnet"
install -m 0755 "$here/install/deb/swiftnet-daemon" "$root/usr/sbin/swiftnet-daemon"

for unit in swiftnet.socket swiftnet.service; do
    sed -e 's#/usr/local/bin/swiftnet#/usr/bin/swiftnet#g' \
        -e 's#^Documentation=.*#Documentation=man:swiftnet(1)#' "$here/install/$unit" >"$root/lib/systemd/system/$unit"
    chmod 0644 "$root/lib/systemd/system/$unit"
    ! grep -q /usr/local "$root/lib/systemd/system/$unit" || die "$unit still names /usr/local"
done
grep -q '^ExecStart=/usr/bin/swiftnet serve' "$root/lib/systemd/system/swiftnet.service" || die "swiftnet.service: no ExecStart=/usr/bin/swiftnet serve"

manual_date=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%d)
"$manual_tool" "$built" --date "$manual_date" --section 1 --output-directory "$work" >>"$build_log" 2>&1 \
    || die "generate-manual failed (log $build_log)"
gzip -9n <"$work/swiftnet.1" >"$root/usr/share/man/man1/swiftnet.1.gz"
gzip -9n <"$here/install/deb/swiftnet-daemon.8" >"$root/usr/share/man/man8/swiftnet-daemon.8.gz"
# bash-completion sources the file: no #! line.
"$built" --generate-completion-script bash | sed '1{/^#!/d}' >"$root/usr/share/bash-completion/completions/swiftnet"
"$built" --generate-completion-script zsh >"$root/usr/share/zsh/vendor-completions/_swiftnet"
"$built" --generate-completion-script fish >"$root/usr/share/fish/vendor_completions.d/swiftnet.fish"

doc=$root/usr/share/doc/swiftnet
gzip -9n <"$here/README.md" >"$doc/README.md.gz"
gzip -9n <"$here/docs/operator.md" >"$doc/operator.md.gz"
maintainer_name=${DEBFULLNAME:-$(git -C "$here" config user.name || true)}
maintainer_email=${DEBEMAIL:-$(git -C "$here" config user.email || true)}
[[ -n $maintainer_name && -n $maintainer_email ]] || die "set DEBFULLNAME and DEBEMAIL (or git's user.name and user.email): the package's Maintainer"
maintainer="$maintainer_name <$maintainer_email>"
{
    echo "swiftnet ($version) unstable; urgency=medium"
    echo
    echo "  * swiftnet $version, built by install/package.sh."
    echo
    echo " -- $maintainer  $(LC_ALL=C date -u -R -d "@$SOURCE_DATE_EPOCH")"
} | gzip -9n >"$doc/changelog.gz"
# What the binary contains: swiftnet itself, the Swift runtime and Foundation (linked
# statically) and the Swift packages it builds with (the licence texts of those that
# Debian does not carry in /usr/share/common-licenses).
{
    echo "swiftnet: a Docker network and IPAM plugin."
    echo "The swiftnet repository states no licence of its own yet."
    echo
    echo "/usr/bin/swiftnet also contains, linked statically:"
    echo
    echo " - the Swift runtime, standard library and Foundation (swift.org), Copyright Apple Inc. and"
    echo "   the Swift project authors, Apache License 2.0 (/usr/share/common-licenses/Apache-2.0) with"
    echo "   the Runtime Library Exception (below); Foundation includes ICU data (Unicode, Inc.,"
    echo "   Unicode License)."
    for checkout in "$scratch"/checkouts/*; do
        [[ -d $checkout ]] || continue
        name=$(basename "$checkout")
        license=$(find "$checkout" -maxdepth 1 -iname 'LICENSE*' | head -n 1)
        if [[ -n $license ]] && grep -q "Apache License" "$license"; then
            echo " - $name: Apache License 2.0, see /usr/share/common-licenses/Apache-2.0"
        elif [[ -n $license ]]; then
            echo " - $name:"
            echo
            sed 's/^/     /' "$license"
            echo
        fi
    done
    swift_license=$(dirname "$(dirname "$(command -v swift)")")/share/swift/LICENSE.txt
    exception=$(sed -n '/^## Runtime Library Exception/,$p' "$swift_license" 2>/dev/null)
    [[ -n $exception ]] || die "no Runtime Library Exception in $swift_license"
    echo
    echo "$exception"
} >"$doc/copyright"

# --- control ------------------------------------------------------------------------------
cp "$here/install/deb/postinst" "$here/install/deb/prerm" "$here/install/deb/postrm" "$root/DEBIAN/"
chmod 0755 "$root"/DEBIAN/{postinst,prerm,postrm}
# dpkg-shlibdeps reads debian/control; a minimal one in a scratch folder.
shlibs=$work/shlibs
rm -rf "$shlibs"
mkdir -p "$shlibs/debian"
printf 'Source: swiftnet\n\nPackage: swiftnet\nArchitecture: %s\n' "$arch" >"$shlibs/debian/control"
depends=$(cd "$shlibs" && dpkg-shlibdeps -O -e "$root/usr/bin/swiftnet" 2>>"$build_log" | sed -n 's/^shlibs:Depends=//p')
[[ -n $depends ]] || die "dpkg-shlibdeps found no dependencies (log $build_log)"
# The firewall runs /usr/sbin/iptables{,-save,-restore} and the ip6tables twins.
depends="$depends, iptables"
cat >"$root/DEBIAN/control" <<CONTROL
Package: swiftnet
Version: $version
Architecture: $arch
Maintainer: $maintainer
Installed-Size: $(du -sk --exclude=DEBIAN "$root" | cut -f1)
Depends: $depends
Enhances: docker.io
Section: net
Priority: optional
Description: Docker network and IPAM plugin with durable state
 swiftnet serves Docker's remote network driver and IPAM driver protocols on
 /run/docker/plugins/swiftnet.sock: one Linux bridge per network, a veth pair
 per container, iptables chains for isolation, masquerade and published
 ports, and a SQLite state that survives crashes, restarts and reboots.
 .
 Where systemd runs, swiftnet.socket and swiftnet.service start it; elsewhere
 swiftnet-daemon does. Create a network with
 docker network create -d swiftnet --ipam-driver swiftnet NAME
CONTROL
(cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z | xargs -0 md5sum) >"$root/DEBIAN/md5sums"
chmod 0644 "$root/DEBIAN/control" "$root/DEBIAN/md5sums"

deb=$output/swiftnet_${version}_${arch}.deb
dpkg-deb --root-owner-group --build "$root" "$deb" >/dev/null
say "$deb ($(du -h "$deb" | cut -f1)), Depends: $depends"
