#!/usr/bin/env bash
# measure.sh: what an application pays, in downloads and binary size, for
# importing this library.
#
#	bench/footprint/measure.sh                 # every consumer, against this checkout
#	bench/footprint/measure.sh memory sqlite   # some of them
#	CHECKOUT=/tmp/scratch bench/footprint/measure.sh   # another tree (a trial split)
#	KEEP=1 bench/footprint/measure.sh          # keep the temp dir to look inside
#
# Each consumer is a small main package under consumers/ in the measured
# checkout. It is copied into a module of its own in a temp dir, given an
# EMPTY module cache (GOMODCACHE=$tmp/<name>/modcache, the default GOPROXY)
# and one replace directive per module of the checkout, then `go mod tidy`
# and `go build` run. What the cache holds afterwards is exactly what a new
# user's machine downloads; what `go version -m` lists is what the binary
# links. Builds share the usual build cache (and use -trimpath, so that the
# per-consumer cache paths do not defeat it), which only saves time.
#
# Output: a markdown table on stdout; progress on stderr.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
checkout=$(cd "${CHECKOUT:-$here/../..}" && pwd)

# The consumers: name and main package directory, relative to the checkout.
consumers=(
  "memory bench/footprint/consumers/memory"
  "sqlite bench/footprint/consumers/sqlite"
  "adminpage bench/footprint/consumers/adminpage"
)

# What an application should not pay for unless it asks: label and an
# extended regexp on module paths. A module counts as downloaded when its
# zip is in the cache, and as linked when `go version -m` lists it.
watched=(
  "pgx ^github\.com/jackc/pgx"
  "mysql ^github\.com/go-sql-driver/mysql"
  "sqlite ^modernc\.org/sqlite"
  "testcontainers ^github\.com/testcontainers/"
  "docker/moby ^github\.com/(docker|moby)/"
  "chromedp ^github\.com/chromedp/"
  "cobra ^github\.com/spf13/cobra"
  "go-redis ^github\.com/redis/go-redis"
  "prometheus/exporters ^(github\.com/prometheus/|go\.opentelemetry\.io/otel/exporters/)"
)

# modules_of prints "path dir" for every module in the checkout: the root
# and each nested go.mod, so a split into nested modules needs no change
# here. (To pin a list by hand instead, print it from this function.)
modules_of() {
  local gomod dir path
  while IFS= read -r gomod; do
    dir=$(dirname "$gomod")
    path=$(awk '$1 == "module" { print $2; exit }' "$gomod")
    [ -n "$path" ] && printf '%s %s\n' "$path" "$dir"
  done < <(find "$1" -name go.mod -not -path '*/testdata/*' -not -path '*/vendor/*' -not -path '*/.git/*' | sort)
}

mb() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1e6 }'; }

# cached_modules prints path@version of every zip (or, with "mod", of every
# .mod without its zip) in a module cache's download dir.
cached_modules() {
  local dl=$1/cache/download kind=$2 f
  while IFS= read -r f; do
    if [ "$kind" = mod ] && [ -e "${f%.mod}.zip" ]; then continue; fi
    f=${f#"$dl"/}
    f=${f%/@v/*}@$(basename "${f%.*}")
    # Undo the cache's case encoding (!a stands for A).
    printf '%s\n' "$f" | sed -E 's/!([a-z])/\U\1/g'
  done < <(find "$dl" -path "$dl/sumdb" -prune -o -type f -name "*.$kind" -print) | sort -u
}

# matching prints the labels of the watched modules among a list of paths.
matching() {
  local list=$1 out="" w label re
  for w in "${watched[@]}"; do
    label=${w%% *}
    re=${w#* }
    if grep -Eq "$re" <<<"$list"; then out+="${out:+, }$label"; fi
  done
  printf '%s' "${out:-none}"
}

tmp=$(mktemp -d /tmp/footprint.XXXXXX)
if [ -z "${KEEP:-}" ]; then
  # -modcacherw leaves the cache writable, so this removes it all.
  trap 'rm -rf "$tmp"' EXIT
else
  echo "keeping $tmp" >&2
fi

replaces=$(modules_of "$checkout" | awk '{ printf "replace %s => %s\n", $1, $2 }')
wanted=("$@")

rows=()
for c in "${consumers[@]}"; do
  name=${c%% *}
  src=$checkout/${c#* }
  if [ ${#wanted[@]} -gt 0 ] && ! printf '%s\n' "${wanted[@]}" | grep -qx "$name"; then continue; fi
  [ -d "$src" ] || { echo "consumer $name: no directory $src" >&2; exit 1; }

  work=$tmp/$name
  mkdir -p "$work/app"
  cp "$src"/*.go "$work/app/"
  printf 'module example.com/footprint/%s\n\ngo 1.26.0\n\n%s\n' "$name" "$replaces" >"$work/app/go.mod"

  echo "== $name: go mod tidy, go build" >&2
  t0=$(date +%s)
  (
    cd "$work/app"
    export GOMODCACHE=$work/modcache GOFLAGS="-modcacherw -buildvcs=false" GOWORK=off GOTOOLCHAIN=local
    go mod tidy >&2
    date +%s >"$work/tidied"
    go build -trimpath -o "$work/$name" .
  )
  t1=$(cat "$work/tidied")
  t2=$(date +%s)

  zips=$(cached_modules "$work/modcache" zip)
  modonly=$(cached_modules "$work/modcache" mod)
  nzip=$(grep -c . <<<"$zips" || true)
  nmod=$(grep -c . <<<"$modonly" || true)
  archive=$(find "$work/modcache/cache/download" -type f -name '*.zip' -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }')
  total=$(du -sb "$work/modcache" | cut -f1)
  cachedir=$(du -sb "$work/modcache/cache" | cut -f1)
  binsize=$(stat -c %s "$work/$name")
  linked=$(go version -m "$work/$name" | awk '$1 == "dep" { print $2 "@" $3 }' | sort -u)
  nlinked=$(grep -c . <<<"$linked" || true)

  rows+=("| $name | $nzip | $nmod | $(mb "$archive") | $(mb $((total - cachedir))) | $(mb "$binsize") | $nlinked | $(matching "$zips") | $(matching "$linked") | $((t1 - t0)) s + $((t2 - t1)) s |")
  if [ -n "${VERBOSE:-}" ]; then
    { echo "-- $name: modules downloaded (zip)"; echo "$zips"; echo "-- $name: .mod only"; echo "$modonly"; } >&2
  fi
done

echo "Checkout: $checkout ($(git -C "$checkout" rev-parse --short HEAD 2>/dev/null || echo 'not a git checkout')), $(go version | cut -d' ' -f3-4), modules: $(modules_of "$checkout" | wc -l)"
echo
echo "| consumer | modules downloaded (zip) | .mod only | archives MB | unpacked MB | binary MB | modules linked | watched, downloaded | watched, linked | tidy + build |"
echo "|---|---:|---:|---:|---:|---:|---:|---|---|---:|"
printf '%s\n' "${rows[@]}"
echo
echo "MB = 10^6 bytes. Binary: go build -trimpath, $(go env GOOS)/$(go env GOARCH). Watched: ${watched[*]%% *}"
