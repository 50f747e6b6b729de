#!/usr/bin/env bash
# Install what the browser test needs, idempotently:
#   - Debian's chromium (apt-get), only when /usr/bin/chromium is missing;
#   - Playwright's Python package into .venv, only when it is not importable.
# Playwright's own browser download is NEVER used: the test launches /usr/bin/chromium
# through `executable_path`.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PY="${ROOT}/.venv/bin/python"
PIP="${ROOT}/.venv/bin/pip"
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1

if [ ! -x /usr/bin/chromium ]; then
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
    echo "setup.sh: installing Debian chromium"
    $SUDO apt-get update
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends chromium
else
    echo "setup.sh: /usr/bin/chromium present ($(/usr/bin/chromium --version 2>/dev/null || echo '?'))"
fi

if ! "$PY" -c "import playwright.sync_api" >/dev/null 2>&1; then
    echo "setup.sh: installing the playwright Python package (no browser download)"
    "$PIP" install --quiet playwright
else
    echo "setup.sh: playwright Python package present"
fi
