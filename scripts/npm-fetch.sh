#!/usr/bin/env bash
# npm-fetch.sh PACKAGE...: download pinned npm tarballs into .cache/npm and
# verify each against LLAMA_CPP_SHA256SUMS. A tarball already there with the
# right checksum is not downloaded again. Prints the tarball paths.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cache="$root/.cache/npm"
mkdir -p "$cache"
command -v npm >/dev/null || { echo "npm-fetch: npm is required (apt-get install nodejs npm)" >&2; exit 1; }

for spec in "$@"; do
	# @scope/name@version -> scope-name-version.tgz, as npm pack names it.
	file=$(printf '%s' "$spec" | sed -e 's|^@||' -e 's|/|-|' -e 's|@|-|').tgz
	want=$(awk -v f="$file" '$2 == f { print $1 }' "$root/LLAMA_CPP_SHA256SUMS")
	if [ -z "$want" ]; then
		echo "npm-fetch: $file has no pinned checksum in LLAMA_CPP_SHA256SUMS" >&2
		exit 1
	fi
	path="$cache/$file"
	if [ ! -f "$path" ] || [ "$(sha256sum "$path" | cut -d' ' -f1)" != "$want" ]; then
		rm -f "$path"
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
