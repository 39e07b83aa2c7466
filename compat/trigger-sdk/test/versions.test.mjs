// The unmodified @trigger.dev/sdk against Baton: runs of undeclared tasks are PENDING_VERSION, the SDK's `version`
// option (lockToVersion) pins a run to a worker version, and options Baton has nothing for are refused (issue 15,
// items 5 and 6).
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { configure, tasks, runs } from "@trigger.dev/sdk";
import { ApiError } from "@trigger.dev/core/v3";

configure({
  baseURL: process.env.BATON_URL,
  accessToken: process.env.BATON_SECRET_KEY,
  requestOptions: { retry: { maxAttempts: 2, minTimeoutInMs: 200, maxTimeoutInMs: 500 } },
});

const poll = (id) => runs.poll(id, { pollIntervalMs: 200 });

/** Rejects with the SDK's ApiError of this status, whose message matches. */
async function refused(promise, status, message) {
  await assert.rejects(promise, (error) => {
    assert.ok(error instanceof ApiError, String(error));
    assert.equal(error.status, status);
    assert.match(error.message, message);
    return true;
  });
}

test("a trigger of a task no worker declared is stored as PENDING_VERSION and waits", async () => {
  const task = `not-declared-${randomUUID().slice(0, 8)}`;
  const handle = await tasks.trigger(task, { n: 1 });
  const run = await runs.retrieve(handle.id);
  assert.equal(run.status, "PENDING_VERSION");
  assert.equal(run.taskIdentifier, task);
  assert.equal(run.isQueued, true);
  assert.equal(run.isCompleted, false);
  assert.equal(run.version, undefined, "no version has been chosen for it yet");
  // Still waiting a moment later: nothing fails it for want of a worker.
  await new Promise((resolve) => setTimeout(resolve, 500));
  assert.equal((await runs.retrieve(handle.id)).status, "PENDING_VERSION");
  const canceled = await runs.cancel(handle.id);
  assert.equal(canceled.id, handle.id);
  assert.equal((await runs.retrieve(handle.id)).status, "CANCELED");
});

test("a run records the version that ran it, and `version` pins a run to that version", async () => {
  const first = await poll((await tasks.trigger("hello-world", { name: "Unpinned" })).id);
  assert.equal(first.status, "COMPLETED");
  assert.equal(typeof first.version, "string", "the example worker's version");

  const pinned = await tasks.trigger("hello-world", { name: "Pinned" }, { version: first.version });
  const run = await poll(pinned.id);
  assert.equal(run.status, "COMPLETED");
  assert.equal(run.version, first.version);
  assert.deepEqual(run.output, { greeting: "Hello, Pinned!" });

  assert.ok(await listedWithVersion(pinned.id, first.version), "the runs list filters by version");
  assert.equal(await listedWithVersion(pinned.id, "19990101.1", 0), false, "another version's filter leaves it out");
});

/** Whether the runs list (a read model, a moment behind) shows the run under `filter[version]`, within `waitMs`. */
async function listedWithVersion(runId, version, waitMs = 15_000) {
  const deadline = Date.now() + waitMs;
  for (;;) {
    for await (const each of runs.list({ version, taskIdentifier: "hello-world" })) {
      if (each.id === runId) return true;
    }
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

test("a version that does not declare the task is refused with a 422, not ignored", async () => {
  await refused(
    tasks.trigger("hello-world", { name: "Nowhere" }, { version: "19990101.1" }),
    422,
    /Task 'hello-world' not found on locked version '19990101\.1'/);
});

test("machine and region are refused with a 400 naming them, not ignored", async () => {
  await refused(tasks.trigger("hello-world", { name: "Big" }, { machine: "large-1x" }), 400, /options\.machine/);
  await refused(tasks.trigger("hello-world", { name: "Far" }, { region: "eu-central-1" }), 400, /options\.region/);
});
