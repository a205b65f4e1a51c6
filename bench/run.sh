#!/usr/bin/env bash
# Benchmarks (not tests): evkit vs openssl / sha256sum / cp -r + sync / bagit on the same data.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python bench/bench.py "$@"
