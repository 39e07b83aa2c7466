// Keys made, rotated and revoked through Baton's management API, used by the unmodified @trigger.dev/sdk: a
// rotated key keeps working during its overlap and not after, and a revoked one at once.
import { test } from "node:test";
import assert from "node:assert/strict";
import { configure, auth, tasks, runs } from "@trigger.dev/sdk";
import { ApiError } from "@trigger.dev/core/v3";

const BASE = process.env.BATON_URL;
const KEYS = `${BASE}/api/v1/projects/default/environments/dev/keys`;

configure({
  baseURL: BASE,
  accessToken: process.env.BATON_SECRET_KEY,
  requestOptions: { retry: { maxAttempts: 1 } },
});

async function manage(method, url, body) {
  const response = await fetch(url, {
    method,
    headers: { Authorization: `Bearer ${process.env.BATON_ADMIN_TOKEN}`, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await response.json();
  assert.ok(response.ok, `${method} ${url}: ${response.status} ${JSON.stringify(json)}`);
  return json;
}

const triggersWith = (key) =>
  auth.withAuth({ accessToken: key }, () => tasks.trigger("hello-world", { name: "Key" }));

const unauthorized = (error) => {
  assert.ok(error instanceof ApiError, String(error));
  assert.equal(error.status, 401, error.message);
  return true;
};

test("a rotated key works during its overlap and not after; its successor works", async () => {
  const created = await manage("POST", KEYS, { name: "compat rotation" });
  assert.match(created.key, /^tr_dev_sk_[0-9a-z]{24}$/);
  const first = await triggersWith(created.key);
  assert.match(first.id, /^run_/);

  const rotated = await manage("POST", `${KEYS}/${created.id}/rotate`, { overlap: "3s" });
  const fresh = rotated.key.key;
  assert.notEqual(fresh, created.key);
  const overlapEnds = Date.parse(rotated.replaces.expiresAt);

  assert.match((await triggersWith(created.key)).id, /^run_/, "the old key works during the overlap");
  assert.match((await triggersWith(fresh)).id, /^run_/);

  await new Promise((resolve) => setTimeout(resolve, Math.max(0, overlapEnds - Date.now()) + 1500));
  await assert.rejects(triggersWith(created.key), unauthorized);
  const after = await triggersWith(fresh);
  await auth.withAuth({ accessToken: fresh }, async () => {
    assert.equal((await runs.retrieve(after.id)).id, after.id);
  });
});

test("a revoked key is refused", async () => {
  const created = await manage("POST", KEYS, { name: "compat revoke" });
  await triggersWith(created.key);
  await manage("DELETE", `${KEYS}/${created.id}`);
  await assert.rejects(triggersWith(created.key), unauthorized);
});
