#!/usr/bin/env bash
# Run a Glassbox image hardened (read-only root, /tmp in memory, no capabilities, no new privileges) on a free
# port, wait for its HEALTHCHECK, check the user, the health endpoint, the landing page and the logs, clean up.
# Usage: deploy/docker_check.sh [image]   (default glassbox:local; set PORT to choose the port)
set -euo pipefail
IMAGE="${1:-glassbox:local}"
NAME="glassbox-check-$$"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
port_busy() { python3 -c 'import socket,sys; s=socket.socket(); sys.exit(s.connect_ex(("127.0.0.1", int(sys.argv[1]))) != 0)' "$1"; }
if [ -z "${PORT:-}" ]; then
  if port_busy 8501; then PORT="$(free_port)"; else PORT=8501; fi
fi

if docker network inspect bridge >/dev/null 2>&1; then
  # Usual engine: map the port, run the image's own command and HEALTHCHECK unchanged.
  RUN=(-p "127.0.0.1:$PORT:8501" "$IMAGE")
elif [ "$PORT" = 8501 ]; then
  # Engine without a bridge network: share the host's network; the image is still unchanged.
  RUN=(--network host "$IMAGE")
else
  # No bridge and 8501 busy: same image, with Streamlit and the health check moved to $PORT.
  RUN=(--network host --health-cmd "python -c \"import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:$PORT/_stcore/health', timeout=2).read().strip() == b'ok' else 1)\""
       "$IMAGE" python -m streamlit run app.py "--server.port=$PORT" --server.address=127.0.0.1)
fi

cleanup() { docker rm -f "$NAME" >/dev/null 2>&1 || true; }
trap cleanup EXIT
docker run -d --name "$NAME" --read-only --tmpfs /tmp --cap-drop ALL --security-opt no-new-privileges "${RUN[@]}" >/dev/null
START=$SECONDS
echo "image $IMAGE, container $NAME, port $PORT"

FAILED=0
check() { if [ "$2" = "$3" ]; then echo "PASS $1: $2"; else echo "FAIL $1: got '$2', want '$3'"; FAILED=1; fi; }

STATUS=starting
for _ in $(seq 1 60); do  # up to 2 minutes; the HEALTHCHECK probes every 15 s
  STATUS="$(docker inspect --format '{{if not .State.Running}}exited{{else if .State.Health}}{{.State.Health.Status}}{{else}}no healthcheck{{end}}' "$NAME")"
  [ "$STATUS" = starting ] || break
  sleep 2
done
check "health status ($((SECONDS - START)) s after start)" "$STATUS" healthy
check "user" "$(docker exec "$NAME" id -u)" 10001
check "read-only root" "$(docker inspect --format '{{.HostConfig.ReadonlyRootfs}}' "$NAME")" true
check "processes" "$(docker top "$NAME" | grep -c 'streamlit run' || true)" 1
check "/_stcore/health" "$(curl -s --max-time 5 "http://127.0.0.1:$PORT/_stcore/health")" ok
check "landing page" "$(curl -sf --max-time 5 "http://127.0.0.1:$PORT/" | grep -o 'id="root"' | head -1 || true)" 'id="root"'
check "tracebacks in logs" "$(docker logs "$NAME" 2>&1 | grep -c Traceback || true)" 0

if [ "$FAILED" = 0 ]; then echo PASS; else docker logs "$NAME" 2>&1 | tail -20; echo FAIL; exit 1; fi
