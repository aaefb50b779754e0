#!/usr/bin/env bash
# Deployment checks that need tools the project's machines lack (helm, a Docker engine).
# test/unit/deploy-static.test.ts covers what can be checked without them.
#   scripts/deploy-smoke.sh helm|image|compose|all
set -euo pipefail
cd "$(dirname "$0")/.."
chart=helm/grouper
cleanup=()
trap 'for step in "${cleanup[@]}"; do eval "$step"; done' EXIT

helm_checks() {
  local values
  for values in "" "$chart"/ci/*.yaml; do
    echo "helm: ${values:-default values}"
    helm lint --strict "$chart" ${values:+-f "$values"}
    if command -v kubeconform >/dev/null; then
      helm template smoke "$chart" ${values:+-f "$values"} | kubeconform -strict -ignore-missing-schemas -summary
    else
      helm template smoke "$chart" ${values:+-f "$values"} >/dev/null
    fi
  done
  if helm template smoke "$chart" --set redis.bundled.enabled=true --set redis.url=redis://elsewhere:6379 >/dev/null 2>&1; then
    echo "helm: the bundled Redis together with redis.url must be refused" >&2
    exit 1
  fi
  local notes
  notes=$(helm install smoke "$chart" --dry-run=client --set replicaCount=3)
  grep -q 'WARNING: no Redis is configured' <<<"$notes" \
    || { echo "helm: NOTES must warn about several replicas without Redis" >&2; exit 1; }
}

image_checks() {
  docker build -t grouper:smoke .
  local id status
  id=$(docker run -d --rm grouper:smoke)
  cleanup+=("docker rm -f $id >/dev/null")
  [ "$(docker exec "$id" id -u)" != 0 ] || { echo "image: runs as root" >&2; exit 1; }
  for _ in $(seq 60); do
    status=$(docker inspect --format '{{.State.Health.Status}}' "$id")
    [ "$status" = healthy ] && { echo "image: healthy"; return; }
    sleep 1
  done
  docker logs "$id" >&2
  echo "image: not healthy after 60s (last status: $status)" >&2
  exit 1
}

compose_checks() {
  docker compose config -q
  cleanup+=("docker compose down -v")
  docker compose up -d --build --wait
  for _ in $(seq 120); do
    if docker compose logs webhook | grep -F '"alertname":"DemoAlwaysFiring"' >/dev/null; then
      echo "compose: the demo alert reached the webhook receiver"
      return
    fi
    sleep 1
  done
  docker compose logs >&2
  echo "compose: no notification reached the webhook receiver in 120s" >&2
  exit 1
}

case "${1:-all}" in
  helm) helm_checks ;;
  image) image_checks ;;
  compose) compose_checks ;;
  all) helm_checks; image_checks; compose_checks ;;
  *) echo "usage: $0 helm|image|compose|all" >&2; exit 2 ;;
esac
