// The unmodified @trigger.dev/sdk against Baton: batch triggers (the v3 two-phase API) and batch.retrieve.
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { configure, tasks, batch, runs, task } from "@trigger.dev/sdk";
import { ApiError } from "@trigger.dev/core/v3";

configure({
  baseURL: process.env.BATON_URL,
  accessToken: process.env.BATON_SECRET_KEY,
  requestOptions: { retry: { maxAttempts: 2, minTimeoutInMs: 200, maxTimeoutInMs: 500 } },
});

const poll = (id) => runs.poll(id, { pollIntervalMs: 200 });

// Handles for batch.triggerByTask: the code of these tasks runs in Baton's Java example worker, not here.
const helloWorld = task({ id: "hello-world", run: async () => undefined });
const sleep = task({ id: "sleep", run: async () => undefined });

test("tasks.batchTrigger creates every run; batch.retrieve lists them and they complete", async () => {
  const names = ["B0", "B1", "B2", "B3"];
  const handle = await tasks.batchTrigger("hello-world",
    names.map((name) => ({ payload: { name, when: new Date("2026-01-01T00:00:00Z") }, options: { tags: ["batch-compat"] } })));
  assert.match(handle.batchId, /^batch_/);
  assert.equal(handle.runCount, 4);

  const retrieved = await batch.retrieve(handle.batchId);
  assert.equal(retrieved.id, handle.batchId);
  assert.equal(retrieved.status, "COMPLETED");
  assert.equal(retrieved.runCount, 4);
  assert.equal(retrieved.runs.length, 4);
  assert.deepEqual(retrieved.processing.errors, []);
  assert.ok(retrieved.createdAt instanceof Date && retrieved.processing.completedAt instanceof Date);

  const finished = await Promise.all(retrieved.runs.map(poll));
  assert.deepEqual(finished.map((run) => run.status), ["COMPLETED", "COMPLETED", "COMPLETED", "COMPLETED"]);
  assert.deepEqual(finished.map((run) => run.output.greeting), names.map((name) => `Hello, ${name}!`));
  assert.deepEqual(finished[0].payload, { name: "B0", when: "2026-01-01T00:00:00.000Z" });
  assert.deepEqual(finished[2].tags, ["batch-compat"]);
  assert.equal(finished[1].batchId, handle.batchId);
  assert.equal(finished[1].triggerFunction, "batchTrigger");
});

test("batch.trigger runs items of different tasks", async () => {
  const handle = await batch.trigger([
    { id: "hello-world", payload: { name: "Mixed" } },
    { id: "sleep", payload: { ms: 10 } },
    { id: "hello-world", payload: { name: "Again" }, options: { tags: ["second"] } },
  ]);
  assert.equal(handle.runCount, 3);
  const retrieved = await batch.retrieve(handle.batchId);
  const finished = await Promise.all(retrieved.runs.map(poll));
  assert.deepEqual(finished.map((run) => run.taskIdentifier), ["hello-world", "sleep", "hello-world"]);
  assert.deepEqual(finished[0].output, { greeting: "Hello, Mixed!" });
  assert.deepEqual(finished[1].output, { sleptMs: 10 });
  assert.deepEqual(finished[2].tags, ["second"]);
});

test("batch.triggerByTask runs items of task handles", async () => {
  const handle = await batch.triggerByTask([
    { task: helloWorld, payload: { name: "ByTask" } },
    { task: sleep, payload: { ms: 5 } },
  ]);
  const retrieved = await batch.retrieve(handle.batchId);
  assert.equal(retrieved.status, "COMPLETED");
  const finished = await Promise.all(retrieved.runs.map(poll));
  assert.deepEqual(finished.map((run) => run.output), [{ greeting: "Hello, ByTask!" }, { sleptMs: 5 }]);
});

test("a batch idempotency key returns the same batch, whose items are not sent again", async () => {
  const idempotencyKey = `batch-compat-${Date.now()}`;
  const items = [{ payload: { name: "Once" } }, { payload: { name: "Twice?" } }];
  const first = await tasks.batchTrigger("hello-world", items, { idempotencyKey });
  const second = await tasks.batchTrigger("hello-world", items, { idempotencyKey });
  assert.equal(second.batchId, first.batchId);
  const retrieved = await batch.retrieve(first.batchId);
  assert.equal(retrieved.runs.length, 2);
  assert.ok(retrieved.idempotencyKey);
});

test("an impossible task id fails its item only (PARTIAL_FAILED); an undeclared task's item waits", async () => {
  const handle = await batch.trigger([
    { id: "hello-world", payload: { name: "Fine" } },
    { id: "no such task", payload: {} },
    { id: `not-declared-${randomUUID().slice(0, 8)}`, payload: {} },
  ]);
  const retrieved = await batch.retrieve(handle.batchId);
  assert.equal(retrieved.status, "PARTIAL_FAILED");
  assert.equal(retrieved.runs.length, 2);
  assert.equal(retrieved.processing.errors.length, 1);
  assert.equal(retrieved.processing.errors[0].index, 1);
  assert.equal(retrieved.processing.errors[0].taskIdentifier, "no such task");
  const run = await poll(retrieved.runs[0]);
  assert.deepEqual(run.output, { greeting: "Hello, Fine!" });
  const pending = await runs.retrieve(retrieved.runs[1]);
  assert.equal(pending.status, "PENDING_VERSION");
  await runs.cancel(pending.id);
});

test("more than 1,000 items are refused with a 400, and an unknown batch is a 404", async () => {
  const items = Array.from({ length: 1001 }, (_, i) => ({ payload: { name: `N${i}` } }));
  await assert.rejects(tasks.batchTrigger("hello-world", items), (error) => {
    const cause = error.cause ?? error;
    assert.ok(cause instanceof ApiError, String(error));
    assert.equal(cause.status, 400);
    return true;
  });
  await assert.rejects(batch.retrieve("batch_doesnotexist000000000000"), (error) => {
    assert.ok(error instanceof ApiError);
    assert.equal(error.status, 404);
    return true;
  });
});
