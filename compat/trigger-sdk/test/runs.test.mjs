// The unmodified @trigger.dev/sdk against Baton: trigger, retrieve, poll and manage runs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { configure, tasks, runs, idempotencyKeys } from "@trigger.dev/sdk";
import { ApiError } from "@trigger.dev/core/v3";

configure({
  baseURL: process.env.BATON_URL,
  accessToken: process.env.BATON_SECRET_KEY,
  requestOptions: { retry: { maxAttempts: 2, minTimeoutInMs: 200, maxTimeoutInMs: 500 } },
});

const poll = (id) => runs.poll(id, { pollIntervalMs: 200 });

test("trigger an object payload (SuperJSON on the wire) and poll it to COMPLETED", async () => {
  const handle = await tasks.trigger("hello-world", { name: "Ada", when: new Date("2026-01-01T00:00:00Z") },
    { tags: ["compat", "user:42"], metadata: { source: "compat" } });
  assert.match(handle.id, /^run_/);
  const run = await poll(handle.id);
  assert.equal(run.status, "COMPLETED");
  assert.equal(run.isSuccess, true);
  assert.deepEqual(run.output, { greeting: "Hello, Ada!" });
  assert.deepEqual(run.payload, { name: "Ada", when: "2026-01-01T00:00:00.000Z" });
  assert.deepEqual(run.tags, ["compat", "user:42"]);
  assert.deepEqual(run.metadata, { source: "compat" });
  assert.equal(run.attemptCount, 1);
  assert.ok(run.createdAt instanceof Date && run.finishedAt instanceof Date);
});

test("a task that always throws ends FAILED with its error", async () => {
  const handle = await tasks.trigger("fail", { message: "nope" });
  const run = await poll(handle.id);
  assert.equal(run.status, "FAILED");
  assert.equal(run.isFailed, true);
  assert.equal(run.error.message, "nope");
  assert.equal(run.attemptCount, 2);
});

test("retrieve returns the run with the fields the SDK requires", async () => {
  const handle = await tasks.trigger("hello-world", { name: "Grace" });
  const run = await runs.retrieve(handle.id);
  assert.equal(run.id, handle.id);
  assert.equal(run.taskIdentifier, "hello-world");
  assert.equal(typeof run.isQueued, "boolean");
  assert.deepEqual(run.relatedRuns, { children: [] });
});

test("a task id no worker could declare is a 404 the SDK raises as an ApiError", async () => {
  // A valid id no worker declared yet is accepted as PENDING_VERSION (versions.test.mjs); this one can never be.
  await assert.rejects(tasks.trigger("no such task", {}), (error) => {
    assert.ok(error instanceof ApiError);
    assert.equal(error.status, 404);
    return true;
  });
});

test("a wrong secret key is a 401", async () => {
  configure({ baseURL: process.env.BATON_URL, accessToken: "tr_dev_wrong" });
  try {
    await assert.rejects(runs.retrieve("run_doesnotexist000000000000"), (error) => error.status === 401);
  } finally {
    configure({ baseURL: process.env.BATON_URL, accessToken: process.env.BATON_SECRET_KEY });
  }
});

test("delay, reschedule and cancel", async () => {
  const handle = await tasks.trigger("hello-world", { name: "Later" }, { delay: "1h" });
  let run = await runs.retrieve(handle.id);
  assert.equal(run.status, "DELAYED");
  run = await runs.reschedule(handle.id, { delay: "2h" });
  assert.equal(run.status, "DELAYED");
  assert.ok(run.delayedUntil.getTime() > Date.now() + 90 * 60 * 1000);
  const canceled = await runs.cancel(handle.id);
  assert.equal(canceled.id, handle.id);
  run = await poll(handle.id);
  assert.equal(run.status, "CANCELED");
  assert.equal(run.isCancelled, true);
});

test("a TTL that passes before a worker can start the run expires it, and poll finishes", async () => {
  // `sleep` has a concurrency limit of 2: occupy both slots, then the third run waits past its TTL.
  const blockers = await Promise.all([1, 2].map(() => tasks.trigger("sleep", { ms: 3000 })));
  const handle = await tasks.trigger("sleep", { ms: 1 }, { ttl: "1s" });
  const run = await poll(handle.id);
  assert.equal(run.status, "EXPIRED");
  assert.equal(run.isFailed, true);
  await Promise.all(blockers.map((blocker) => poll(blocker.id)));
});

test("an attempt running past its maxDuration ends the run TIMED_OUT, and poll finishes", async () => {
  const handle = await tasks.trigger("sleep", { ms: 20000 }, { maxDuration: 5 });
  const run = await poll(handle.id);
  assert.equal(run.status, "TIMED_OUT");
  assert.equal(run.isFailed, true);
  assert.match(run.error.message, /maxDuration/);
});

test("replay creates a new run of the same task and payload", async () => {
  const original = await tasks.trigger("hello-world", { name: "Again" });
  await poll(original.id);
  const replay = await runs.replay(original.id);
  assert.notEqual(replay.id, original.id);
  const run = await poll(replay.id);
  assert.deepEqual(run.output, { greeting: "Hello, Again!" });
});

