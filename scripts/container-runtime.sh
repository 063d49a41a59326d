#!/usr/bin/env bash
# A container engine for the container tests (test/container) on a machine with no Docker engine and no
# reachable container registry: podman from Debian serving the Docker API on a unix socket (what
# testcontainers talks to), and a local `node:20-bookworm-slim` so the project's Dockerfile builds without
# a pull. On a machine with Docker none of this is needed: the tests use Docker as it is.
#
# Usage (as root; idempotent, a few seconds once set up):
#   scripts/container-runtime.sh up       install + configure podman, start the API socket, build the base image
#   scripts/container-runtime.sh status   what is installed and running
#   scripts/container-runtime.sh stop     stop the API service this script started (by its pid file only)
#   scripts/container-runtime.sh clean    remove containers testcontainers left behind (Ryuk is off here)
# Then: export DOCKER_HOST=unix:///run/podman/podman.sock TESTCONTAINERS_RYUK_DISABLED=true
#
# Env: PODMAN_SOCK [/run/podman/podman.sock]; MIRROR [the Debian mirror apt already uses];
#      NOFILE/NPROC [4096] container ulimits (capped at this shell's hard limits).
#
# Why each setting: no systemd here, and cgroups v1 "hybrid" mode, which crun refuses -> runc + cgroupfs
# + a file events log; podman's default RLIMIT_NOFILE (1048576) is above the machine's hard cap -> explicit
# ulimits; registries blocked -> an accidental pull fails at once instead of timing out.
set -euo pipefail

