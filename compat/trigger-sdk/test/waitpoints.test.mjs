// The unmodified @trigger.dev/sdk's waitpoint tokens (wait.createToken, completeToken, retrieveToken, listTokens)
// against Baton, the token's callback URL, and the example worker's `approval` task waiting for a token.
import { test } from "node:test";
import assert from "node:assert/strict";
import { configure, wait, tasks, runs } from "@trigger.dev/sdk";
import { ApiError, WaitpointTimeoutError } from "@trigger.dev/core/v3";

configure({
  baseURL: process.env.BATON_URL,
  accessToken: process.env.BATON_SECRET_KEY,
  requestOptions: { retry: { maxAttempts: 2, minTimeoutInMs: 200, maxTimeoutInMs: 500 } },
});

const unique = (name) => `${name}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The list is read from the token index, which follows the tokens within a moment: poll until `done`. */
async function listUntil(params, done) {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const ids = [];
    for await (const token of wait.listTokens(params)) ids.push(token);
    if (done(ids) || Date.now() > deadline) return ids;
    await sleep(250);
  }
}

test("createToken answers an id, a callback URL and a public access token; an idempotency key returns it again", async () => {
  const idempotencyKey = unique("approval");
  const token = await wait.createToken({ timeout: "1h", tags: ["compat", "user:42"], idempotencyKey, idempotencyKeyTTL: "10m" });
  assert.match(token.id, /^waitpoint_/);
  assert.equal(token.isCached, false);
  assert.ok(token.url.startsWith(`${process.env.BATON_URL}/api/v1/waitpoints/tokens/${token.id}/callback/`), token.url);
  assert.equal(typeof token.publicAccessToken, "string");
  const scopes = JSON.parse(Buffer.from(token.publicAccessToken.split(".")[1], "base64url").toString()).scopes;
  assert.deepEqual(scopes, [`write:waitpoints:${token.id}`]);

  const again = await wait.createToken({ idempotencyKey });
  assert.equal(again.id, token.id);
  assert.equal(again.isCached, true);

  const retrieved = await wait.retrieveToken(token);
  assert.equal(retrieved.id, token.id);
  assert.equal(retrieved.status, "WAITING");
  assert.equal(retrieved.url, token.url);
  assert.deepEqual(retrieved.tags, ["compat", "user:42"]);
  assert.equal(retrieved.idempotencyKey, idempotencyKey);
  assert.ok(retrieved.idempotencyKeyExpiresAt instanceof Date);
  assert.ok(retrieved.timeoutAt.getTime() > Date.now() + 50 * 60 * 1000);
  assert.ok(retrieved.createdAt instanceof Date);
  assert.equal(retrieved.output, undefined);
  assert.equal(retrieved.completedAt, undefined);
});

test("completeToken completes once; retrieveToken parses the output", async () => {
  const token = await wait.createToken();
  assert.deepEqual(await wait.completeToken(token, { approved: true, comment: "looks good" }), { success: true });
  const retrieved = await wait.retrieveToken(token.id);
  assert.equal(retrieved.status, "COMPLETED");
  assert.deepEqual(retrieved.output, { approved: true, comment: "looks good" });
  assert.ok(retrieved.completedAt instanceof Date);
  assert.equal(retrieved.error, undefined);
  // Completing again changes nothing and is no error.
  assert.deepEqual(await wait.completeToken(token.id, { approved: false }), { success: true });
  assert.deepEqual((await wait.retrieveToken(token.id)).output, { approved: true, comment: "looks good" });
});

test("a POST of JSON to the callback URL completes the token; a wrong hash is refused", async () => {
  const token = await wait.createToken();
  const wrong = token.url.slice(0, token.url.lastIndexOf("/") + 1) + "0".repeat(40);
  const refused = await fetch(wrong, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
  assert.equal(refused.status, 401);
  assert.equal((await wait.retrieveToken(token.id)).status, "WAITING");

  const response = await fetch(token.url, {
    method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ status: "approved" }),
  });
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), { success: true });
  const retrieved = await wait.retrieveToken(token.id);
  assert.equal(retrieved.status, "COMPLETED");
  assert.deepEqual(retrieved.output, { status: "approved" });
});

test("a token that is not completed in time is TIMED_OUT with a WaitpointTimeoutError", async () => {
  const token = await wait.createToken({ timeout: "4s" }); // still waiting when read back
  let retrieved = await wait.retrieveToken(token.id);
  assert.equal(retrieved.status, "WAITING");
  const deadline = Date.now() + 15_000;
  while (retrieved.status === "WAITING" && Date.now() < deadline) {
    await sleep(200);
    retrieved = await wait.retrieveToken(token.id);
  }
  assert.equal(retrieved.status, "TIMED_OUT");
  assert.ok(retrieved.error instanceof WaitpointTimeoutError);
  assert.match(retrieved.error.message, /^Waitpoint timed out at /);
  assert.equal(retrieved.output, undefined);
  assert.ok(retrieved.completedAt.getTime() >= retrieved.timeoutAt.getTime());
  assert.deepEqual(await wait.completeToken(token.id, { late: true }), { success: true });
  assert.equal((await wait.retrieveToken(token.id)).status, "TIMED_OUT");
});

test("listTokens filters by status, tags and idempotency key, and iterates over pages", async () => {
  const tag = unique("list");
  const created = [];
  for (let i = 0; i < 5; i++) {
    created.push(await wait.createToken({ tags: [tag, `n${i}`], idempotencyKey: i === 2 ? `${tag}-key` : undefined }));
  }
  await wait.completeToken(created[1], { i: 1 });
  const newestFirst = created.map((token) => token.id).reverse();

  const all = await listUntil({ tags: [tag], limit: 2 }, (tokens) => tokens.length === 5);
  assert.deepEqual(all.map((token) => token.id), newestFirst);
  assert.ok(all.every((token) => token.createdAt instanceof Date && token.url.includes(token.id)));

  const completed = await listUntil({ tags: tag, status: "COMPLETED" }, (tokens) => tokens.length === 1);
  assert.deepEqual(completed.map((token) => token.id), [created[1].id]);
  assert.ok(completed[0].completedAt instanceof Date);
  const waiting = await listUntil({ tags: [tag], status: ["WAITING"] }, (tokens) => tokens.length === 4);
  assert.equal(waiting.length, 4);
  const byKey = await listUntil({ idempotencyKey: `${tag}-key` }, (tokens) => tokens.length === 1);
  assert.deepEqual(byKey.map((token) => token.id), [created[2].id]);
  const recent = await listUntil({ tags: [tag], period: "1h", from: new Date(Date.now() - 60_000) }, (t) => t.length === 5);
  assert.equal(recent.length, 5);

  const page = await wait.listTokens({ tags: [tag], limit: 2 });
  assert.equal(page.data.length, 2);
  assert.ok(page.hasNextPage());
  const next = await page.getNextPage();
  assert.deepEqual(next.data.map((token) => token.id), newestFirst.slice(2, 4));
  const back = await next.getPreviousPage();
  assert.deepEqual(back.data.map((token) => token.id), newestFirst.slice(0, 2));
});

test("an unknown token is a 404", async () => {
  await assert.rejects(wait.retrieveToken("waitpoint_doesnotexist0000000000"), (error) => {
    assert.ok(error instanceof ApiError);
    assert.equal(error.status, 404);
    return true;
  });
  await assert.rejects(wait.completeToken("waitpoint_doesnotexist0000000000", {}), (error) => error.status === 404);
});

test("a run of the example `approval` task waits for a token and returns the data it is completed with", async () => {
  const token = await wait.createToken({ timeout: "10m" });
  const handle = await tasks.trigger("approval", { tokenId: token.id });
  const deadline = Date.now() + 30_000;
  let run = await runs.retrieve(handle.id);
  while (run.status !== "WAITING" && Date.now() < deadline) {
    await sleep(200);
    run = await runs.retrieve(handle.id);
  }
  assert.equal(run.status, "WAITING");
  await wait.completeToken(token.id, { approved: true, by: "compat" });
  run = await runs.poll(handle.id, { pollIntervalMs: 200 });
  assert.equal(run.status, "COMPLETED");
  assert.deepEqual(run.output, { approved: true, by: "compat" });
});
