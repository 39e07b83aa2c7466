// The unmodified @trigger.dev/sdk's envvars.* against Baton (the dev node: project "default", environment "dev").
import { test } from "node:test";
import assert from "node:assert/strict";
import { configure, envvars } from "@trigger.dev/sdk";
import { apiClientManager } from "@trigger.dev/core/v3";

configure({
  baseURL: process.env.BATON_URL,
  accessToken: process.env.BATON_SECRET_KEY,
  requestOptions: { retry: { maxAttempts: 2, minTimeoutInMs: 200, maxTimeoutInMs: 500 } },
});

const PROJECT = "default";
const ENV = "dev";
const name = (prefix) => `${prefix}_${Date.now()}_${Math.random().toString(36).slice(2, 8)}`.toUpperCase();

// envvars.update(projectRef, slug, name, params) outside a task reads an undeclared `name` in SDK 4.8.3
// (dist/esm/v3/envvars.js) and throws a ReferenceError before any request; this sends the request it means to.
const update = (variable, params) =>
  apiClientManager.clientOrThrow().updateEnvVar(PROJECT, ENV, variable, params);

test("create, list, retrieve, update and delete variables; secrets come back redacted", async () => {
  const plain = name("compat_plain");
  const secret = name("compat_secret");
  assert.deepEqual(await envvars.create(PROJECT, ENV, { name: plain, value: "hello" }), { success: true });
  assert.deepEqual(
    await envvars.create(PROJECT, ENV, { name: secret, value: "s3cr3t", isSecret: true }), { success: true });

  const listed = await envvars.list(PROJECT, ENV);
  assert.deepEqual(listed.find((v) => v.name === plain), { name: plain, value: "hello", isSecret: false });
  assert.deepEqual(listed.find((v) => v.name === secret), { name: secret, value: "<redacted>", isSecret: true });
  assert.deepEqual(await envvars.retrieve(PROJECT, ENV, plain), { name: plain, value: "hello", isSecret: false });

  assert.deepEqual(await update(plain, { value: "changed" }), { success: true });
  assert.equal((await envvars.retrieve(PROJECT, ENV, plain)).value, "changed");
  // Trigger.dev's create sets an existing variable again
  assert.deepEqual(await envvars.create(PROJECT, ENV, { name: plain, value: "again" }), { success: true });
  assert.equal((await envvars.retrieve(PROJECT, ENV, plain)).value, "again");

  assert.deepEqual(await envvars.del(PROJECT, ENV, plain), { success: true });
  await assert.rejects(envvars.retrieve(PROJECT, ENV, plain), (error) => error.status === 404);
  await assert.rejects(envvars.del(PROJECT, ENV, plain), (error) => error.status === 404);
  await assert.rejects(update(plain, { value: "x" }), (error) => error.status === 404);
});

test("upload imports variables; without override it changes nothing when a name exists", async () => {
  const first = name("compat_import_a");
  const second = name("compat_import_b");
  assert.deepEqual(await envvars.upload(PROJECT, ENV, { variables: { [first]: "1" } }), { success: true });

  await assert.rejects(
    envvars.upload(PROJECT, ENV, { variables: { [first]: "changed", [second]: "2" }, override: false }),
    (error) => error.status === 400 && error.message.includes(first));
  assert.equal((await envvars.retrieve(PROJECT, ENV, first)).value, "1");
  await assert.rejects(envvars.retrieve(PROJECT, ENV, second), (error) => error.status === 404);

  assert.deepEqual(
    await envvars.upload(PROJECT, ENV, { variables: { [first]: "changed", [second]: "2" }, override: true }),
    { success: true });
  assert.equal((await envvars.retrieve(PROJECT, ENV, first)).value, "changed");
  assert.equal((await envvars.retrieve(PROJECT, ENV, second)).value, "2");
});

test("the key reaches only its own project and environment, and bad names are refused", async () => {
  await assert.rejects(envvars.list("another-project", ENV), (error) => error.status === 403);
  await assert.rejects(envvars.list(PROJECT, "prod"), (error) => error.status === 403);
  await assert.rejects(
    envvars.create(PROJECT, ENV, { name: "1-not-a-name", value: "x" }), (error) => error.status === 400);
  // the environment's other names reach it too
  assert.ok(Array.isArray(await envvars.list(PROJECT, "development")));
});
