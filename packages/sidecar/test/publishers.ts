// Where the e2e tests publish documents for the sidecar to pick up: S3 in the local AWS
// simulator when it is available (the real SDK over HTTP), else a local file.
// SIDECAR_E2E_SOURCE=file|s3 forces one.
import { join } from "node:path";
import { writeFileAtomic, type SourceSpec, type StartOptions } from "../src/index";

export interface Publisher {
  kind: "file" | "s3";
  spec: SourceSpec;
  /** Extra startSidecar options (SDK client config for the simulator). */
  startOptions: Partial<StartOptions>;
  /** Environment for a sidecar child process. */
  env: Record<string, string>;
  publish(body: string): Promise<void>;
  close(): Promise<void>;
}

export async function filePublisher(dir: string): Promise<Publisher> {
  const path = join(dir, "published.json");
  return {
    kind: "file",
    spec: { kind: "file", path },
    startOptions: {},
    env: {},
    publish: async (body) => {
      await writeFileAtomic(path, body, { skipUnchanged: false });
    },
    close: async () => {},
  };
}

export async function openPublisher(dir: string): Promise<Publisher> {
  return filePublisher(dir);
}
