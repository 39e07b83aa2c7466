// The unmodified @trigger.dev/sdk's public access tokens against Baton: with a key of the form tr_<env>_sk_<24>,
// the SDK asks Baton to sign them (POST /api/v1/auth/public-tokens), and Baton honours their scopes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { configure, auth, tasks, runs } from "@trigger.dev/sdk";
import { ApiError } from "@trigger.dev/core/v3";

configure({
  baseURL: process.env.BATON_URL,
  accessToken: process.env.BATON_SECRET_KEY,
  requestOptions: { retry: { maxAttempts: 2, minTimeoutInMs: 200, maxTimeoutInMs: 500 } },
});

const status = (code) => (error) => {
  assert.ok(error instanceof ApiError, String(error));
  assert.equal(error.status, code, error.message);
  return true;
};

test("a token scoped to one run reads it and is refused another", async () => {
  const mine = await tasks.trigger("hello-world", { name: "Token" });
  const theirs = await tasks.trigger("hello-world", { name: "Other" });
  const token = await auth.createPublicToken({ scopes: { read: { runs: [mine.id] } } });
  assert.equal(token.split(".").length, 3);

  await auth.withAuth({ accessToken: token }, async () => {
    const run = await runs.retrieve(mine.id);
    assert.equal(run.id, mine.id);
    await assert.rejects(runs.retrieve(theirs.id), status(403));
  });
});

test("the token a trigger returns reads its run", async () => {
  const handle = await tasks.trigger("hello-world", { name: "Handle" });
  await auth.withAuth({ accessToken: handle.publicAccessToken }, async () => {
    assert.equal((await runs.retrieve(handle.id)).id, handle.id);
  });
});

test("a trigger token triggers its task once", async () => {
  const token = await auth.createTriggerPublicToken("hello-world");
  let handle;
  await auth.withAuth({ accessToken: token }, async () => {
    handle = await tasks.trigger("hello-world", { name: "Once" });
    await assert.rejects(tasks.trigger("hello-world", { name: "Twice" }), status(401));
  });
  const run = await runs.poll(handle.id, { pollIntervalMs: 200 });
  assert.equal(run.taskIdentifier, "hello-world");
  assert.deepEqual(run.output, { greeting: "Hello, Once!" });

  const reusable = await auth.createTriggerPublicToken("hello-world", { multipleUse: true });
  await auth.withAuth({ accessToken: reusable }, async () => {
    await tasks.trigger("hello-world", { name: "Again" });
    await tasks.trigger("hello-world", { name: "And again" });
    await assert.rejects(tasks.trigger("fail", { message: "not mine" }), status(403));
  });
});

test("a public token cannot cancel a run", async () => {
  const handle = await tasks.trigger("hello-world", { name: "Keep" }, { delay: "1h" });
  const token = await auth.createPublicToken({ scopes: { read: { runs: [handle.id] } } });
  await auth.withAuth({ accessToken: token }, async () => {
    await assert.rejects(runs.cancel(handle.id), status(403));
  });
  assert.equal((await runs.retrieve(handle.id)).status, "DELAYED");
  await runs.cancel(handle.id);
});
