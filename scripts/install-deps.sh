#!/usr/bin/env bash
# Installs what building tfx's tests and examples needs on Debian 12, when it is missing.
# Usage: scripts/install-deps.sh [extra packages...]   (as root, or with sudo available)
set -euo pipefail
pkgs=(build-essential cmake xtensor-dev libxsimd-dev xtl-dev libboost-dev catch2 zlib1g-dev "$@")
missing=()
for p in "${pkgs[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing: ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
