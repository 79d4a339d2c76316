#!/usr/bin/env bash
# Install the Debian/Ubuntu packages of infra/packages.txt that are missing (`make deps`, run
# by `make setup`, so by `make demo` and `make test`).
#
# - Nothing missing: one dpkg-query, no apt-get, exit 0 (well under a second).
# - Missing, as root or with password-less sudo, on apt: apt-get update and install them,
#   starting none of their system services (a policy-rc.d that refuses, for the install only).
# - Missing and no way to install them (not root, no password-less sudo, or no apt): print
#   them and the one command that installs them, exit 2; nothing is installed.
# IVICA_APT_PACKAGES="a b c" replaces the list (for tests).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

if [ -n "${IVICA_APT_PACKAGES:-}" ]; then
  read -r -a wanted <<<"$IVICA_APT_PACKAGES"
else
  mapfile -t wanted < <(sed -e 's/#.*//' -e 's/[[:space:]]//g' -e '/^$/d' "$here/packages.txt")
fi

installed=""
if command -v dpkg-query >/dev/null 2>&1; then
  installed="$(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' "${wanted[@]}" 2>/dev/null \
    | awk '$2 == "ii" {print $1}' || true)"
fi
missing=()
for p in "${wanted[@]}"; do
  grep -qxF "$p" <<<"$installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

install_cmd="apt-get install -y --no-install-recommends ${missing[*]}"
if ! command -v apt-get >/dev/null 2>&1; then
  echo "ivica needs these packages, and this machine has no apt-get: ${missing[*]}" >&2
  echo "Install them with your package manager (Debian names: infra/packages.txt), then rerun." >&2
  exit 2
fi
if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  as_root=(sudo -n)
else
  echo "ivica needs these Debian packages, missing here: ${missing[*]}" >&2
  echo "Install them (as root), then rerun:" >&2
  echo "  sudo apt-get update && sudo $install_cmd" >&2
  exit 2
fi

echo "== installing ${missing[*]} (infra/packages.txt)"
export DEBIAN_FRONTEND=noninteractive
# Start no system service while installing (RabbitMQ's and PostgreSQL's would run on their
# default ports for nothing): the stack runs its own under state/.
guard=/usr/sbin/policy-rc.d
if [ ! -e "$guard" ]; then
  "${as_root[@]}" sh -c "printf '#!/bin/sh\nexit 101\n' > $guard && chmod +x $guard"
  trap '"${as_root[@]}" rm -f "$guard"' EXIT
fi
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive $install_cmd -qq
