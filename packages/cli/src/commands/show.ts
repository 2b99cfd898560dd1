// `scrape-reconciler show [--json]`: the published targets (the single document, or the
// shard index's once event batches moved it past the document) and the manifest.
import { createReconcilerClients, parseReconcileConfig, stateTargetOf } from "@scrape-reconciler/reconcile";
import { readManifest, readPublishedTargets } from "@scrape-reconciler/store";
import { countTargets, indexKeyOf } from "@scrape-reconciler/core";
import { parseFlags } from "../flags";
import type { Command } from "../io";

export const showCommand: Command = async (args, env, io) => {
  const { values } = parseFlags(args, { json: { type: "boolean" } }, "show [--json]");
  const config = parseReconcileConfig(env);
  const clients = createReconcilerClients(env);
  const [doc, manifest] = await Promise.all([readPublishedTargets(stateTargetOf(config, clients)), readManifest(clients.ssm, config.manifestParameter)]);
  if (values.json) {
    io.out(
      JSON.stringify({ manifest: manifest ?? null, generation: doc?.generation ?? null, etag: doc?.etag ?? null, document: doc?.document ?? null }, null, 2),
    );
    return doc ? 0 : 1;
  }
  if (!doc) {
    io.err(`no document at s3://${config.bucket}/${config.key} yet (run: scrape-reconciler reconcile)`);
    return 1;
  }
  io.out(doc.text.trimEnd());
  const key = doc.source === "index" ? indexKeyOf(config.key) : config.key;
  io.out(
    `# s3://${config.bucket}/${key} generation ${doc.generation}, ${countTargets(doc.document)} targets, etag ${doc.etag}${doc.invalid ? `, INVALID: ${doc.invalid}` : ""}`,
  );
  if (manifest) io.out(`# manifest ${config.manifestParameter}: ${JSON.stringify(manifest)}`);
  else io.out(`# manifest ${config.manifestParameter}: missing`);
  return 0;
};