test("an idempotency key returns the same run until it is reset", async () => {
  const key = await idempotencyKeys.create(`compat-${Date.now()}`, { scope: "global" });
  const first = await tasks.trigger("hello-world", { name: "Once" }, { idempotencyKey: key });
  const second = await tasks.trigger("hello-world", { name: "Once" }, { idempotencyKey: key });
  assert.equal(second.id, first.id);
  await idempotencyKeys.reset("hello-world", key);
  const third = await tasks.trigger("hello-world", { name: "Once" }, { idempotencyKey: key });
  assert.notEqual(third.id, first.id);
});

test("runs.list filters by tag and status and pages through every run, newest first", async () => {
  const tag = `list-${Date.now()}`;
  const ids = [];
  for (let i = 0; i < 5; i++) ids.push((await tasks.trigger("hello-world", { name: `L${i}` }, { tags: [tag] })).id);
  await Promise.all(ids.map(poll));
  let listed = [];
  for (let attempt = 0; attempt < 50; attempt++) { // the list is eventually consistent with retrieve
    listed = [];
    for await (const run of runs.list({ tag, status: ["COMPLETED"], limit: 2 })) listed.push(run);
    if (listed.length === ids.length) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  assert.deepEqual(listed.map((run) => run.id).sort(), [...ids].sort());
  for (let i = 1; i < listed.length; i++) {
    assert.ok(listed[i - 1].createdAt.getTime() >= listed[i].createdAt.getTime(), "newest first");
  }
  assert.ok(listed.every((run) => run.env && run.env.id && run.status === "COMPLETED"));
  const firstPage = await runs.list({ tag, limit: 2 });
  assert.equal(firstPage.data.length, 2);
  assert.ok(firstPage.hasNextPage());
});

test("tasks.trigger with a string payload and with no payload", async () => {
  const text = await tasks.trigger("hello-world", "just a string");
  assert.equal((await runs.retrieve(text.id)).payload, "just a string");
  const none = await tasks.trigger("hello-world");
  const run = await poll(none.id);
  assert.equal(run.payload, undefined);
  assert.deepEqual(run.output, { greeting: "Hello, world!" });
});

test("a payload of 128 KiB and more goes through a packet and comes back whole", async () => {
  // `sleep` answers with a small output (a worker's messages to the gateway are limited to 192 KiB).
  const blob = "n".repeat(200 * 1024);
  const handle = await tasks.trigger("sleep", { ms: 1, blob, when: new Date("2026-02-03T04:05:06Z") });
  const run = await poll(handle.id);
  assert.equal(run.status, "COMPLETED");
  assert.equal(run.payload.blob, blob);
  assert.equal(run.payload.when, "2026-02-03T04:05:06.000Z");
  assert.deepEqual(run.output, { sleptMs: 1 });
});

test("a trigger's publicAccessToken is Baton's JWT scoped to the run", async () => {
  const handle = await tasks.trigger("hello-world", { name: "Token" });
  const [header, payload] = handle.publicAccessToken.split(".").slice(0, 2)
    .map((part) => JSON.parse(Buffer.from(part, "base64url").toString()));
  assert.equal(header.alg, "HS256");
  assert.deepEqual(payload.scopes, [`read:runs:${handle.id}`]);
  assert.match(payload.sub, /^env_/);
  assert.equal(payload.pub, true);
});

test("runs.list(projectRef) lists the key's environment, filtered by env", async () => {
  const tag = `project-${Date.now()}`;
  const handle = await tasks.trigger("hello-world", { name: "Project" }, { tags: [tag] });
  let listed = [];
  for (let attempt = 0; attempt < 50 && listed.length === 0; attempt++) {
    listed = [];
    for await (const run of runs.list("default", { tag, env: ["dev"] })) listed.push(run);
    if (listed.length === 0) await new Promise((resolve) => setTimeout(resolve, 200));
  }
  assert.deepEqual(listed.map((run) => run.id), [handle.id]);
  const prod = await runs.list("default", { tag, env: ["prod"] });
  assert.equal(prod.data.length, 0);
  await assert.rejects(runs.list("not-this-project", { tag }), (error) => error.status === 404);
});

test("a retried request (same x-trigger-request-idempotency-key) gets the first answer", async () => {
  const headers = {
    Authorization: `Bearer ${process.env.BATON_SECRET_KEY}`,
    "Content-Type": "application/json",
    "x-trigger-request-idempotency-key": crypto.randomUUID(),
  };
  const send = () => fetch(`${process.env.BATON_URL}/api/v1/tasks/hello-world/trigger`,
    { method: "POST", headers, body: JSON.stringify({ payload: { name: "Retry" } }) }).then((r) => r.json());
  const first = await send();
  const second = await send();
  assert.equal(second.id, first.id);
  assert.equal(second.isCached, false);
  const other = await tasks.trigger("hello-world", { name: "Retry" });
  assert.notEqual(other.id, first.id);
});
