# Sourced by .ci/run once the repository is built: a throwaway PostgreSQL cluster on loopback from the machine's server
# binaries, exported as DATABASE_URL for the suites that use a real server, and removed on exit. Without the binaries
# nothing happens and those suites use their embedded default (PGlite).

pg_throwaway_start() {
  local bindir
  bindir="$(pg_config --bindir 2>/dev/null || true)"
  if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ] || [ ! -x "$bindir/pg_ctl" ]; then
    echo "ci: no PostgreSQL server binaries found (pg_config --bindir); suites use the embedded PGlite database"
    return 0
  fi
  PG_THROWAWAY_DIR="$(mktemp -d /tmp/wr-ci-pg.XXXXXX)"
  local run=()
  if [ "$(id -u)" = "0" ]; then
    # PostgreSQL refuses to run as root: the cluster belongs to the postgres system user, which runs its tools in the
    # cluster's folder (the working directory, e.g. CI's clone in a private temporary folder, may be closed to it).
    chown postgres "$PG_THROWAWAY_DIR"
    run=(runuser -u postgres -- env --chdir="$PG_THROWAWAY_DIR")
  fi
  "${run[@]}" "$bindir/initdb" -D "$PG_THROWAWAY_DIR/data" -U postgres -A trust --no-sync >"$PG_THROWAWAY_DIR/initdb.log" 2>&1 \
    || { cat "$PG_THROWAWAY_DIR/initdb.log"; return 1; }
  # The port rule of the tests (reservePort, anchor/src/testing/ports.ts): outside the ephemeral range, free when
  # picked. Picked only now, just before the server binds it; another try on another port if the start fails.
  local port attempt
  for attempt in 1 2 3; do
    port="$(node --input-type=module -e 'const { reservePort } = await import("@wr/anchor/testing"); console.log(await reservePort());')" \
      || { echo "ci: no port for PostgreSQL (is the repository built? npm run build)"; return 1; }
    if "${run[@]}" "$bindir/pg_ctl" -D "$PG_THROWAWAY_DIR/data" -l "$PG_THROWAWAY_DIR/server.log" -w \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $PG_THROWAWAY_DIR -c fsync=off" start >/dev/null; then
      break
    fi
    cat "$PG_THROWAWAY_DIR/server.log"
    [ "$attempt" -lt 3 ] || return 1
  done
  PG_THROWAWAY_CTL=("${run[@]}" "$bindir/pg_ctl" -D "$PG_THROWAWAY_DIR/data")
  export DATABASE_URL="postgres://postgres@127.0.0.1:$port/postgres"
  echo "ci: throwaway PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') at 127.0.0.1:$port"
}

pg_throwaway_stop() {
  if [ -n "${PG_THROWAWAY_DIR:-}" ]; then
    "${PG_THROWAWAY_CTL[@]}" -m fast stop >/dev/null 2>&1 || true
    rm -rf "$PG_THROWAWAY_DIR"
  fi
}
