#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs the synthfx OpenFX plugin (a built bundle) and its backend on Linux.
#
#   installers/linux/install.sh [options]
#     --bundle DIR          built synthfx.ofx.bundle (default: build/cpp/ofx/synthfx.ofx.bundle)
#     --plugins-dir DIR     where hosts find plugins (default: /usr/OFX/Plugins as root,
#                           else ~/OFX/Plugins: add it to OFX_PLUGIN_PATH)
#     --venv DIR            backend virtual environment (default: /opt/synthfx/venv as root,
#                           else ~/.local/share/synthfx/venv)
#     --backend-source SRC  what pip installs into the venv: a synthfx wheel or source tree
#                           (default: this repository)
#     --backend-command EXE use an already installed `synthfx` executable; no venv is made
#     --systemd             also install a systemd user unit running `synthfx serve`
#     --systemd-dir DIR     where the unit goes (default: ~/.config/systemd/user)
#     --no-start            write the unit but do not enable or start it
#     --uninstall           remove what an install put in these places
# The installer uses build outputs and never builds the plugin (`make cpp-test` builds it).
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
bundle="$repo/build/cpp/ofx/synthfx.ofx.bundle"
if [ "$(id -u)" = 0 ]; then
  plugins_dir=/usr/OFX/Plugins
  venv=/opt/synthfx/venv
else
  plugins_dir="$HOME/OFX/Plugins"
  venv="$HOME/.local/share/synthfx/venv"
fi
backend_source="$repo"
backend_command=""
systemd=0
systemd_dir="${XDG_CONFIG_HOME:-$HOME/.config}/systemd/user"
start=1
uninstall=0

while (($#)); do
  case "$1" in
    --bundle) bundle=$2; shift 2 ;;
    --plugins-dir) plugins_dir=$2; shift 2 ;;
    --venv) venv=$2; shift 2 ;;
    --backend-source) backend_source=$2; shift 2 ;;
    --backend-command) backend_command=$2; shift 2 ;;
    --systemd) systemd=1; shift ;;
    --systemd-dir) systemd_dir=$2; shift 2 ;;
    --no-start) start=0; shift ;;
    --uninstall) uninstall=1; shift ;;
    -h|--help) sed -n '3,20p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

target="$plugins_dir/synthfx.ofx.bundle"
unit="$systemd_dir/synthfx.service"

if ((uninstall)); then
  if [ -f "$unit" ] && ((start)) && command -v systemctl >/dev/null; then
    systemctl --user disable --now synthfx.service 2>/dev/null || true
  fi
  rm -rf "$target" "$unit"
  [ -z "$backend_command" ] && rm -rf "$venv"
  echo "synthfx removed from $plugins_dir"
  exit 0
fi

if [ ! -f "$bundle/Contents/Linux-x86-64/synthfx.ofx" ]; then
  echo "install.sh: no built bundle at $bundle (run make cpp-test, or pass --bundle)" >&2
  exit 1
fi

if [ -z "$backend_command" ]; then
  echo "==> backend: virtual environment $venv"
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install -q --upgrade pip
  "$venv/bin/python" -m pip install -q "$backend_source"
  backend_command="$venv/bin/synthfx"
fi
if [ ! -x "$backend_command" ]; then
  echo "install.sh: backend command $backend_command is not executable" >&2
  exit 1
fi

echo "==> plugin: $target"
mkdir -p "$plugins_dir"
rm -rf "$target.new"
cp -a "$bundle" "$target.new"
# The plugin starts this command (`... serve`) when no backend address is set.
echo "$backend_command" > "$target.new/Contents/Resources/backend_command"
rm -rf "$target"
mv "$target.new" "$target"

if ((systemd)); then
  echo "==> systemd user unit: $unit"
  mkdir -p "$systemd_dir"
  cat > "$unit" <<UNIT
[Unit]
Description=synthfx backend (gRPC) for the synthfx OpenFX plugin
After=network.target

[Service]
# The plugin's default address: the per-user socket it would otherwise start a backend on.
# Reads below / like the backend the plugin starts: only this user can reach the socket.
ExecStart=$backend_command serve --listen unix:%t/synthfx/backend.sock --read-root /
ExecStartPre=/bin/mkdir -m 0700 -p %t/synthfx
Restart=on-failure

[Install]
WantedBy=default.target
UNIT
  if ((start)) && command -v systemctl >/dev/null; then
    systemctl --user daemon-reload
    systemctl --user enable --now synthfx.service
  fi
fi

case ":${OFX_PLUGIN_PATH:-}:" in
  *":$plugins_dir:"*) ;;
  *) [ "$plugins_dir" = /usr/OFX/Plugins ] ||
       echo "note: add $plugins_dir to OFX_PLUGIN_PATH for your hosts to find synthfx" ;;
esac
echo "==> done"
