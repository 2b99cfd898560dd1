// Runs sst.config.ts for a stage that must stop in its run(), and returns the message it
// stops with. Pulumi's runtime reports a program's failure twice: the program's promise
// rejects (what a real `sst deploy` prints) and the root stack's outputs reject unhandled.
// The unhandled copies are collected here in place of vitest's own listener (which would
// fail the file) and returned, so a test can check they are the same one line.
import { CONFIG_ENV } from "../../infra/config";
import { runStack } from "./sst-harness";

export async function programFailure(stage: string, config: unknown): Promise<{ message: string | undefined; unhandled: string[] }> {
  const saved = process.listeners("unhandledRejection");
  const unhandled: string[] = [];
  process.removeAllListeners("unhandledRejection");
  process.on("unhandledRejection", (reason) => unhandled.push(String((reason as Error)?.message ?? reason)));
  process.env[CONFIG_ENV] = JSON.stringify(config);
  try {
    const err = await runStack(stage).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    // Let the runtime's late rejections arrive while this listener is in place.
    await new Promise((r) => setTimeout(r, 500));
    return { message: err?.message, unhandled };
  } finally {
    delete process.env[CONFIG_ENV];
    process.removeAllListeners("unhandledRejection");
    for (const l of saved) process.on("unhandledRejection", l);
  }
}
