// The unmodified `trigger.dev dev` (4.8.3) runs this project's tasks on Baton: it logs in with a Baton personal
// access token, registers its tasks, and executes the runs triggered through Baton's API with @trigger.dev/sdk.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { batch, configure, runs, schedules, tasks, wait } from "@trigger.dev/sdk";

const PROJECT_DIR = fileURLToPath(new URL("..", import.meta.url));

configure({
  baseURL: process.env.BATON_URL,
  accessToken: process.env.BATON_SECRET_KEY,
  requestOptions: { retry: { maxAttempts: 2, minTimeoutInMs: 200, maxTimeoutInMs: 500 } },
});

let cli;
let output = "";
/** When the CLI registered its tasks, and with them the `tick` schedule. */
let readyAt;

/** Resolves once the CLI printed `text`; rejects when it exits first or after `ms`. */
function printed(text, ms) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the CLI did not print "${text}" within ${ms} ms:\n${output}`)), ms);
    const check = () => {
      if (output.includes(text)) {
        clearTimeout(timer);
        resolve();
        return true;
      }
      return false;
    };
    if (check()) return;
    cli.stdout.on("data", check);
    cli.stderr.on("data", check);
    cli.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the CLI exited (${code}) before printing "${text}":\n${output}`));
    });
  });
}

before(async () => {
  // The CLI's own bin (not npx, which does not always pass signals on), in its own process group so the
  // teardown reaches every process it started.
  cli = spawn(
    fileURLToPath(new URL("../node_modules/.bin/trigger", import.meta.url)),
    [
      "dev",
      "--project-ref", process.env.TRIGGER_PROJECT_REF,
      "--skip-update-check", "--skip-platform-notifications", "--skip-mcp-install", "--skip-rules-install",
      "--log-level", "debug",
    ],
    {
      cwd: PROJECT_DIR,
      env: {
        ...process.env,
        TRIGGER_API_URL: process.env.BATON_URL,
        TRIGGER_ACCESS_TOKEN: process.env.BATON_ADMIN_TOKEN,
        TRIGGER_SECRET_KEY: "",
      },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    },
  );
  cli.stdout.on("data", (chunk) => (output += chunk));
  cli.stderr.on("data", (chunk) => (output += chunk));
  // The first build bundles the project and indexes its tasks, then POSTs the background worker.
  await printed("Local worker ready", 120_000);
  readyAt = Date.now();
});

after(async () => {
  if (!cli || cli.exitCode !== null) return;
  const exited = new Promise((resolve) => cli.on("exit", resolve));
  const group = (signal) => {
    try {
      process.kill(-cli.pid, signal);
    } catch {
      // already gone
    }
  };
  group("SIGINT");
  const killed = setTimeout(() => {
    console.log("the CLI did not stop on SIGINT within 15 s; killing it. Its last output:\n" + output.slice(-3000));
    group("SIGKILL");
  }, 15_000);
  await exited;
  clearTimeout(killed);
  cli.stdout.destroy();
  cli.stderr.destroy();
  if (process.env.COMPAT_CLI_OUTPUT) console.log(output);
});

const poll = (id) => runs.poll(id, { pollIntervalMs: 250 });

