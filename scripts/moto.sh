# Sourced by scripts/test.sh and scripts/bench-daemon.sh: install moto's server into
# .moto-venv/ (unless it is there) and start it on a free 127.0.0.1 port.
# Sets MOTO_ENDPOINT_URL, MOTO_PID, VENV; stops moto on exit.

MOTO_VERSION="5.2.5"           # the version DESIGN.md's seams were checked against
VENV=".moto-venv"
PYTHON="${PYTHON:-python3}"

if ! "$VENV/bin/python" -c "import moto, sys; sys.exit(moto.__version__ != '$MOTO_VERSION')" 2>/dev/null; then
  echo "==> installing moto[server]==$MOTO_VERSION into $VENV"
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION"
fi

PORT=$("$VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
MOTO_LOG=$(mktemp -t moto.XXXXXX.log)
echo "==> starting moto on 127.0.0.1:$PORT (log: $MOTO_LOG)"
# moto with its documented gaps patched in memory (scripts/moto_launcher.py says which).
"$VENV/bin/python" scripts/moto_launcher.py -H 127.0.0.1 -p "$PORT" >"$MOTO_LOG" 2>&1 &
MOTO_PID=$!
trap 'kill "$MOTO_PID" 2>/dev/null || true; wait "$MOTO_PID" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  if "$VENV/bin/python" -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$PORT/moto-api/', timeout=1)" 2>/dev/null; then
    break
  fi
  if ! kill -0 "$MOTO_PID" 2>/dev/null; then
    echo "moto failed to start:"; cat "$MOTO_LOG"; exit 1
  fi
  sleep 0.2
done

export MOTO_ENDPOINT_URL="http://127.0.0.1:$PORT"
# Static test credentials and region for the SDK's standard chain; nothing leaves loopback.
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1
export AWS_EC2_METADATA_DISABLED=true
unset AWS_PROFILE AWS_SESSION_TOKEN
