#!/usr/bin/env bash
# Offline check of the SST stack: generates SST's platform (.sst/platform,
# types and component sources) through npm if it is missing, then type-checks
# sst.config.ts and infra/ against it. Needs no AWS account and no download
# other than npm packages: SST's Pulumi/Bun download is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

export SST_SKIP_DEPENDENCY_CHECK=1 SST_TELEMETRY_DISABLED=1 SST_NO_BUN=1 AWS_EC2_METADATA_DISABLED=true

if [ ! -f .sst/platform/config.d.ts ] || [ ! -d .sst/platform/node_modules/@pulumi/aws ]; then
  echo "sst-check: generating .sst/platform (sst install, stage ci)"
  start=$(date +%s)
  SST_STAGE=ci npx --no-install sst install
  echo "sst-check: sst install took $(( $(date +%s) - start )) s"
fi

start=$(date +%s)
npx --no-install tsc --noEmit -p infra/tsconfig.json
echo "sst-check: sst.config.ts and infra/ type-check OK ($(( $(date +%s) - start )) s)"
