#!/usr/bin/env bash
# Offline check of the SST stack: generates SST's platform (.sst/platform,
# types and component sources) through npm if it is missing, then type-checks
# sst.config.ts and infra/ against it. Needs no AWS account and no download
# other than npm packages: SST's Pulumi/Bun download is skipped.
# `--install-only` only generates the platform when missing (silent otherwise);
# scripts/ensure-deps.mjs uses it before the tests and the demo.
set -euo pipefail
cd "$(dirname "$0")/.."

export SST_SKIP_DEPENDENCY_CHECK=1 SST_TELEMETRY_DISABLED=1 SST_NO_BUN=1 AWS_EC2_METADATA_DISABLED=true

install_platform() {
  if [ ! -f .sst/platform/config.d.ts ] || [ ! -d .sst/platform/node_modules/@pulumi/aws ]; then
    echo "sst-check: generating .sst/platform (sst install, stage ci)"
    local start
    start=$(date +%s)
    SST_STAGE=ci npx --no-install sst install
    echo "sst-check: sst install took $(( $(date +%s) - start )) s"
  fi
}

case "${1:-}" in
  --install-only) install_platform; exit 0 ;;
  "") ;;
  *) echo "sst-check: unknown argument $1 (only --install-only)" >&2; exit 2 ;;
esac

install_platform

start=$(date +%s)
npx --no-install tsc --noEmit -p infra/tsconfig.json
echo "sst-check: sst.config.ts and infra/ type-check OK ($(( $(date +%s) - start )) s)"
