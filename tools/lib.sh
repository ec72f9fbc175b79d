# shellcheck shell=bash
# Shared by tools/glimpse-up, tools/glimpse-down and tools/run-tests; sourced, not run.

# The checkout's root, whatever directory the caller is in.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${GLIMPSE_VENV:-$ROOT/.venv}"

say() { printf '%s\n' "$*"; }
warn() { printf '%s\n' "$*" >&2; }

# port_open HOST PORT: true when something accepts TCP connections there.
port_open() {
    timeout 2 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null
}

# wait_port HOST PORT SECONDS
wait_port() {
    local deadline=$((SECONDS + $3))
    while ((SECONDS < deadline)); do
        port_open "$1" "$2" && return 0
        sleep 1
    done
    return 1
}

# ensure_venv EXTRAS: create the venv if missing and install the project into it (editable)
# when setup.cfg or pyproject.toml changed since the last install.
ensure_venv() {
    local extras="$1" python stamp want
    if [[ ! -x "$VENV/bin/python" ]]; then
        python="${PYTHON:-$(command -v python3.11 || command -v python3)}"
        say "Creating $VENV with $python"
        "$python" -m venv "$VENV"
    fi
    stamp="$VENV/.glimpse-install"
    want="$extras $(cat "$ROOT/setup.cfg" "$ROOT/pyproject.toml" | sha256sum | cut -d' ' -f1)"
    if [[ ! -f "$stamp" ]] || [[ "$(cat "$stamp")" != "$want" ]]; then
        say "Installing Glimpse into $VENV (pip install -e .$extras)"
        # -qq: the progress and the warnings of the machine's own pip settings are noise here.
        "$VENV/bin/python" -m pip install -qq -e "$ROOT$extras"
        printf '%s' "$want" >"$stamp"
    fi
}

# ensure_rabbitmq: true when RabbitMQ answers on 127.0.0.1:5672, starting it if installed.
ensure_rabbitmq() {
    port_open 127.0.0.1 5672 && return 0
    command -v rabbitmq-server >/dev/null || return 1
    say "Starting RabbitMQ (rabbitmq-server -detached)"
    rabbitmq-server -detached >/dev/null 2>&1 || return 1
    # It returns at once and opens the port a few seconds later.
    wait_port 127.0.0.1 5672 60
}

# ensure_keystone_venv: Keystone in its own venv (.keystone-venv) for the tests that need a
# real Keystone; its pins never enter $VENV. A failure is only a warning: those tests skip.
ensure_keystone_venv() {
    "$VENV/bin/python" "$ROOT/tools/keystone.py" ensure-venv \
        || warn "Keystone could not be installed; the tests that need it will be skipped"
}
