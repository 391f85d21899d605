#!/usr/bin/env bash
# System packages the PDF stage and the browser test need.  Installs them with apt-get
# when missing and running as root; otherwise names what to install and fails.
set -u
missing=()
have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

if command -v fc-list >/dev/null 2>&1 && fc-list :lang=zh family 2>/dev/null | grep -q .; then :; else
  have_pkg fonts-noto-cjk || missing+=(fonts-noto-cjk)
fi
ldconfig -p 2>/dev/null | grep -q 'libharfbuzz-subset\.so' || missing+=(libharfbuzz-subset0)
# WeasyPrint's own shared libraries (present on most desktops, not on slim images).
ldconfig -p 2>/dev/null | grep -q 'libpango-1\.0\.so' || missing+=(libpango-1.0-0)
ldconfig -p 2>/dev/null | grep -q 'libpangoft2-1\.0\.so' || missing+=(libpangoft2-1.0-0)
command -v fc-list >/dev/null 2>&1 || missing+=(fontconfig)
if [ "${WITH_BROWSER:-0}" = 1 ]; then
  command -v chromium >/dev/null 2>&1 || missing+=(chromium)
  command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
  command -v pdftoppm >/dev/null 2>&1 || missing+=(poppler-utils)
fi

[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing system packages: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2 && apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 || {
    echo "error: apt-get could not install: ${missing[*]}" >&2; exit 1; }
  exit 0
fi
echo "error: missing system packages: ${missing[*]}" >&2
echo "install them with: sudo apt-get install ${missing[*]}" >&2
exit 1
