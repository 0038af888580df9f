#!/usr/bin/env bash
# Installs, with apt-get, the Debian packages listed in the given files that
# are not installed yet. Lines starting with # are comments.
set -euo pipefail
want=()
for f in "$@"; do
  while read -r pkg _; do
    [[ -z "$pkg" || "$pkg" == \#* ]] && continue
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || want+=("$pkg")
  done <"$f"
done
[[ ${#want[@]} -eq 0 ]] && exit 0
echo "installing: ${want[*]}"
sudo=""
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "error: need root or sudo to apt-get install ${want[*]}" >&2; exit 1; }
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${want[@]}" >/dev/null
