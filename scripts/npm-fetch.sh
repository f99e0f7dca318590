#!/usr/bin/env bash
# npm-fetch.sh PACKAGE@VERSION...: download pinned npm tarballs with npm pack
# into the download cache that `embellama lib install` uses too
# (${XDG_CACHE_HOME:-~/.cache}/embellama/npm, outside the checkout) and verify
# each against platform/pins.txt. A tarball already there with the right
# checksum is not downloaded again. Prints the tarball paths.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cache="${XDG_CACHE_HOME:-$HOME/.cache}/embellama/npm"
mkdir -p "$cache"
command -v npm >/dev/null || { echo "npm-fetch: npm is required (apt-get install nodejs npm)" >&2; exit 1; }

# pinned TARBALL: the sha256 of TARBALL in platform/pins.txt.
pinned() {
	awk -v f="$1" '
		$1 == "lib"    { name = $5; ver = $6; sum = $8 }
		$1 == "source" { name = $2; ver = $3; sum = $7 }
		$1 == "lib" || $1 == "source" {
			t = name; sub(/^@/, "", t); gsub(/\//, "-", t)
			if (t "-" ver ".tgz" == f) print sum
		}' "$root/platform/pins.txt"
}

for spec in "$@"; do
	# @scope/name@version -> scope-name-version.tgz, as npm pack names it.
	file=$(printf '%s' "$spec" | sed -e 's|^@||' -e 's|/|-|' -e 's|@|-|').tgz
	want=$(pinned "$file")
	if [ -z "$want" ]; then
		echo "npm-fetch: $file has no pinned checksum in platform/pins.txt" >&2
		exit 1
	fi
	path="$cache/$file"
	if [ ! -f "$path" ] || [ "$(sha256sum "$path" | cut -d' ' -f1)" != "$want" ]; then
		rm -f "$path"
		echo "npm-fetch: npm pack $spec into $cache" >&2
		(cd "$cache" && npm pack "$spec" --loglevel=error >/dev/null)
	fi
	got=$(sha256sum "$path" | cut -d' ' -f1)
	if [ "$got" != "$want" ]; then
		rm -f "$path"
		echo "npm-fetch: checksum mismatch for $file: got $got, pinned $want" >&2
		exit 1
	fi
	echo "$path"
done