async function until(id, check, ms = 30_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const run = await runs.retrieve(id);
    if (check(run)) return run;
    if (Date.now() > deadline) assert.fail(`run ${id} is ${run.status}, still waiting after ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

test("a run triggered through Baton executes in the CLI and completes with its output", async () => {
  const handle = await tasks.trigger("hello", { name: "Baton" }, { tags: ["cli"] });
  const run = await poll(handle.id);
  assert.equal(run.status, "COMPLETED", JSON.stringify(run.error));
  assert.deepEqual(run.output, { greeting: "Hello, Baton!", attempt: 1, runId: handle.id });
  assert.equal(run.attemptCount, 1);
  assert.deepEqual(run.tags, ["cli"]);
});

test("what a task logs with the SDK's logger becomes the run's log lines", async () => {
  const handle = await tasks.trigger("chatty", { order: "o-7" });
  const run = await poll(handle.id);
  assert.equal(run.status, "COMPLETED", JSON.stringify(run.error));
  // The task's exporter flushes at the end of the attempt; the lines arrive shortly after.
  const deadline = Date.now() + 20_000;
  let lines = [];
  while (Date.now() < deadline) {
    const response = await fetch(`${process.env.BATON_URL}/api/v1/runs/${handle.id}/logs`, {
      headers: { authorization: `Bearer ${process.env.BATON_SECRET_KEY}` },
    });
    assert.equal(response.status, 200);
    lines = (await response.json()).data.filter((line) => ["charging", "card expires soon"].includes(line.message));
    if (lines.length === 2) break;
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  assert.deepEqual(
    lines.map((line) => [line.message, line.level, line.attemptNumber, line.attributes.order]),
    [
      ["charging", "info", 1, "o-7"],
      ["card expires soon", "warn", 1, "o-7"],
    ],
    `${JSON.stringify(lines)}\n${output.slice(-1500)}`,
  );
  assert.equal(lines[0].attributes.cents, 250);
});

test("a failed attempt is retried by the task's retry settings, and the retry succeeds", async () => {
  const handle = await tasks.trigger("flaky", { label: "retry-me" });
  const run = await poll(handle.id);
  assert.equal(run.status, "COMPLETED", JSON.stringify(run.error));
  assert.deepEqual(run.output, { label: "retry-me", attempt: 2 });
  assert.equal(run.attemptCount, 2);
});

test("a task that always fails ends FAILED with its error after its maxAttempts", async () => {
  const handle = await tasks.trigger("doomed", {});
  const run = await poll(handle.id);
  assert.equal(run.status, "FAILED");
  assert.equal(run.error.message, "doomed always fails");
  assert.equal(run.attemptCount, 2);
});

test("a run canceled while the CLI executes it is CANCELED and the CLI takes new runs", async () => {
  const handle = await tasks.trigger("sleeper", { seconds: 60 });
  await until(handle.id, (run) => run.status === "EXECUTING");
  await runs.cancel(handle.id);
  const run = await until(handle.id, (run) => run.isCompleted);
  assert.equal(run.status, "CANCELED");
  // The CLI saw PENDING_CANCEL on its next snapshot poll (every 5 s) and stopped the task process.
  await printed(`Cancelling attempt`, 15_000);
  const next = await poll((await tasks.trigger("hello", { name: "after cancel" })).id);
  assert.equal(next.status, "COMPLETED");
});

test("a queue's concurrencyLimit of 1 runs its runs one at a time", async () => {
  const handles = await Promise.all([0, 1, 2].map((index) => tasks.trigger("serial", { index })));
  const finished = await Promise.all(handles.map((handle) => poll(handle.id)));
  const spans = finished.map((run) => {
    assert.equal(run.status, "COMPLETED", JSON.stringify(run.error));
    return run.output;
  });
  spans.sort((a, b) => a.startedAt - b.startedAt);
  for (let i = 1; i < spans.length; i++) {
    assert.ok(spans[i].startedAt >= spans[i - 1].endedAt, `run ${spans[i].index} overlapped run ${spans[i - 1].index}`);
  }
});

test("wait.for of 10 s suspends the run and resumes it in the same attempt", async () => {
  const handle = await tasks.trigger("waiter", {});
  const waiting = await until(handle.id, (run) => run.status === "WAITING", 15_000);
  assert.equal(waiting.status, "WAITING");
  const run = await poll(handle.id);
  assert.equal(run.status, "COMPLETED", JSON.stringify(run.error));
  assert.ok(run.output.waitedMs >= 10_000, `waited ${run.output.waitedMs} ms`);
  assert.equal(run.output.attempt, 1);
});

test("wait.forToken resumes the run with the data the token is completed with", async () => {
  const handle = await tasks.trigger("approval", {});
  const waiting = await until(handle.id, (run) => run.status === "WAITING" && run.tags.some((tag) => tag.startsWith("token:")));
  const tokenId = waiting.tags.find((tag) => tag.startsWith("token:")).slice("token:".length);
  await wait.completeToken(tokenId, { approved: true });
  const run = await poll(handle.id);
  assert.equal(run.status, "COMPLETED", JSON.stringify(run.error));
  assert.deepEqual(run.output, { approved: true });
});

test("triggerAndWait and batchTriggerAndWait resume the parent with the children's results", async () => {
  const handle = await tasks.trigger("orchestrator", {});
  const run = await poll(handle.id);
  assert.equal(run.status, "COMPLETED", JSON.stringify(run.error));
  assert.deepEqual(run.output.one, { doubled: 42 });
  assert.deepEqual(run.output.many[0], { doubled: 2 });
  assert.match(run.output.many[1].error, /cannot double -1/);
  assert.deepEqual(run.output.many[2], { doubled: 6 });
  assert.equal(run.output.attempt, 1);
  // The batch the parent waited for is a batch like any other, with its runs in item order.
  const waited = await batch.retrieve(run.output.batchId);
  assert.equal(waited.status, "COMPLETED");
  assert.deepEqual(waited.runs, run.output.batchRunIds);
  const child = await runs.retrieve(run.output.batchRunIds[0]);
  assert.equal(child.batchId, run.output.batchId);
});

test("a task's ttl is its runs' default, and a trigger's own ttl wins", async () => {
  const defaulted = await poll((await tasks.trigger("perishable", {})).id);
  assert.equal(defaulted.status, "COMPLETED", JSON.stringify(defaulted.error));
  assert.equal(defaulted.ttl, "10m");
  const own = await poll((await tasks.trigger("perishable", {}, { ttl: "1h" })).id);
  assert.equal(own.ttl, "1h");
});

test("metadata set inside a task is stored, through the periodic flush and with the completion", async () => {
  const handle = await tasks.trigger("progress", {});
  // The first changes arrive while the task still runs (the SDK flushes them every second).
  const midway = await until(handle.id, (run) => run.metadata?.progress === 0.5 || run.isCompleted);
  assert.equal(midway.status, "EXECUTING", "the flushed metadata shows before the run finishes");
  assert.deepEqual(midway.metadata, { progress: 0.5, steps: ["started"] });
  const run = await poll(handle.id);
  assert.equal(run.status, "COMPLETED", JSON.stringify(run.error));
  assert.deepEqual(run.metadata, { progress: 1, steps: ["started", "done"], count: 2 });
});

// Last, so the other tests' time counts towards the wait for the first minute tick after the CLI registered.
test("schedules.task becomes a DECLARATIVE schedule that fires once per minute tick", async () => {
  const listed = await schedules.list({ perPage: 100 });
  const declared = listed.data.filter((schedule) => schedule.task === "tick");
  assert.equal(declared.length, 1, JSON.stringify(listed.data));
  const schedule = declared[0];
  assert.equal(schedule.type, "DECLARATIVE");
  assert.equal(schedule.generator.expression, "* * * * *");
  assert.equal((await schedules.retrieve(schedule.id)).type, "DECLARATIVE");
  await assert.rejects(
    schedules.update(schedule.id, { task: "tick", cron: "0 * * * *" }),
    (error) => error.status === 422 && /Cannot update a declarative schedule/.test(error.message),
  );

  // The first tick after the registration: at most a minute away, plus the list's projection delay.
  const firstTick = Math.ceil((readyAt + 1) / 60_000) * 60_000;
  const deadline = Math.max(Date.now(), firstTick) + 45_000;
  let ticks = [];
  for (;;) {
    const page = await runs.list({ taskIdentifier: "tick", limit: 100 });
    ticks = page.data;
    if (ticks.some((run) => run.status === "COMPLETED")) break;
    if (Date.now() > deadline) assert.fail(`no tick ran by ${new Date(deadline).toISOString()}: ${JSON.stringify(ticks)}`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  // A few seconds more, for a duplicate of the same tick to show if there were one.
  await new Promise((resolve) => setTimeout(resolve, 3000));
  ticks = (await runs.list({ taskIdentifier: "tick", limit: 100 })).data;
  const outputs = [];
  for (const listedRun of ticks) {
    const run = await poll(listedRun.id);
    assert.equal(run.status, "COMPLETED", JSON.stringify(run.error));
    outputs.push(run.output);
  }
  const timestamps = outputs.map((output) => output.timestamp);
  assert.equal(new Set(timestamps).size, timestamps.length, `one run per tick: ${timestamps}`);
  const minutes = timestamps.map((timestamp) => new Date(timestamp).getTime()).sort((a, b) => a - b);
  for (let i = 1; i < minutes.length; i++) {
    assert.equal(minutes[i] - minutes[i - 1], 60_000, `a run for every tick, none skipped: ${timestamps}`);
  }
  for (const output of outputs) {
    assert.equal(output.scheduleId, schedule.id);
    assert.equal(output.type, "DECLARATIVE");
    assert.equal(output.timezone, "UTC");
    assert.equal(output.datesAreDates, true, "the task gets its payload's dates as Dates");
    assert.equal(output.upcoming, 5);
    assert.equal(new Date(output.timestamp).getTime() % 60_000, 0, "a minute tick");
  }
});
