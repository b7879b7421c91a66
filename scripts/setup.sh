#!/bin/sh
# Installs the tools and libraries the build and the tests need when they
# are missing (Debian). Each part of socklab lists its Debian packages in
# scripts/packages.d/PART.txt as "command-or-pkg-config-name debian-package"
# lines; a line is satisfied when the command exists or pkg-config knows
# the name. Without root or apt, missing ones are reported, never guessed.
set -u
cd "$(dirname "$0")/.." || exit 1
need=""
check() {  # check NAME PACKAGE
  command -v "$1" >/dev/null 2>&1 && return 0
  command -v pkg-config >/dev/null 2>&1 && pkg-config --exists "$1" 2>/dev/null && return 0
  case " $need " in *" $2 "*) ;; *) need="$need $2" ;; esac
}
check cmake cmake
check cc gcc
check python3 python3
check ss iproute2
check pkg-config pkg-config
for f in scripts/packages.d/*.txt; do
  [ -f "$f" ] || continue
  while read -r name pkg; do
    case "$name" in ''|'#'*) continue ;; esac
    check "$name" "$pkg"
  done < "$f"
done
[ -n "$need" ] || exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "setup: installing$need" >&2
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y -qq $need >/dev/null 2>&1; then
    apt-get update -qq >/dev/null 2>&1
    apt-get install -y -qq $need >/dev/null || {
      echo "setup: apt-get install$need failed; the parts that need them are not built" >&2
      exit 0; }
  fi
else
  echo "setup: missing$need (Debian: apt-get install$need); the parts that need them are not built" >&2
fi
exit 0
