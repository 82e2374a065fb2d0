# Shared by natlab.sh and nat2lab.sh; sourced, not run.

# stop_pidfile FILE: stop the process whose pid FILE holds (TERM, then KILL after 1 s), if any.
stop_pidfile() {
    [[ -f $1 ]] || return 0
    local pid
    pid=$(cat "$1" 2>/dev/null || true)
    if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.02; done
        kill -9 "$pid" 2>/dev/null || true
    fi
}
