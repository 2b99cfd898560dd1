// The synth process: `node --import tsx synth-main.ts ROOT STAGE OUT_DIR ACCOUNT REGION`.
// Runs sst.config.ts once (synth-run.ts) and writes OUT_DIR/stack.json. One process per
// synthesis, because Pulumi's mocks and SST's globals are process-wide.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { runSynth } from "./synth-run";

const [root, stage, outDir, account, region] = process.argv.slice(2);
if (!root || !stage || !outDir || !account || !region) {
  console.error("usage: synth-main ROOT STAGE OUT_DIR ACCOUNT REGION");
  process.exit(2);
}
try {
  const synthesis = await runSynth({ root, stage, outDir, at: { account, region } });
  writeFileSync(join(outDir, "stack.json"), JSON.stringify(synthesis, null, 1));
  process.exit(0);
} catch (err) {
  console.error(`synth: ${(err as Error).message}`);
  process.exit(1);
}
