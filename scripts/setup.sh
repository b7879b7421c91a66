#!/bin/sh
# Installs the tools the build and the tests need when they are missing.
# Debian only; everything else is reported, never guessed at.
set -u
need=""
command -v cmake   >/dev/null 2>&1 || need="$need cmake"
command -v cc      >/dev/null 2>&1 || need="$need gcc"
command -v python3 >/dev/null 2>&1 || need="$need python3"
command -v ss      >/dev/null 2>&1 || need="$need iproute2"
command -v pkg-config >/dev/null 2>&1 || need="$need pkg-config"
[ -n "$need" ] || exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "setup: installing$need" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null && apt-get install -y -qq $need >/dev/null || {
    echo "setup: apt-get install$need failed" >&2; exit 1; }
else
  echo "setup: missing$need; install them (Debian: apt-get install$need)" >&2
  exit 1
fi
