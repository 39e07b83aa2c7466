// Spans exported the way a Trigger.dev task's are (the SDK's OTLP/HTTP JSON exporter, and OTLP protobuf) to Baton's
// receiver, /otel/v1/traces: they join the trace Baton draws for their run, under the attempt that ran them.
import { test } from "node:test";
import assert from "node:assert/strict";
import { configure, tasks, runs } from "@trigger.dev/sdk";
import { context, trace, TraceFlags } from "@opentelemetry/api";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { ProtobufTraceSerializer } from "@opentelemetry/otlp-transformer";

const url = process.env.BATON_URL;
const authorization = `Bearer ${process.env.BATON_SECRET_KEY}`;
configure({ baseURL: url, accessToken: process.env.BATON_SECRET_KEY });

async function traceOf(runId) {
  const response = await fetch(`${url}/api/v1/runs/${runId}/trace`, { headers: { authorization } });
  assert.equal(response.status, 200);
  return response.json();
}

test("spans from the SDK's OTLP exporter, JSON and protobuf, join their run's trace", { timeout: 60_000 },
  async () => {
    const handle = await tasks.trigger("hello-world", { name: "Otel" });
    const run = await runs.poll(handle.id, { pollIntervalMs: 200 });
    assert.equal(run.status, "COMPLETED");
    const drawn = await traceOf(handle.id);
    const attempt = drawn.spans.find((span) => span.name === "attempt 1");
    const parent = trace.setSpanContext(context.active(), {
      traceId: drawn.traceId, spanId: attempt.spanId, traceFlags: TraceFlags.SAMPLED, isRemote: true,
    });

    // The exporter the SDK's tracing uses (OTLP/HTTP JSON), with the key as its header.
    const exporter = new OTLPTraceExporter({ url: `${url}/otel/v1/traces`, headers: { authorization } });
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    provider.getTracer("compat")
      .startSpan("charge card", { attributes: { "ctx.run.id": handle.id, "ctx.attempt.number": 1 } }, parent)
      .end();
    await provider.forceFlush();

    // The same span model serialized as protobuf, OTLP/HTTP's default encoding.
    const memory = new InMemorySpanExporter();
    const recording = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(memory)] });
    const receipt = recording.getTracer("compat")
      .startSpan("send receipt", { attributes: { "ctx.run.id": handle.id } }, parent);
    receipt.setStatus({ code: 2, message: "mail server down" });
    receipt.end();
    const protobuf = await fetch(`${url}/otel/v1/traces`, {
      method: "POST",
      headers: { authorization, "content-type": "application/x-protobuf" },
      body: ProtobufTraceSerializer.serializeRequest(memory.getFinishedSpans()),
    });
    assert.equal(protobuf.status, 200);
    assert.match(protobuf.headers.get("content-type"), /application\/x-protobuf/);

    const spans = (await traceOf(handle.id)).spans;
    const charge = spans.find((span) => span.name === "charge card");
    assert.ok(charge, JSON.stringify(spans));
    assert.equal(charge.source, "worker");
    assert.equal(charge.parentSpanId, attempt.spanId);
    assert.equal(charge.attributes["ctx.attempt.number"], "1");
    const sent = spans.find((span) => span.name === "send receipt");
    assert.equal(sent.status, "error");
    assert.equal(sent.statusMessage, "mail server down");
    assert.equal(sent.parentSpanId, attempt.spanId);
  });

test("a span that names no run is refused in partialSuccess, and the receiver needs the key", async () => {
  const body = JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{
    traceId: "4bf92f3577b34da6a3ce929d0e0e4736", spanId: "00f067aa0ba902b7", name: "lost",
    startTimeUnixNano: "1700000000000000000", endTimeUnixNano: "1700000000000000001",
  }] }] }] });
  const refused = await fetch(`${url}/otel/v1/traces`, {
    method: "POST", headers: { authorization, "content-type": "application/json" }, body,
  });
  assert.equal(refused.status, 200);
  assert.equal((await refused.json()).partialSuccess.rejectedSpans, 1);
  const anonymous = await fetch(`${url}/otel/v1/traces`, {
    method: "POST", headers: { "content-type": "application/json" }, body,
  });
  assert.equal(anonymous.status, 401);
});
