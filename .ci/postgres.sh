# Sourced by .ci/run: a throwaway PostgreSQL server on loopback for the tg.tune postgresStorage test.
# postgres_start DIR: installs Debian's postgresql if missing, makes a cluster in DIR (owned by the
# postgres user), starts it on 127.0.0.1 at a free port and exports TAPEGRAD_TEST_POSTGRES_URL.
# postgres_stop DIR: stops it. Runs as root (CI here does); the server itself runs as postgres.

postgres_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1; }

postgres_start() {
  local dir=$1 bin port
  bin=$(postgres_bin)
  if [[ -z $bin ]]; then
    apt-get install -y postgresql >/dev/null || { apt-get update >/dev/null && apt-get install -y postgresql >/dev/null; } || return
    bin=$(postgres_bin)
  fi
  [[ -n $bin ]] || { echo "postgresql did not install" >&2; return 1; }
  port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})') || return
  mkdir -p "$dir" && chown postgres "$dir" || return
  su postgres -s /bin/sh -c "'$bin/initdb' -D '$dir/data' -A trust -U postgres >/dev/null" || return
  su postgres -s /bin/sh -c "'$bin/pg_ctl' -D '$dir/data' -l '$dir/log' -w -o \"-h 127.0.0.1 -p $port -k '$dir'\" start >/dev/null" ||
    { cat "$dir/log" >&2; return 1; }
  export TAPEGRAD_TEST_POSTGRES_URL="postgresql://postgres@127.0.0.1:$port/postgres"
  echo "postgres $("$bin/postgres" --version) on 127.0.0.1:$port"
}

postgres_stop() {
  local dir=$1 bin
  bin=$(postgres_bin)
  [[ -n $bin && -d $dir/data ]] && su postgres -s /bin/sh -c "'$bin/pg_ctl' -D '$dir/data' -m immediate stop >/dev/null" || true
}
