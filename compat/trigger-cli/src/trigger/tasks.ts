import { logger, metadata, schedules, tags, task, wait } from "@trigger.dev/sdk";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export const hello = task({
  id: "hello",
  run: async (payload: { name: string }, { ctx }) => {
    return { greeting: `Hello, ${payload.name}!`, attempt: ctx.attempt.number, runId: ctx.run.id };
  },
});

// Fails its first attempt, succeeds on the second: Baton queues the retry after the task's backoff.
export const flaky = task({
  id: "flaky",
  retry: { maxAttempts: 3, factor: 1, minTimeoutInMs: 200, maxTimeoutInMs: 200, randomize: false },
  run: async (payload: { label: string }, { ctx }) => {
    if (ctx.attempt.number < 2) throw new Error(`first attempt of ${payload.label} fails`);
    return { label: payload.label, attempt: ctx.attempt.number };
  },
});

// Always fails: two attempts, then the run fails with the task's error.
export const doomed = task({
  id: "doomed",
  retry: { maxAttempts: 2, factor: 1, minTimeoutInMs: 100, maxTimeoutInMs: 100, randomize: false },
  run: async () => {
    throw new Error("doomed always fails");
  },
});

// Runs until canceled (the CLI kills its process when the snapshot says PENDING_CANCEL).
export const sleeper = task({
  id: "sleeper",
  run: async (payload: { seconds: number }) => {
    await sleep(payload.seconds * 1000);
    return { slept: payload.seconds };
  },
});

// One run at a time: each reports when it started and ended, the test checks they never overlap.
export const serial = task({
  id: "serial",
  queue: { concurrencyLimit: 1 },
  run: async (payload: { index: number }) => {
    const startedAt = Date.now();
    await sleep(1500);
    return { index: payload.index, startedAt, endedAt: Date.now() };
  },
});

// A wait longer than 5 s goes to the server: the run waits without its slot, the process stays alive.
export const waiter = task({
  id: "waiter",
  retry: { maxAttempts: 1 },
  run: async (_payload: {}, { ctx }) => {
    const startedAt = Date.now();
    await wait.for({ seconds: 10 });
    return { waitedMs: Date.now() - startedAt, attempt: ctx.attempt.number };
  },
});

// Creates a token, tags the run with its id (the test completes it), and waits for it.
export const approval = task({
  id: "approval",
  retry: { maxAttempts: 1 },
  run: async () => {
    const token = await wait.createToken({ timeout: "10m" });
    await tags.add(`token:${token.id}`);
    const result = await wait.forToken<{ approved: boolean }>(token);
    if (!result.ok) throw result.error;
    return { approved: result.output.approved };
  },
});

export const double = task({
  id: "double",
  run: async (payload: { n: number }) => {
    if (payload.n < 0) throw new Error(`cannot double ${payload.n}`);
    return { doubled: payload.n * 2 };
  },
});

// triggerAndWait and batchTriggerAndWait of a child: the parent resumes in the same attempt with their results.
export const orchestrator = task({
  id: "orchestrator",
  retry: { maxAttempts: 1 },
  run: async (_payload: {}, { ctx }) => {
    const one = await double.triggerAndWait({ n: 21 });
    const many = await double.batchTriggerAndWait([{ payload: { n: 1 } }, { payload: { n: -1 } }, { payload: { n: 3 } }]);
    return {
      one: one.ok ? one.output : null,
      many: many.runs.map((run) => (run.ok ? run.output : { error: String(run.error) })),
      batchId: many.id,
      batchRunIds: many.runs.map((run) => run.id),
      attempt: ctx.attempt.number,
    };
  },
});

// Logs through the SDK's logger: its OpenTelemetry log records reach Baton's /otel/v1/logs as run log lines.
export const chatty = task({
  id: "chatty",
  run: async (payload: { order: string }) => {
    logger.info("charging", { order: payload.order, cents: 250 });
    // Lines are kept in the order they were logged, by their times: two in the same millisecond tie, and the SDK
    // exports a batch newest first, so the test leaves a gap between them.
    await sleep(20);
    logger.warn("card expires soon", { order: payload.order });
    return { charged: payload.order };
  },
});

// A declarative schedule: Baton fires it once per minute tick and the CLI runs it with Trigger.dev's scheduled payload,
// whose dates arrive as Dates.
export const tick = schedules.task({
  id: "tick",
  cron: "* * * * *",
  run: async (payload) => ({
    scheduleId: payload.scheduleId,
    type: payload.type,
    timezone: payload.timezone,
    datesAreDates: payload.timestamp instanceof Date && payload.upcoming.every((date) => date instanceof Date),
    timestamp: payload.timestamp.toISOString(),
    upcoming: payload.upcoming.length,
  }),
});

// Its runs' ttl is 10 minutes unless a trigger gives its own.
export const perishable = task({
  id: "perishable",
  ttl: "10m",
  run: async () => ({ fresh: true }),
});

// Metadata set inside the task: the first changes go out with the SDK's one-second flush (PUT
// /api/v1/runs/{id}/metadata), the last ones with the completion.
export const progress = task({
  id: "progress",
  run: async () => {
    metadata.set("progress", 0.5).append("steps", "started");
    await sleep(2500);
    metadata.set("progress", 1).append("steps", "done").increment("count", 2);
    return { done: true };
  },
});
