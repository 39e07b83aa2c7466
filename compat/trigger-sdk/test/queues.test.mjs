// The unmodified @trigger.dev/sdk's queues.* against Baton: list, retrieve (by id and by type and name), pause and
// resume, override and reset a queue's concurrency limit; and Baton's rate-limit override beside them. The example
// worker declares `hello-world` (its own task queue) and `sleep` (the custom queue `sleepy`, concurrency 2).
import { test } from "node:test";
import assert from "node:assert/strict";
import { configure, queues, runs, tasks } from "@trigger.dev/sdk";

configure({
  baseURL: process.env.BATON_URL,
  accessToken: process.env.BATON_SECRET_KEY,
  requestOptions: { retry: { maxAttempts: 2, minTimeoutInMs: 200, maxTimeoutInMs: 500 } },
});

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

test("queues.list pages through the environment's queues", async () => {
  const page = await queues.list({ page: 1, perPage: 100 });
  const names = page.data.map((queue) => `${queue.type}:${queue.name}`);
  assert.ok(names.includes("task:hello-world"), names.join(", "));
  assert.ok(names.includes("custom:sleepy"), names.join(", "));
  assert.equal(page.pagination.count, page.data.length);
  assert.equal(page.pagination.currentPage, 1);

  const first = await queues.list({ page: 1, perPage: 1 });
  assert.equal(first.data.length, 1);
  assert.equal(first.pagination.totalPages, page.data.length);
  const seen = [];
  for await (const queue of queues.list({ perPage: 1 })) seen.push(queue.id);
  assert.deepEqual(seen, page.data.map((queue) => queue.id), "auto-paging walks every page once");
});

test("queues.retrieve by type and name, and by id", async () => {
  const sleepy = await queues.retrieve({ type: "custom", name: "sleepy" });
  assert.match(sleepy.id, /^queue_/);
  assert.equal(sleepy.name, "sleepy");
  assert.equal(sleepy.type, "custom");
  assert.equal(sleepy.version, "V1");
  assert.equal(sleepy.concurrencyLimit, 2);
  assert.equal(sleepy.concurrency.base, 2);
  assert.equal(sleepy.concurrency.override, null);
  assert.equal(sleepy.paused, false);
  assert.equal(typeof sleepy.queued, "number");
  assert.equal(typeof sleepy.running, "number");

  const byId = await queues.retrieve(sleepy.id);
  assert.equal(byId.name, "sleepy");

  const hello = await queues.retrieve({ type: "task", name: "hello-world" });
  assert.equal(hello.type, "task");
  assert.equal(hello.name, "hello-world");

  await assert.rejects(queues.retrieve({ type: "custom", name: "no-such-queue" }), (error) => error.status === 404);
});

test("a paused queue holds its runs until it is resumed", async () => {
  const paused = await queues.pause({ type: "task", name: "hello-world" });
  assert.equal(paused.paused, true);
  let handle;
  try {
    handle = await tasks.trigger("hello-world", { name: "Paused" });
    await sleep(1500); // long enough for a dispatch that should not happen
    assert.equal((await runs.retrieve(handle.id)).status, "QUEUED");
    const held = await queues.retrieve({ type: "task", name: "hello-world" });
    assert.equal(held.paused, true);
    assert.ok(held.queued >= 1, JSON.stringify(held));
  } finally {
    const resumed = await queues.resume({ type: "task", name: "hello-world" });
    assert.equal(resumed.paused, false);
  }
  const run = await runs.poll(handle.id, { pollIntervalMs: 200 });
  assert.equal(run.status, "COMPLETED");
});

test("overrideConcurrencyLimit and resetConcurrencyLimit", async () => {
  const overridden = await queues.overrideConcurrencyLimit({ type: "custom", name: "sleepy" }, 1);
  try {
    assert.equal(overridden.concurrencyLimit, 1);
    assert.equal(overridden.concurrency.current, 1);
    assert.equal(overridden.concurrency.override, 1);
    assert.equal(overridden.concurrency.base, 2);
    assert.ok(overridden.concurrency.overriddenAt instanceof Date);
    assert.equal(overridden.concurrency.overriddenBy, null);
    assert.equal((await queues.retrieve(overridden.id)).concurrencyLimit, 1);
  } finally {
    const reset = await queues.resetConcurrencyLimit({ type: "custom", name: "sleepy" });
    assert.equal(reset.concurrencyLimit, 2);
    assert.equal(reset.concurrency.override, null);
    assert.equal(reset.concurrency.overriddenAt, null);
  }
  await assert.rejects(
    queues.resetConcurrencyLimit({ type: "custom", name: "sleepy" }),
    (error) => error.status === 400 && /not overridden/.test(error.message),
  );
  await assert.rejects(
    queues.overrideConcurrencyLimit({ type: "custom", name: "sleepy" }, 1_000_000),
    (error) => error.status === 400,
  );
});

// Baton's queue rate limit has no SDK call: it is set over HTTP, and the SDK's queue calls work unchanged around it
// (its QueueItem schema has no rate-limit field and drops Baton's `rateLimit`).
async function rateLimitCall(path, body) {
  const response = await fetch(`${process.env.BATON_URL}/api/v1/queues/sleepy${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: { Authorization: `Bearer ${process.env.BATON_SECRET_KEY}`, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, json: await response.json() };
}

test("a rate-limit override set over HTTP outlives the SDK's pause and resume", async () => {
  const set = await rateLimitCall("/rate-limit/override", { type: "custom", limit: 20, period: "1s" });
  assert.equal(set.status, 200, JSON.stringify(set.json));
  try {
    assert.deepEqual(set.json.rateLimit.override, { limit: 20, period: "1s" });
    const seen = await queues.retrieve({ type: "custom", name: "sleepy" });
    assert.equal(seen.name, "sleepy");
    assert.equal(seen.concurrencyLimit, 2);
    assert.equal(seen.rateLimit, undefined, "the SDK's schema drops Baton's field");
    await queues.pause({ type: "custom", name: "sleepy" });
    await queues.resume({ type: "custom", name: "sleepy" });
    const after = await rateLimitCall("?type=custom");
    assert.equal(after.json.paused, false);
    assert.deepEqual(after.json.rateLimit.current, { limit: 20, period: "1s" });
  } finally {
    const reset = await rateLimitCall("/rate-limit/reset", { type: "custom" });
    assert.equal(reset.status, 200, JSON.stringify(reset.json));
    assert.equal(reset.json.rateLimit.override, null);
  }
  const refused = await rateLimitCall("/rate-limit/override", { type: "custom", limit: 0, period: "1s" });
  assert.equal(refused.status, 400);
  assert.match(refused.json.error, /'limit'/);
});
