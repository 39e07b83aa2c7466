// The unmodified @trigger.dev/sdk's runs.bulk.* against Baton: cancel by filter, replay by ids, retrieve, poll,
// list and abort, with Trigger.dev's shapes (bulk_ ids, CANCEL/REPLAY, PENDING/COMPLETED/ABORTED, counts).
import { test } from "node:test";
import assert from "node:assert/strict";
import { configure, runs, tasks } from "@trigger.dev/sdk";

configure({
  baseURL: process.env.BATON_URL,
  accessToken: process.env.BATON_SECRET_KEY,
  requestOptions: { retry: { maxAttempts: 2, minTimeoutInMs: 200, maxTimeoutInMs: 500 } },
});

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The ids of the runs tagged `tag`, once the runs list (eventually consistent) shows `count` of them. */
async function listed(tag, count) {
  for (let i = 0; i < 240; i++) {
    const ids = [];
    for await (const run of runs.list({ tag, limit: 100 })) ids.push(run.id);
    if (ids.length === count) return ids;
    await sleep(250);
  }
  throw new Error(`the runs list never showed ${count} runs tagged ${tag}`);
}

test("runs.bulk.cancel by filter, then runs.bulk.replay by ids", async () => {
  const tag = `bulk-${Date.now()}`;
  const handles = [];
  for (let i = 0; i < 4; i++) {
    handles.push(await tasks.trigger("hello-world", { name: `Bulk ${i}` }, { tags: [tag], delay: "1h" }));
  }
  await listed(tag, 4);

  const created = await runs.bulk.cancel({ name: "compat cancel", filter: { tag, status: ["DELAYED"] } });
  assert.match(created.id, /^bulk_/);
  const canceled = await runs.bulk.poll(created.id, { pollIntervalMs: 200 });
  assert.equal(canceled.status, "COMPLETED");
  assert.equal(canceled.type, "CANCEL");
  assert.equal(canceled.name, "compat cancel");
  assert.deepEqual(canceled.counts, { total: 4, success: 4, failure: 0 });
  assert.ok(canceled.createdAt instanceof Date);
  assert.ok(canceled.completedAt instanceof Date);
  for (const handle of handles) assert.equal((await runs.retrieve(handle.id)).status, "CANCELED");

  const replay = await runs.bulk.replay({ runIds: handles.slice(0, 2).map((handle) => handle.id) });
  const replayed = await runs.bulk.poll(replay.id, { pollIntervalMs: 200 });
  assert.equal(replayed.type, "REPLAY");
  assert.deepEqual(replayed.counts, { total: 2, success: 2, failure: 0 });
  const all = await listed(tag, 6);
  const replays = all.filter((id) => !handles.some((handle) => handle.id === id));
  assert.equal(replays.length, 2);
  for (const id of replays) {
    const run = await runs.poll(id, { pollIntervalMs: 200 });
    assert.equal(run.status, "COMPLETED", "a replay runs without the original's delay");
  }

  const retrieved = await runs.bulk.retrieve(created.id);
  assert.equal(retrieved.id, created.id);
  assert.deepEqual(retrieved.counts, canceled.counts);
  await assert.rejects(runs.bulk.abort(created.id), (error) => error.status === 409);
  await assert.rejects(runs.bulk.retrieve("bulk_doesnotexist"), (error) => error.status === 404);
});

test("runs.bulk.list pages newest first, and runs.bulk.abort stops a pending action", async () => {
  const tag = `bulk-abort-${Date.now()}`;
  for (let i = 0; i < 40; i++) await tasks.trigger("hello-world", { name: `Abort ${i}` }, { tags: [tag], delay: "1h" });
  await listed(tag, 40);
  const created = await runs.bulk.cancel({ filter: { tag } });
  const aborted = await runs.bulk.abort(created.id);
  assert.equal(aborted.id, created.id);
  const state = await runs.bulk.retrieve(created.id);
  assert.ok(state.status === "ABORTED" || state.status === "COMPLETED", state.status);

  let newest;
  for (let i = 0; i < 120 && newest?.id !== created.id; i++) {
    newest = (await runs.bulk.list({ limit: 1 })).data[0];
    if (newest?.id !== created.id) await sleep(250);
  }
  assert.equal(newest.id, created.id, "the newest action is listed first");
  const seen = [];
  for await (const action of runs.bulk.list({ limit: 1 })) {
    seen.push(action.id);
    if (seen.length === 2) break;
  }
  assert.equal(seen.length, 2);
  assert.notEqual(seen[0], seen[1], "the next page holds the next action");
});

test("a bulk action's options are refused with a 400 naming them", async () => {
  await assert.rejects(
    runs.bulk.replay({ runIds: ["run_x"], targetRegion: "eu-central-1" }),
    (error) => error.status === 400 && /targetRegion/.test(error.message),
  );
});