PODMAN_SOCK=${PODMAN_SOCK:-/run/podman/podman.sock}
NOFILE=${NOFILE:-4096}
NPROC=${NPROC:-4096}
MIRROR=${MIRROR:-$(sed -n 's/^URIs: *\(http[^ ]*\/debian\)$/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1)}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
STATE_DIR=/var/lib/mcp-egress-container-runtime
PIDFILE=$(dirname "$PODMAN_SOCK")/mcp-egress-podman-api.pid
LOGFILE=/var/log/mcp-egress-podman-api.log
LOCKFILE=/run/lock/mcp-egress-container-runtime.lock
ENGINE_CONF=/etc/containers/containers.conf.d/90-mcp-egress-no-systemd.conf
REGISTRIES_CONF=/etc/containers/registries.conf.d/90-mcp-egress-offline.conf
# The local stand-in for the official image, and the name the Dockerfile asks for.
BASE_TAG=localhost/mcp-egress-node-base:20
BASE_ALIAS=docker.io/library/node:20-bookworm-slim

log() { printf '[container-runtime] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
timed() { local start=$SECONDS; "$@"; log "  $1: $((SECONDS - start))s"; }

api_answers() {
  [[ -S $PODMAN_SOCK ]] && [[ $(curl -s -m 3 --unix-socket "$PODMAN_SOCK" http://d/_ping 2>/dev/null) == OK ]]
}

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

install_packages() {
  # With Recommends: netavark, aardvark-dns, iptables, catatonit, fuse-overlayfs, uidmap, buildah.
  local wanted=(podman runc curl ca-certificates debootstrap) missing=() pkg
  for pkg in "${wanted[@]}"; do installed "$pkg" || missing+=("$pkg"); done
  if ((${#missing[@]} == 0)); then log "packages present: ${wanted[*]}"; return; fi
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  if [[ -z $(find /var/lib/apt/lists -maxdepth 1 -name '*_Packages*' -mmin -1440 2>/dev/null | head -1) ]]; then
    apt-get update -qq
  fi
  apt-get install -y -qq "${missing[@]}" >/dev/null
}

# Writes stdin to $1 when the content differs; returns 0 when it wrote.
write_if_changed() {
  local path=$1 temp
  temp=$(mktemp)
  cat >"$temp"
  if [[ -f $path ]] && cmp -s "$temp" "$path"; then rm -f "$temp"; return 1; fi
  mkdir -p "$(dirname "$path")"
  install -m 0644 "$temp" "$path"
  rm -f "$temp"
}

configure_podman() {
  local nofile=$NOFILE nproc=$NPROC hard_nofile hard_nproc
  hard_nofile=$(ulimit -Hn) hard_nproc=$(ulimit -Hu)
  [[ $hard_nofile != unlimited ]] && ((nofile > hard_nofile)) && nofile=$hard_nofile
  [[ $hard_nproc != unlimited ]] && ((nproc > hard_nproc)) && nproc=$hard_nproc
  CONFIG_CHANGED=0
  if write_if_changed "$ENGINE_CONF" <<EOF
# Written by mcp-egress scripts/container-runtime.sh: no systemd, cgroups v1 hybrid mode, RLIMIT hard caps.
[containers]
default_ulimits = ["nofile=${nofile}:${nofile}", "nproc=${nproc}:${nproc}"]

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
EOF
  then log "wrote $ENGINE_CONF"; CONFIG_CHANGED=1; fi
  local registry blocked='# Written by mcp-egress scripts/container-runtime.sh: no registry is reachable; fail at once.'
  for registry in docker.io quay.io ghcr.io registry.fedoraproject.org registry.access.redhat.com; do
    blocked+=$'\n'"[[registry]]"$'\n'"location = \"$registry\""$'\n'"blocked = true"
  done
  if write_if_changed "$REGISTRIES_CONF" <<<"$blocked"; then log "wrote $REGISTRIES_CONF"; CONFIG_CHANGED=1; fi
}

our_service_pid() {
  local pid
  pid=$(cat "$PIDFILE" 2>/dev/null) || return 1
  [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q 'podman system service' || return 1
  echo "$pid"
}

# A service started from a directory that was removed since (a CI clone in /tmp) hands that cwd to conmon,
# which then fails every container start ("Failed to get working directory" -> API 500 "broken pipe").
service_cwd_gone() {
  local pid
  pid=$(our_service_pid) || return 1
  [[ $(readlink "/proc/$pid/cwd" 2>/dev/null) == *" (deleted)" ]]
}

stop_service() {
  local pid
  if pid=$(our_service_pid); then
    log "stopping the podman API service (pid $pid)"
    kill "$pid"
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -f "$PIDFILE"
}

start_service() {
  if api_answers; then
    if ! our_service_pid >/dev/null; then log "the API socket $PODMAN_SOCK is served by someone else; leaving it"; return; fi
    if ((CONFIG_CHANGED == 0)) && ! service_cwd_gone; then log "API service already running"; return; fi
    log "configuration changed or its working directory is gone: restarting the API service"
    stop_service
  fi
  mkdir -p "$(dirname "$PODMAN_SOCK")"
  rm -f "$PODMAN_SOCK"
  # No systemd to socket-activate it: run it detached; --time=0 keeps it from exiting when idle. It must
  # not inherit the lock's descriptor (9), or it would hold the lock for as long as it runs.
  # Started from /, so no removed directory can ever be its working directory (see service_cwd_gone).
  (cd / && exec setsid nohup podman system service --time=0 "unix://$PODMAN_SOCK" >>"$LOGFILE" 2>&1 </dev/null 9>&-) &
  echo $! >"$PIDFILE"
  for _ in $(seq 100); do api_answers && break; sleep 0.1; done
  api_answers || die "the podman API did not come up; see $LOGFILE"
  log "API service pid $(cat "$PIDFILE") on unix://$PODMAN_SOCK"
}

# A minimal Debian bookworm (apt included, as in the official slim image, so the Dockerfile can apt-get
# its build tools) with this machine's node and npm in /usr/local and the headers node-gyp needs.
build_rootfs() {
  local root=$1 node npm_dir
  node=$(readlink -f "$(command -v node)")
  npm_dir=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
  [[ -d /usr/include/node ]] || die "node headers not found in /usr/include/node (needed to build re2 in the image)"
  if [[ ! -x $root/usr/bin/apt-get ]]; then
    rm -rf "$root"
    debootstrap --variant=minbase bookworm "$root" "$MIRROR" >/dev/null
  fi
  # As the official slim images: no docs, man pages or translations, now or from later apt installs.
  printf '%s\n' 'path-exclude /usr/share/doc/*' 'path-exclude /usr/share/man/*' 'path-exclude /usr/share/info/*' \
    'path-exclude /usr/share/locale/*' 'path-include /usr/share/locale/locale.alias' >"$root/etc/dpkg/dpkg.cfg.d/slim"
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root"/usr/share/{doc,man,info}/*
  find "$root/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
  rm -f "$root/etc/apt/sources.list"
  printf 'Types: deb\nURIs: %s\nSuites: bookworm bookworm-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
    "$MIRROR" >"$root/etc/apt/sources.list.d/debian.sources"
  install -m 0755 "$node" "$root/usr/local/bin/node"
  rm -rf "$root/usr/local/lib/node_modules/npm" "$root/usr/local/include/node"
  mkdir -p "$root/usr/local/lib/node_modules" "$root/usr/local/include"
  cp -a "$npm_dir" "$root/usr/local/lib/node_modules/npm"
  cp -a /usr/include/node "$root/usr/local/include/node"
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
  # The CA bundle npm needs behind this machine's TLS-intercepting gateway (passed in as a build arg).
  mkdir -p "$root/etc/ssl/certs"
  cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
  chroot "$root" getent passwd node >/dev/null ||
    chroot "$root" sh -c 'groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node'
  # The official image's entrypoint: a first argument that is an option or not a command goes to node.
  cat >"$root/usr/local/bin/docker-entrypoint.sh" <<'EOS'
#!/bin/sh
set -e
if [ "${1#-}" != "${1}" ] || [ -z "$(command -v "${1}")" ] || { [ -f "${1}" ] && ! [ -x "${1}" ]; }; then
  set -- node "$@"
fi
exec "$@"
EOS
  chmod 0755 "$root/usr/local/bin/docker-entrypoint.sh"
}

# What the base image is made of: the host's node version and this script's recipe. When either changes
# (a node upgrade, an edit to build_rootfs), `up` builds the image again.
BASE_LABEL=org.mcp-egress.base
wanted_base_id() { echo "node-$(node -p 'process.versions.node')-$(declare -f build_rootfs | sha256sum | cut -c1-12)"; }
current_base_id() { podman image inspect "$BASE_TAG" --format "{{index .Labels \"$BASE_LABEL\"}}" 2>/dev/null || true; }

build_base_image() {
  local wanted root=$STATE_DIR/rootfs
  wanted=$(wanted_base_id)
  if [[ $(current_base_id) == "$wanted" ]]; then
    log "base image $BASE_TAG ($wanted) present"
  else
    log "building base image $BASE_TAG ($wanted) from Debian bookworm (minbase) and this machine's node"
    local previous
    previous=$(podman image inspect "$BASE_TAG" --format '{{.Id}}' 2>/dev/null || true)
    mkdir -p "$STATE_DIR"
    build_rootfs "$root"
    tar -C "$root" -c . | podman import --quiet \
      --change 'ENTRYPOINT ["docker-entrypoint.sh"]' --change 'CMD ["node"]' \
      --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      --change "ENV NODE_VERSION=$(node -p 'process.versions.node')" \
      --change "LABEL $BASE_LABEL=$wanted" - "$BASE_TAG" >/dev/null
    # The replaced base, unless images built on it still need it (then podman refuses, and that is fine).
    if [[ -n $previous ]]; then podman rmi "$previous" >/dev/null 2>&1 || true; fi
  fi
  podman tag "$BASE_TAG" "$BASE_ALIAS"
  log "base image tagged $BASE_ALIAS"
}

smoke_test() {
  podman run --rm --network none "$BASE_ALIAS" node -e 'console.log(`[container-runtime] smoke: node ${process.version} in a container`)' >&2 ||
    die "the smoke test container failed"
}

up() {
  local start=$SECONDS
  timed install_packages
  configure_podman
  timed start_service
  timed build_base_image
  timed smoke_test
  log "ready in $((SECONDS - start))s. For testcontainers:"
  log "  export DOCKER_HOST=unix://$PODMAN_SOCK TESTCONTAINERS_RYUK_DISABLED=true"
}

status() {
  if command -v podman >/dev/null; then podman --version; else echo "podman: not installed"; fi
  if [[ -f $ENGINE_CONF ]]; then echo "config: $ENGINE_CONF"; else echo "config: missing"; fi
  if api_answers; then echo "api: OK at unix://$PODMAN_SOCK (our pid: $(our_service_pid || echo none))"; else echo "api: down"; fi
  local base
  base=$(command -v podman >/dev/null && current_base_id)
  if [[ -n $base ]]; then echo "base image: $BASE_TAG ($base)"; else echo "base image: missing"; fi
}

clean() {
  local ids
  ids=$(podman ps -aq --filter label=org.testcontainers=true)
  if [[ -z $ids ]]; then log "no testcontainers containers"; return; fi
  # shellcheck disable=SC2086 # one id per word
  podman rm -f $ids >/dev/null
  log "removed: $(echo $ids)"
}

[[ $(id -u) == 0 ]] || die "run as root"
command=${1:-up}
case $command in
  up | stop | clean)
    # Two runs at once (two CI jobs) would race on the config, the service and the image.
    mkdir -p "$(dirname "$LOCKFILE")"
    exec 9>"$LOCKFILE"
    flock -w 600 9 || die "another container-runtime.sh run holds $LOCKFILE"
    case $command in up) up ;; stop) stop_service ;; clean) clean ;; esac
    ;;
  status) status ;;
  *) die "unknown command: $command (up|status|stop|clean)" ;;
esac
