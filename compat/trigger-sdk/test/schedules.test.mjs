// The unmodified @trigger.dev/sdk's schedules.* against Baton.
import { test } from "node:test";
import assert from "node:assert/strict";
import { configure, schedules } from "@trigger.dev/sdk";

configure({
  baseURL: process.env.BATON_URL,
  accessToken: process.env.BATON_SECRET_KEY,
  requestOptions: { retry: { maxAttempts: 2, minTimeoutInMs: 200, maxTimeoutInMs: 500 } },
});

const key = (name) => `${name}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;

test("create, retrieve, update, deactivate, activate and delete a schedule", async () => {
  const deduplicationKey = key("compat");
  const created = await schedules.create({
    task: "hello-world", cron: "0 9 * * 1-5", timezone: "Europe/Berlin", externalId: "user-42", deduplicationKey,
  });
  assert.match(created.id, /^sched_/);
  assert.equal(created.type, "IMPERATIVE");
  assert.equal(created.task, "hello-world");
  assert.equal(created.active, true);
  assert.equal(created.deduplicationKey, deduplicationKey);
  assert.equal(created.externalId, "user-42");
  assert.equal(created.timezone, "Europe/Berlin");
  assert.deepEqual(created.generator, { type: "CRON", expression: "0 9 * * 1-5", description: "At 09:00, on Monday through Friday" });
  assert.ok(created.nextRun instanceof Date && created.nextRun.getTime() > Date.now());
  assert.equal(created.environments.length, 1);
  assert.equal(created.environments[0].type, "DEVELOPMENT");

  // The same deduplication key updates the same schedule.
  const upserted = await schedules.create({ task: "hello-world", cron: "*/10 * * * *", deduplicationKey });
  assert.equal(upserted.id, created.id);
  assert.equal(upserted.timezone, "UTC");

  const retrieved = await schedules.retrieve(created.id);
  assert.equal(retrieved.generator.expression, "*/10 * * * *");

  const updated = await schedules.update(created.id, { task: "hello-world", cron: "30 6 * * *", window: "15m" });
  assert.equal(updated.generator.expression, "30 6 * * *");
  assert.equal(updated.deduplicationKey, deduplicationKey);
  assert.equal(updated.window, "15m");
  assert.ok(updated.nextRunEffectiveAt.getTime() >= updated.nextRun.getTime());

  const inactive = await schedules.deactivate(created.id);
  assert.equal(inactive.active, false);
  assert.equal(inactive.nextRun, undefined);
  const active = await schedules.activate(created.id);
  assert.equal(active.active, true);

  const deleted = await schedules.del(created.id);
  assert.equal(deleted.id, created.id);
  await assert.rejects(schedules.retrieve(created.id), (error) => error.status === 404);
});

test("schedules.list pages through the environment's schedules", async () => {
  const ids = [];
  for (let i = 0; i < 3; i++) {
    ids.push((await schedules.create({ task: "hello-world", cron: `${i} * * * *`, deduplicationKey: key(`list${i}`) })).id);
  }
  let listed = [];
  for (let attempt = 0; attempt < 50; attempt++) { // the list reads the schedule index: eventually consistent
    listed = [];
    for await (const schedule of schedules.list({ perPage: 2 })) listed.push(schedule.id);
    if (ids.every((id) => listed.includes(id))) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  assert.ok(ids.every((id) => listed.includes(id)), `listed ${listed}`);
  const page = await schedules.list({ perPage: 2 });
  assert.equal(page.data.length, 2);
  assert.ok(page.pagination.count >= 3);
  assert.ok(page.hasNextPage());
  for (const id of ids) await schedules.del(id);
});

test("schedules.timezones lists IANA zones, UTC first unless excluded", async () => {
  const { timezones } = await schedules.timezones();
  assert.equal(timezones[0], "UTC");
  assert.ok(timezones.includes("America/New_York"));
  const withoutUtc = await schedules.timezones({ excludeUtc: true });
  assert.ok(!withoutUtc.timezones.includes("UTC"));
});

test("invalid schedules are refused with the SDK's typed errors", async () => {
  await assert.rejects(schedules.create({ task: "hello-world", cron: "61 * * * *", deduplicationKey: key("bad") }),
    (error) => error.status === 422 && /Invalid cron expression/.test(error.message));
  await assert.rejects(schedules.create({ task: "no-such-task", cron: "0 * * * *", deduplicationKey: key("bad") }),
    (error) => error.status === 422);
  await assert.rejects(
    schedules.create({ task: "hello-world", cron: "0 * * * *", timezone: "Mars/Base", deduplicationKey: key("bad") }),
    (error) => error.status === 422 && /Invalid IANA timezone/.test(error.message));
  await assert.rejects(schedules.retrieve("sched_doesnotexist0000"), (error) => error.status === 404);
});
