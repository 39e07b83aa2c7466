# shellcheck shell=bash
# Pieces shared by scripts/bench and scripts/cluster: building the modules a script runs, their classpath, starting a
# node JVM and waiting until it answers. Source it with ROOT set to the repository's root.

# Builds the modules (mvn package -pl <modules> -am, offline first) when one has no classpath yet or a source is newer
# than the last build; with skip=1 an existing build is used as it is (others editing the tree).
# Usage: baton_build_if_needed <log file> <skip: 0|1> <module>...
baton_build_if_needed() {
  local log="$1" skip="$2"
  shift 2
  local marker="$ROOT/$1/target/classpath.txt" module built=1 modules
  for module in "$@"; do [[ -f "$ROOT/$module/target/classpath.txt" ]] || built=0; done
  if (( built )) && [[ "$skip" == 1 ]]; then return 0; fi
  if (( built )) \
    && [[ -z "$(find "$ROOT" -path "$ROOT/*/target" -prune -o \( -name '*.java' -o -name '*.conf' -o -name 'pom.xml' -o -name '*.xml' -o -name '*.sql' -o -path '*/src/main/resources/*' \) -newer "$marker" -print -quit)" ]]; then
    return 0
  fi
  modules="$(IFS=,; echo "$*")"
  mkdir -p "$(dirname "$log")"
  echo "# building $modules (mvn package -pl $modules -am; log: $log)" >&2
  if ! mvn -B -o -pl "$modules" -am package -DskipTests > "$log" 2>&1 \
    && ! mvn -B -pl "$modules" -am package -DskipTests > "$log" 2>&1; then
    grep -E "ERROR|BUILD" "$log" | head -20 >&2
    echo "${0##*/}: the build failed (another module mid-edit? retry in a minute)" >&2
    return 1
  fi
  # The dependency plugin leaves an unchanged classpath.txt as it was: date the build so the next call skips it.
  touch "$marker"
}

# The classpath of a built module. Usage: baton_classpath <module>
baton_classpath() {
  echo "$ROOT/$1/target/classes:$(cat "$ROOT/$1/target/classpath.txt")"
}

# Starts a node (dev.baton.node.Main) in the background, its output in <log>; its pid is in $! afterwards. The caller
# sets the node's environment (BATON_DB_URL, BATON_HTTP_PORT, BATON_CLUSTER_PORT, …), e.g. as assignments before the
# call. Usage: baton_launch_node <log file> [JVM option]...
baton_launch_node() {
  local log="$1"
  shift
  java "$@" -cp "$(baton_classpath node)" dev.baton.node.Main > "$log" 2>&1 &
}

# The cluster seed-node options for the given cluster ports on 127.0.0.1 (the actor system is named baton).
# Usage: baton_seed_options <cluster port>...
baton_seed_options() {
  local index=0 port
  for port in "$@"; do
    printf -- '-Dakka.cluster.seed-nodes.%d=akka://baton@127.0.0.1:%d ' "$index" "$port"
    index=$((index + 1))
  done
}

# Waits until the node answers /health on its HTTP port (it is an Up member); fails, showing the log's end, when the
# process exits first or <seconds> pass. Usage: baton_wait_healthy <http port> <pid> <log file> [seconds, default 180]
baton_wait_healthy() {
  local port="$1" pid="$2" log="$3" deadline=$((SECONDS + ${4:-180}))
  until curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1; do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "${0##*/}: the node on port $port exited during startup; its log ($log):" >&2
      tail -50 "$log" >&2
      return 1
    fi
    if (( SECONDS > deadline )); then
      echo "${0##*/}: the node on port $port did not become healthy (log: $log)" >&2
      return 1
    fi
    sleep 0.5
  done
}
