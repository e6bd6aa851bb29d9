#!/usr/bin/env bash
# Installs the Kirchhoff gateway from this repository as a systemd service:
#   /opt/kirchhoff            the gateway and its packages (npm, from tarballs packed here)
#   /opt/kirchhoff/bin/kirchhoff
#   /etc/kirchhoff/site.yaml  the configuration (examples/production.yaml the first time; kept after)
#   /etc/kirchhoff/secrets/   one file per secret, root-only, passed in as systemd credentials
#   /var/lib/kirchhoff        the data logger (systemd StateDirectory)
#   kirchhoff.service         deploy/kirchhoff.service, hardened; not started: check the
#                             configuration, then `systemctl enable --now kirchhoff`
# Run as root from a built checkout (`npm install` builds it). DESTDIR=/some/dir stages the files
# there instead (no user, no systemctl): that is how the tests run it.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
dest="${DESTDIR:-}"
prefix="$dest/opt/kirchhoff"
etc="$dest/etc/kirchhoff"
unitdir="$dest/etc/systemd/system"

if [ -z "$dest" ] && [ "$(id -u)" -ne 0 ]; then echo "install.sh: run as root (or set DESTDIR to stage the files)" >&2; exit 1; fi
for p in packages/core/dist apps/gateway/dist; do
  [ -d "$repo/$p" ] || { echo "install.sh: $p is missing: run npm install (it builds) in $repo first" >&2; exit 1; }
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo "packing the packages"
for p in packages/core packages/history packages/http packages/modbus packages/snmp packages/bacnet packages/mqtt packages/rccmd packages/nut apps/gateway; do
  (cd "$repo/$p" && npm pack --silent --pack-destination "$work" >/dev/null)
done

echo "installing into $prefix"
mkdir -p "$prefix/bin"
[ -f "$prefix/package.json" ] || echo '{ "name": "kirchhoff-install", "private": true }' > "$prefix/package.json"
npm install --prefix "$prefix" --omit=dev --no-audit --no-fund --no-save --prefer-offline "$work"/*.tgz >/dev/null
ln -sfn ../node_modules/kirchhoff/bin/kirchhoff.js "$prefix/bin/kirchhoff"

mkdir -p "$etc/secrets" "$unitdir"
chmod 0700 "$etc/secrets"
if [ ! -f "$etc/site.yaml" ]; then
  install -m 0640 "$repo/apps/gateway/examples/production.yaml" "$etc/site.yaml"
  echo "wrote $etc/site.yaml: edit it, put the secrets it names in $etc/secrets/"
fi
install -m 0644 "$repo/deploy/kirchhoff.service" "$unitdir/kirchhoff.service"

if [ -z "$dest" ]; then
  id kirchhoff >/dev/null 2>&1 || useradd --system --home-dir /var/lib/kirchhoff --no-create-home --shell /usr/sbin/nologin --groups dialout kirchhoff
  chgrp kirchhoff "$etc" "$etc/site.yaml"
  systemctl daemon-reload || true
  echo "installed. Next: kirchhoff config check $etc/site.yaml, then systemctl enable --now kirchhoff"
fi
