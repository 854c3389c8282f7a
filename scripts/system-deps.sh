#!/usr/bin/env bash
# System packages trustctl needs beyond Python: pango for weasyprint's PDFs and a font. With --test
# also what only the tests use: poppler's pdftoppm (tests look at rendered pages) and Chromium (the
# trust report's browser test); the demo needs neither.
# Installs what is missing with apt when it can; says what to install when it cannot.
set -euo pipefail

missing=()
ldconfig -p 2>/dev/null | grep -q 'libpango-1.0.so.0' || missing+=(libpango-1.0-0)
ldconfig -p 2>/dev/null | grep -q 'libpangoft2-1.0.so.0' || missing+=(libpangoft2-1.0-0)
ldconfig -p 2>/dev/null | grep -q 'libharfbuzz-subset.so.0' || missing+=(libharfbuzz-subset0)
fc-list 2>/dev/null | grep -qi 'dejavu' || missing+=(fonts-dejavu-core fontconfig)
# The trust report's browser test drives Debian's Chromium (through Playwright, no browser download).
if [ "${1:-}" = "--test" ]; then
  command -v pdftoppm >/dev/null 2>&1 || missing+=(poppler-utils)
  command -v chromium >/dev/null 2>&1 || missing+=(chromium)
fi

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
else
  echo "trustctl needs these system packages: ${missing[*]} (install them with your package manager)" >&2
  exit 1
fi
