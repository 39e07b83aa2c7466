// Log records exported the way a Trigger.dev task's are (OpenTelemetry's OTLP/HTTP JSON logs exporter, and OTLP
// protobuf) to Baton's receiver, /otel/v1/logs: they become their run's log lines, read back through
// GET /api/v1/runs/{id}/logs with their level, attributes and error.
import { test } from "node:test";
import assert from "node:assert/strict";
import { configure, tasks, runs } from "@trigger.dev/sdk";
import { LoggerProvider, SimpleLogRecordProcessor, InMemoryLogRecordExporter } from "@opentelemetry/sdk-logs";
import { OTLPLogExporter } from "@opentelemetry/exporter-logs-otlp-http";
import { ProtobufLogsSerializer } from "@opentelemetry/otlp-transformer";

const url = process.env.BATON_URL;
const authorization = `Bearer ${process.env.BATON_SECRET_KEY}`;
configure({ baseURL: url, accessToken: process.env.BATON_SECRET_KEY });

// OpenTelemetry's SeverityNumber (@opentelemetry/api-logs)
const INFO = 9;
const WARN = 13;
const ERROR = 17;

/** Emits the records through a logger and answers them as the SDK hands them to its exporter. */
function recorded(emit) {
  const memory = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({ processors: [new SimpleLogRecordProcessor(memory)] });
  emit(provider.getLogger("trigger.dev"));
  return memory.getFinishedLogRecords();
}

async function linesOf(runId) {
  const response = await fetch(`${url}/api/v1/runs/${runId}/logs`, { headers: { authorization } });
  assert.equal(response.status, 200);
  return (await response.json()).data;
}

test("log records from the OTLP logs exporter, JSON and protobuf, become their run's lines", { timeout: 60_000 },
  async () => {
    const handle = await tasks.trigger("hello-world", { name: "Otel logs" });
    const run = await runs.poll(handle.id, { pollIntervalMs: 200 });
    assert.equal(run.status, "COMPLETED");
    // What the Trigger.dev SDK 4 sets on each record of a task (its TaskContextLogProcessor).
    const context = { "$metadata.ctx.run.id": handle.id, "$metadata.ctx.attempt.number": 1 };

    // The exporter the SDK's logger uses (OTLP/HTTP JSON), with the key as its header.
    const exporter = new OTLPLogExporter({ url: `${url}/otel/v1/logs`, headers: { authorization } });
    const records = recorded((logger) => {
      logger.emit({ severityNumber: INFO, severityText: "info", body: "otel: charging card",
        attributes: { ...context, orderId: "o-7", cents: 250 } });
      logger.emit({ severityNumber: ERROR, severityText: "error", body: "otel: charge failed",
        attributes: { ...context, "exception.type": "CardDeclined", "exception.message": "card declined",
          "exception.stacktrace": "CardDeclined: card declined\n    at charge (task.ts:12:9)" } });
    });
    const result = await new Promise((resolve) => exporter.export(records, resolve));
    assert.equal(result.code, 0, String(result.error)); // ExportResultCode.SUCCESS: Baton answered 2xx, so stored

    // The same model serialized as protobuf, OTLP/HTTP's default encoding.
    const protobuf = await fetch(`${url}/otel/v1/logs`, {
      method: "POST",
      headers: { authorization, "content-type": "application/x-protobuf" },
      body: ProtobufLogsSerializer.serializeRequest(recorded((logger) => logger.emit({
        severityNumber: WARN, body: "otel: receipt delayed", attributes: { ...context, queue: "mail" } }))),
    });
    assert.equal(protobuf.status, 200);
    assert.match(protobuf.headers.get("content-type"), /application\/x-protobuf/);

    const lines = (await linesOf(handle.id)).filter((line) => line.message.startsWith("otel: "));
    assert.deepEqual(lines.map((line) => [line.message, line.level]), [
      ["otel: charging card", "info"], ["otel: charge failed", "error"], ["otel: receipt delayed", "warn"]]);
    for (const line of lines) assert.equal(line.attemptNumber, 1);
    assert.deepEqual(lines[0].attributes, { orderId: "o-7", cents: 250 });
    assert.deepEqual(lines[1].error, {
      name: "CardDeclined", message: "card declined", stackTrace: "CardDeclined: card declined\n    at charge (task.ts:12:9)",
    });
    assert.deepEqual(lines[2].attributes, { queue: "mail" });
  });

test("a log record that names no run or an unknown run is refused in partialSuccess; the receiver needs the key",
  async () => {
    const body = JSON.stringify({ resourceLogs: [{ scopeLogs: [{ logRecords: [
      { severityNumber: INFO, body: { stringValue: "lost" } },
      { severityNumber: INFO, body: { stringValue: "stray" },
        attributes: [{ key: "ctx.run.id", value: { stringValue: "run_doesnotexist000000000" } }] },
    ] }] }] });
    const refused = await fetch(`${url}/otel/v1/logs`, {
      method: "POST", headers: { authorization, "content-type": "application/json" }, body,
    });
    assert.equal(refused.status, 200);
    assert.equal((await refused.json()).partialSuccess.rejectedLogRecords, 2);
    const anonymous = await fetch(`${url}/otel/v1/logs`, {
      method: "POST", headers: { "content-type": "application/json" }, body,
    });
    assert.equal(anonymous.status, 401);
  });
