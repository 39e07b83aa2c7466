# Shared by scripts/bench-delayed and scripts/bench-queued: one node on a fresh PostgreSQL database, one example worker,
# the node's heap after a full GC, and runs created 1,000 per batch through the v3 batch API. Source it after setting
# ROOT, RUNS, DB, PORT and NAME (the logs' prefix); NODE_JAVA_OPTS (optional) goes to the node's JVM.
SECRET=tr_dev_mem_secret_key_0123456789abcdef; TOKEN=bw_dev_mem_worker_token_0123456789abcdef
classpath() { echo "$ROOT/$1/target/classes:$(cat "$ROOT/$1/target/classpath.txt")"; }
mkdir -p "$ROOT/target/bench"
psql -h 127.0.0.1 -U postgres -d postgres -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB" >/dev/null
# start_node: starts the node (its log appended to) and waits until it answers /health.
start_node() {
  # shellcheck disable=SC2086
  BATON_DB_URL="jdbc:postgresql://127.0.0.1:5432/$DB" BATON_DB_USER=postgres BATON_DB_PASSWORD=postgres BATON_HTTP_PORT=$PORT \
    BATON_HTTP_INTERFACE=127.0.0.1 BATON_CLUSTER_PORT=0 BATON_MANAGEMENT_ENABLED=off BATON_SECRET_KEY=$SECRET BATON_WORKER_TOKEN=$TOKEN \
    java ${NODE_JAVA_OPTS:-} -cp "$(classpath node)" dev.baton.node.Main >> "$ROOT/target/bench/$NAME-node.log" 2>&1 &
  NODE=$!
  until curl -fsS "http://127.0.0.1:$PORT/health" >/dev/null 2>&1; do sleep 0.5; done
}
: > "$ROOT/target/bench/$NAME-node.log"
WORKER=""
trap 'kill $NODE $WORKER 2>/dev/null || true' EXIT
start_node
java -cp "$(classpath examples)" dev.baton.examples.ExampleWorker --url "http://127.0.0.1:$PORT" --worker-token $TOKEN \
  ${WORKER_SLOTS:+--slots $WORKER_SLOTS} > "$ROOT/target/bench/$NAME-worker.log" 2>&1 &
WORKER=$!
sleep 8

# The heap after a full GC, the live threads, and from a class histogram (which counts live objects only) the bytes
# of live objects and the run entities in memory. "used" also counts what was allocated in the 2 s since the GC.
heap() {
  local histogram
  jcmd $NODE GC.run >/dev/null; sleep 2
  jcmd $NODE GC.heap_info | grep -o 'total [0-9]*K, used [0-9]*K' | head -1 | tr '\n' ' '
  histogram=$(jcmd $NODE GC.class_histogram)
  echo " live=$(awk '$1 == "Total" {print int($3 / 1024) "K"}' <<< "$histogram")" \
    "threads=$(jcmd $NODE Thread.print | grep -c '^"')" \
    "run-entities=$(awk '$4 == "dev.baton.engine.run.RunEntity" {n = $2} END {print n + 0}' <<< "$histogram")"
}

api() { curl -fsS -H "Authorization: Bearer $SECRET" -H 'Content-Type: application/json' "$@"; }

# create_runs COUNT OPTIONS_JSON: COUNT (a multiple of 1,000) hello-world runs with these trigger options.
create_runs() {
  local count=$1 options=$2 id
  for _ in $(seq 1 $((count / 1000))); do
    id=$(api -X POST "http://127.0.0.1:$PORT/api/v3/batches" -d '{"runCount":1000}' | python3 -c 'import sys,json;print(json.load(sys.stdin)["id"])')
    OPTIONS="$options" python3 -c '
import json, os
options = json.loads(os.environ["OPTIONS"])
for i in range(1000): print(json.dumps({"index":i,"task":"hello-world","payload":json.dumps({"name":"n%d"%i}),"options":options}))' \
     | curl -fsS -X POST "http://127.0.0.1:$PORT/api/v3/batches/$id/items" -H "Authorization: Bearer $SECRET" -H 'Content-Type: application/x-ndjson' --data-binary @- >/dev/null
  done
}

# count_status STATUS: rows of the run index in that status.
count_status() { psql -h 127.0.0.1 -U postgres -d "$DB" -Atc "select count(*) from baton_runs where status = '$1'"; }
