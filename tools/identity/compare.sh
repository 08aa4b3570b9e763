#!/usr/bin/env bash
# compare.sh A B: diff two snapshots (snapshot.sh), ignoring the git SHA (it names the commit,
# which a refactor changes) and the snapshot folders' own paths. Prints IDENTICAL or the diff.
a=$1; b=$2
tmp=$(mktemp -d)
cp -r "$a" "$tmp/a"; cp -r "$b" "$tmp/b"
find "$tmp" -type f \( -name '*.json' -o -name '*.stdout' -o -name '*.csv' \) -print0 |
  xargs -0 sed -i -E 's/[0-9a-f]{40}(-dirty)?/GITSHA/g; s#'"$b"'#ROOT#g; s#'"$a"'#ROOT#g'
if diff -r "$tmp/a" "$tmp/b" > "$tmp/diff"; then
  echo "IDENTICAL (modulo git sha)"
else
  echo "DIFFERENT"; head -60 "$tmp/diff"; status=1
fi
rm -rf "$tmp"
exit "${status:-0}"
