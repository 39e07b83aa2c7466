// The trigger rate limit against a node configured with a tiny one (3 at once, 1 a minute; see ../run).
import { test } from "node:test";
import assert from "node:assert/strict";
import { configure, tasks } from "@trigger.dev/sdk";
import { RateLimitError } from "@trigger.dev/core/v3";

configure({
  baseURL: process.env.BATON_LIMITED_URL,
  accessToken: process.env.BATON_SECRET_KEY,
  // One attempt: the SDK would otherwise wait until x-ratelimit-reset (a minute away) and retry.
  requestOptions: { retry: { maxAttempts: 1 } },
});

test("past the limit a trigger is a 429 the SDK raises as RateLimitError with the reset time", async () => {
  // The node serves no task, so the triggers the bucket lets through are stored PENDING_VERSION; each takes a token.
  for (let i = 0; i < 3; i++) {
    assert.match((await tasks.trigger("hello-world", { i })).id, /^run_/);
  }
  const before = Date.now();
  await assert.rejects(tasks.trigger("hello-world", { i: 3 }), (error) => {
    assert.ok(error instanceof RateLimitError, `${error.name}: ${error.message}`);
    assert.equal(error.status, 429);
    assert.match(error.message, /Rate limit exceeded/);
    assert.equal(error.headers["x-ratelimit-limit"], "3");
    assert.equal(error.headers["x-ratelimit-remaining"], "0");
    const reset = Number(error.headers["x-ratelimit-reset"]);
    assert.ok(reset > before && reset <= Date.now() + 60_000, `reset ${reset}`);
    assert.ok(Number(error.headers["retry-after"]) >= 1);
    assert.ok(error.millisecondsUntilReset > 0);
    return true;
  });
});
