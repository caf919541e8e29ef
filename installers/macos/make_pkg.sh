#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Packages a macOS build of synthfx.ofx.bundle as a .pkg installing into /Library/OFX/Plugins.
# Needs macOS (pkgbuild) and a bundle built there: Contents/MacOS/synthfx.ofx. Not built in CI
# (Linux only); see README "Installing" for the state of the macOS port.
#   installers/macos/make_pkg.sh BUNDLE VERSION OUT.pkg
set -euo pipefail
bundle=$1
version=$2
out=$3
if ! command -v pkgbuild >/dev/null; then
  echo "make_pkg.sh: pkgbuild not found (run on macOS)" >&2
  exit 1
fi
if [ ! -f "$bundle/Contents/MacOS/synthfx.ofx" ]; then
  echo "make_pkg.sh: $bundle has no Contents/MacOS/synthfx.ofx (a macOS build)" >&2
  exit 1
fi
root=$(mktemp -d)
mkdir -p "$root/Library/OFX/Plugins"
cp -R "$bundle" "$root/Library/OFX/Plugins/"
pkgbuild --root "$root" --identifier org.synthfx.ofx --version "$version" \
  --install-location / "$out"
rm -rf "$root"
