// The unmodified @trigger.dev/sdk against Baton: debounced triggers collapse into one run (issue 15, item 3).
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

/** The runs with this tag, once the runs list (a read model) shows them all finished. */
async function finishedRunsTagged(tag) {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const found = [];
    for await (const run of runs.list({ tag: [tag] })) found.push(run);
    if (found.length > 0 && found.every((run) => run.status === "COMPLETED")) return found;
    if (Date.now() > deadline) return found;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

for (const [mode, expected] of [["leading", "First"], ["trailing", "Second"]]) {
  test(`two triggers with one debounce key make one run that runs once (${mode})`, async () => {
    const key = `compat-${mode}-${randomUUID()}`;
    const tag = `debounce-${randomUUID().slice(0, 8)}`;
    const debounce = { key, delay: "2s", mode };
    const first = await tasks.trigger("hello-world", { name: "First" }, { debounce, tags: [tag] });
    const second = await tasks.trigger("hello-world", { name: "Second" }, { debounce, tags: [tag] });
    assert.equal(second.id, first.id, "the second trigger answers with the debounced run");

    const waiting = await runs.retrieve(first.id);
    assert.equal(waiting.status, "DELAYED");
    assert.deepEqual(waiting.payload, { name: expected });

    const run = await poll(first.id);
    assert.equal(run.status, "COMPLETED");
    assert.equal(run.attemptCount, 1);
    assert.deepEqual(run.output, { greeting: `Hello, ${expected}!` });
    const tagged = await finishedRunsTagged(tag);
    assert.deepEqual(tagged.map((each) => each.id), [first.id], "one run for both triggers");
  });
}

test("once the debounced run has started, the key's next trigger makes a new run", async () => {
  const debounce = { key: `compat-after-${randomUUID()}`, delay: "1s" };
  const first = await tasks.trigger("hello-world", { name: "Early" }, { debounce });
  const done = await poll(first.id);
  assert.equal(done.status, "COMPLETED");
  const next = await tasks.trigger("hello-world", { name: "Late" }, { debounce });
  assert.notEqual(next.id, first.id);
  const run = await poll(next.id);
  assert.deepEqual(run.output, { greeting: "Hello, Late!" });
});

test("an unreadable debounce delay is refused with a 422 naming it", async () => {
  await assert.rejects(
    tasks.trigger("hello-world", { name: "Nope" }, { debounce: { key: "k", delay: "soon" } }),
    (error) => {
      assert.ok(error instanceof ApiError, String(error));
      assert.equal(error.status, 422);
      assert.match(error.message, /options\.debounce\.delay/);
      return true;
    });
});

test("debounce in a batch item is refused with a 422 naming it, not ignored", async () => {
  const items = [{ payload: { name: "Batched" }, options: { debounce: { key: "k", delay: "5s" } } }];
  await assert.rejects(tasks.batchTrigger("hello-world", items), (error) => {
    const cause = error.cause ?? error;
    assert.ok(cause instanceof ApiError, String(error));
    assert.equal(cause.status, 422);
    assert.match(cause.message, /options\.debounce is not supported in batch items/);
    return true;
  });
});
