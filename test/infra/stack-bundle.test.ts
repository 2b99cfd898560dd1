// The functions' postbuild hook is wired: a build that leaves the AWS SDK
// external (imported from the Lambda runtime instead of bundled) fails the
// deploy. SST runs the hook inside a Pulumi output, so the failure surfaces as
// the program's unhandled rejection, which is what fails a real `sst deploy`;
// the test listens for it in place of vitest's own listener. Own process;
// skips when .sst/platform is absent.
import { afterEach, describe, expect, it } from "vitest";
import { platformAvailable, runStack } from "./sst-harness";

describe.skipIf(!platformAvailable())("sst.config.ts with a build that left the SDK external", () => {
  const saved = process.listeners("unhandledRejection");
  afterEach(() => {
    process.removeAllListeners("unhandledRejection");
    for (const l of saved) process.on("unhandledRejection", l);
  });

  it("fails the deploy naming the package", async () => {
    const failures: string[] = [];
    process.removeAllListeners("unhandledRejection");
    const first = new Promise<string>((resolve) => {
      process.on("unhandledRejection", (reason) => {
        failures.push(String((reason as Error)?.message ?? reason));
        resolve(failures[0]!);
      });
    });
    const external = `import{S3Client as c}from"@aws-sdk/client-s3";export const handler=async()=>new c({});\n`;
    const run = runStack("ci", { handlerSource: external }).then(
      () => "the stack completed",
      (err: Error) => err.message,
    );
    const message = await Promise.race([first, run]);
    // Every function's build fails the same way (the program never completes): keep
    // listening until no further failure has come for a second.
    for (let seen = -1; seen !== failures.length; ) {
      seen = failures.length;
      await new Promise((r) => setTimeout(r, 1000));
    }
    expect(message).toMatch(/^AWS SDK left external in the function bundle \(it must be bundled\): .*: @aws-sdk\/client-s3$/);
  }, 60_000);
});
