#!/usr/bin/env bash
# Installs what slipway's tests, demo and benchmark need on a Debian machine, then the npm
# dependencies. Safe to run again: it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(openssh-server containerd runc sudo util-linux procps dpkg-dev tmux gcc libc6-dev containernetworking-plugins iproute2 chromium fonts-dejavu-core ansible-core time)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null; then
    echo "slipway setup: missing packages: ${missing[*]}" >&2
    echo "install them as root:  apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  echo "slipway setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # The Debian packages start services on a real systemd host; nodes run their own.
fi

# vitest 4 (through vite 7) needs Node.js 20.19 or newer; the CLI itself runs on any Node.js 20.
if ! node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)'; then
  echo "slipway setup: Node.js >= 20.19 is required (found $(node --version))" >&2
  exit 1
fi

stamp=node_modules/.slipway-lock-hash
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [[ ! -f $stamp || $(cat "$stamp") != "$want" ]]; then
  echo "slipway setup: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$want" > "$stamp"
fi
