// The unmodified @trigger.dev/sdk's realtime against Baton: runs.subscribeToRun, subscribeToRunsWithTag and
// subscribeToBatch (Electric's shape protocol on /realtime/v1, held live requests).
import { test } from "node:test";
import assert from "node:assert/strict";
import { configure, auth, tasks, runs } from "@trigger.dev/sdk";

configure({
  baseURL: process.env.BATON_URL,
  accessToken: process.env.BATON_SECRET_KEY,
  requestOptions: { retry: { maxAttempts: 2, minTimeoutInMs: 200, maxTimeoutInMs: 500 } },
});

const unique = (prefix) => `${prefix}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;

// Consecutive duplicates removed: a subscription may show a status more than once (each metadata update).
const transitions = (values) => values.filter((value, i) => i === 0 || value !== values[i - 1]);

test("subscribeToRun follows a run QUEUED → EXECUTING → COMPLETED with its metadata in order, then ends",
  { timeout: 60_000 }, async () => {
    // The progress task's queue runs one run per concurrency key: the second run waits, QUEUED, for the first.
    const concurrencyKey = unique("realtime");
    await tasks.trigger("progress", { steps: 2, stepMs: 500 }, { concurrencyKey });
    const handle = await tasks.trigger("progress", { steps: 3, stepMs: 400 }, { concurrencyKey });

    const seen = [];
    // Ends by itself once the run has completed (closeOnComplete).
    for await (const run of runs.subscribeToRun(handle.id)) seen.push(run);

    assert.ok(seen.every((run) => run.id === handle.id && run.taskIdentifier === "progress"));
    const statuses = transitions(seen.map((run) => run.status)).filter((status) => status !== "DEQUEUED");
    assert.deepEqual(statuses, ["QUEUED", "EXECUTING", "COMPLETED"]);
    const done = transitions(seen.map((run) => run.metadata?.progress?.done).filter((n) => n !== undefined));
    assert.ok(done.length > 0, "no metadata update was seen");
    assert.deepEqual(done, [...done].sort((a, b) => a - b), `metadata out of order: ${done}`);
    assert.equal(done.at(-1), 3);
    const last = seen.at(-1);
    assert.equal(last.isSuccess, true);
    assert.deepEqual(last.output, { steps: 3 });
    assert.deepEqual(last.payload, { steps: 3, stepMs: 400 });
    assert.ok(last.finishedAt instanceof Date && last.createdAt instanceof Date);
  });

test("subscribeToRun works with the publicAccessToken of the trigger's handle", { timeout: 60_000 }, async () => {
  const handle = await tasks.trigger("hello-world", { name: "Realtime" });
  const seen = [];
  await auth.withAuth({ accessToken: handle.publicAccessToken }, async () => {
    for await (const run of runs.subscribeToRun(handle.id)) seen.push(run);
  });
  assert.equal(seen.at(-1).status, "COMPLETED");
  assert.deepEqual(seen.at(-1).output, { greeting: "Hello, Realtime!" });
});

test("subscribeToRunsWithTag sees runs triggered after it subscribed", { timeout: 60_000 }, async () => {
  const tag = unique("rt-tag");
  const subscription = runs.subscribeToRunsWithTag(tag);
  const names = ["T0", "T1", "T2"];
  const triggered = [];
  const completed = new Map();
  const triggering = (async () => {
    for (const name of names) {
      triggered.push((await tasks.trigger("hello-world", { name }, { tags: [tag] })).id);
    }
  })();
  for await (const run of subscription) {
    assert.deepEqual(run.tags, [tag]);
    if (run.status === "COMPLETED") completed.set(run.id, run.output.greeting);
    if (completed.size === names.length) break;
  }
  await triggering;
  assert.deepEqual([...completed.keys()].sort(), [...triggered].sort());
  assert.deepEqual([...completed.values()].sort(), names.map((name) => `Hello, ${name}!`));
});

test("subscribeToBatch sees every item of the batch", { timeout: 60_000 }, async () => {
  const names = ["R0", "R1", "R2", "R3"];
  const handle = await tasks.batchTrigger("hello-world", names.map((name) => ({ payload: { name } })));
  const completed = new Map();
  await auth.withAuth({ accessToken: handle.publicAccessToken }, async () => {
    for await (const run of runs.subscribeToBatch(handle.batchId)) {
      if (run.status === "COMPLETED") completed.set(run.id, run.output.greeting);
      if (completed.size === names.length) break;
    }
  });
  assert.deepEqual([...completed.values()].sort(), names.map((name) => `Hello, ${name}!`));
});
