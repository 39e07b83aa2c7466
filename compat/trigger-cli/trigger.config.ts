import { defineConfig } from "@trigger.dev/sdk";

// The project ref comes from `--project-ref` (the run script creates a project on the Baton node).
export default defineConfig({
  project: process.env.TRIGGER_PROJECT_REF ?? "proj_set_by_the_run_script",
  dirs: ["./src/trigger"],
  maxDuration: 60,
  // Trigger.dev turns retries off in dev unless asked: the retry test needs them.
  retries: { enabledInDev: true, default: { maxAttempts: 1 } },
});
