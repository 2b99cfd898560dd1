// Publication of the targets document (S3) and its manifest (SSM), as the design fixes
// them: skip when the sha256 is unchanged (README guarantee G8); conditional writes so a
// concurrent writer can never replace a newer document, generation strictly increasing
// (README guarantee G9); on a lost race re-read, rebuild and retry a bounded number of
// times. The manifest is written after the document and checked against the document's
// metadata afterwards, so a manifest overwritten by a slower writer is repaired (sidecars
// also ignore a manifest that goes back).
import {
  countTargets,
  errorLine,
  PublishError,
  parseDocument,
  serializeDocument,
  sha256Hex,
  validateDocument,
  type BuiltDocument,
  type TargetDocument,
} from "@scrape-reconciler/core";
import { retryOnConflict } from "./conflict-retry";
import { manifestOf, putManifest, repairManifest, verifyManifest } from "./manifest";
import { putConditional, readObject } from "./s3-object";
import { publishShards, readIndex, type ShardPublishOutcome } from "./shard-publish";
import { META, type PublishTarget } from "./target";

export interface PublishedDocument {
  document: TargetDocument;
  text: string;
  etag: string;
  generation: number;
  sha256: string;
  generatedAt?: string;
  /** The object exists but is not a valid document (it is replaced by the next write). */
  invalid?: string;
  /** Generation of the state the document was built from (0 when unknown). */
  stateGeneration: number;
}

/**
 * Reads the published document. With the target's cache, a conditional GET, and the
 * parsed document and its sha256 are shared (frozen) while the ETag is the same.
 */
export async function readPublished(t: Pick<PublishTarget, "s3" | "bucket" | "key" | "cache">): Promise<PublishedDocument | undefined> {
  // The generations are metadata, which a 304 does not vouch for: fresh from a HEAD then.
  const obj = await readObject(t.s3, t.bucket, t.key, t.cache, { freshMetadata: true });
  if (!obj) return undefined;
  const body = t.cache ? t.cache.parsed(t.bucket, t.key, obj, "published-body", () => bodyOf(obj.body)) : bodyOf(obj.body);
  return {
    text: obj.body,
    etag: obj.etag,
    generation: Number(obj.metadata[META.generation] ?? 0) || 0,
    sha256: body.sha256,
    generatedAt: obj.metadata[META.generatedAt],
    stateGeneration: Number(obj.metadata[META.stateGeneration] ?? 0) || 0,
    document: body.document,
    ...(body.invalid !== undefined ? { invalid: body.invalid } : {}),
  };
}

/** What the body alone gives (kept per ETag by a warm process): its sha256 and the document. */
function bodyOf(text: string): { sha256: string; document: TargetDocument; invalid?: string } {
  const sha256 = sha256Hex(text);
  try {
    return { sha256, document: parseDocument(text) };
  } catch (err) {
    return { sha256, document: [], invalid: errorLine(err) };
  }
}

export interface PublishOutcome {
  written: boolean;
  withheld?: string;
  generation: number;
  previousGeneration: number;
  sha256: string;
  etag: string;
  text: string;
  document: TargetDocument;
  previous: TargetDocument;
  attempts: number;
  manifestRepaired: boolean;
  /** The sharded copy (shard-publish.ts): absent when nothing was published, and in a dry run. */
  shards?: ShardPublishOutcome;
}

export interface PublishOptions {
  now: () => Date;
  dryRun?: boolean;
  maxAttempts?: number;
  /** Waits between attempts after a lost race (injected so tests need not sleep). */
  sleep?: (ms: number) => Promise<void>;
  /** The generation of the state written last (state-parts.ts latestStateGeneration): an older build writes nothing. */
  latestStateGeneration?: () => Promise<number | undefined>;
}

type OutcomeBase = Pick<PublishOutcome, "previousGeneration" | "previous" | "attempts" | "manifestRepaired">;

/** The outcome that leaves the published document (or its absence) as it is, with the reason. */
function kept(base: OutcomeBase, previous: PublishedDocument | undefined, withheld: string): PublishOutcome {
  const { generation = 0, sha256 = "", etag = "", text = "", document = [] } = previous ?? {};
  return { ...base, written: false, withheld, generation, sha256, etag, text, document };
}

/**
 * Reads the current document, builds the next one from it, and writes it conditionally.
 * `build` may run more than once (after a lost race) and must be pure over its input.
 *
 * The steps, each with the failure it prevents (marked `// (n)` in the code):
 *
 *  1. Read the published document with its ETag and metadata (generation, state
 *     generation). An object that does not parse is kept as `invalid`: it is replaced by
 *     the next write and never counts as unchanged. The ETag read here is the version the
 *     write of step 7 must replace, so nothing written in between is overwritten unseen.
 *  2. Build the next document from it. No document (a state never completed, a failed
 *     discovery: README guarantees G1, G7, decided by the builder) returns the published
 *     one untouched with the reason: nothing, and no `[]`, is written.
 *  3. If the published document was built from a newer state generation than this one,
 *     stop without writing: a slow writer holding an older state never replaces the
 *     document of a newer one (README guarantee G9).
 *  4. Serialize, hash and validate: a document a sidecar would reject is never
 *     published (the validation throws before any write).
 *  5. Same sha256 as a valid published document: write no document (README guarantee G8);
 *     only repair the manifest when it is missing or describes another version (a crash
 *     or a failed SSM write between the two writes of an earlier run). Not in a dry run.
 *  6. The new generation is one above the published document's and the index's (event
 *     batches move the index alone when the single document is the full reconcile's), so
 *     generations strictly increase. A dry run stops here and reports what would be written.
 *  7. Put the document conditionally: `If-Match` the ETag of step 1, `If-None-Match: *`
 *     when there was none (README guarantee G9), with generation, sha256, target count,
 *     time and state generation as metadata (what step 1, step 9 and the manifest repair
 *     read back).
 *  8. Write the manifest after the document and the index (step 11, run before it), so a
 *     sidecar following the manifest is never sent to an object that is not there yet; it
 *     points at both. A failed manifest write throws; step 5 of the next run repairs it.
 *  9. HEAD the document: if a newer generation was written meanwhile and the manifest does
 *     not describe it (our slower manifest write overwrote the newer writer's), rewrite
 *     the manifest from the document's metadata (README guarantee G9).
 * 10. A lost race in step 7 (ConflictError) waits the store's one backoff (retryOnConflict)
 *     and starts again at step 1 with the newer document, at most `maxAttempts` (default 5)
 *     times; any other error, or the last conflict, is thrown.
 * 11. Bring the sharded copy up to date (publishShards: the changed shards, then the
 *     index of this generation), right after step 7, and also when the document was
 *     unchanged, so an index that is missing (the first run after an upgrade from the
 *     single object: no empty window, the single document stays), behind (a crash after
 *     step 7) or describing other targets (event batches since) is written. Its own lost
 *     races are retried there: the document written in step 7 is not written again. An
 *     index built from a newer state stops the publication (step 3).
 */
export async function publishDocument(
  t: PublishTarget,
  build: (previous: PublishedDocument | undefined) => BuiltDocument,
  options: PublishOptions,
): Promise<PublishOutcome> {
  // (10)
  return retryOnConflict(
    async (attempt) => {
      const previous = await readPublished(t); // (1)
      // The index's generation goes up with every event batch that publishes only shards
      // (PUBLISH_SINGLE_DOCUMENT=full-reconcile); the document's next one is above both.
      const { index } = await readIndex(t);
      const built = build(previous); // (2)
      const prevGeneration = previous?.generation ?? 0;
      const base = { previousGeneration: prevGeneration, previous: previous?.document ?? [], attempts: attempt, manifestRepaired: false };
      // (2) nothing to publish: the published document stays
      // (A sharded build joins its document only when it is written: `sharded` says it has one.)
      const whole = built.sharded ? undefined : built.document;
      if (!built.sharded && !whole) return kept(base, previous, built.withheld ?? "nothing to publish");
      // (3)
      if (previous && built.stateGeneration !== undefined && previous.stateGeneration > built.stateGeneration) {
        return kept(base, previous, `the published document is built from a newer state (${previous.stateGeneration} > ${built.stateGeneration})`);
      }
      if (index && built.stateGeneration !== undefined && index.stateGeneration > built.stateGeneration) {
        return kept(base, previous, `the published index is built from a newer state (${index.stateGeneration} > ${built.stateGeneration})`);
      }
      // (4) Built from shards (buildShardedPublication): hashed from the shards' texts and
      // each shard checked when it was built; the text is joined only to be written.
      const sharded = built.sharded;
      let text = whole ? serializeDocument(whole) : undefined;
      const sha256 = sharded ? sharded.sha256 : sha256Hex(text ?? "");
      // Self-check: never publish what a sidecar would reject. The sidecar's check on the
      // document object, not on its text parsed back: the text is JSON.stringify of these
      // strings, arrays and objects, which parses back to the same values, so parsing the
      // whole document again (10,000 targets: 11 MB) would only repeat the same checks.
      let document = whole ? validateDocument(whole) : undefined;
      // (5)
      if (previous && !previous.invalid && previous.sha256 === sha256) {
        // The same bytes as published: the published copy stands for them.
        document ??= previous.document;
        text ??= previous.text;
        // (11) an index missing or behind (the first run after an upgrade, a crash, event
        // batches that changed it since) is written, then the manifest points at it.
        const shards = options.dryRun
          ? undefined
          : await publishShards(
              t,
              {
                document,
                ...(sharded ? { shards: sharded.shards } : {}),
                sha256,
                generation: prevGeneration,
                stateGeneration: built.stateGeneration ?? previous.stateGeneration,
                now: options.now(),
              },
              { sleep: options.sleep },
            );
        const repaired = options.dryRun ? false : await repairManifest(t, previous, built, options.now, shards?.index);
        return {
          ...base,
          written: false,
          generation: prevGeneration,
          sha256,
          etag: previous.etag,
          text,
          document,
          manifestRepaired: repaired,
          ...(shards ? { shards } : {}),
        };
      }
      const generation = Math.max(prevGeneration, index?.generation ?? 0) + 1; // (6)
      if (sharded) ({ document, text } = sharded.join());
      if (text === undefined || document === undefined) throw new PublishError("s3:PutObject", "no document text to publish");
      if (options.dryRun) return { ...base, written: false, generation, sha256, etag: "", text, document };
      // A newer state was written since the one built here: its writer publishes it.
      const latest = built.stateGeneration !== undefined ? await options.latestStateGeneration?.() : undefined;
      if (previous && latest !== undefined && built.stateGeneration !== undefined && latest > built.stateGeneration) {
        return kept(base, previous, `a newer state (${latest} > ${built.stateGeneration}) is published by its own writer`);
      }
      const generatedAt = options.now().toISOString();
      const targets = countTargets(document);
      // (7)
      const etag = await putConditional(t.s3, t.bucket, t.key, text, {
        ifMatch: previous?.etag,
        metadata: {
          [META.generation]: String(generation),
          [META.sha256]: sha256,
          [META.targets]: String(targets),
          [META.generatedAt]: generatedAt,
          ...(built.stateGeneration !== undefined ? { [META.stateGeneration]: String(built.stateGeneration) } : {}),
        },
      });
      // A warm process' next read of the document is a 304 and this very document.
      const metadata = { [META.generation]: String(generation), [META.sha256]: sha256, [META.targets]: String(targets), [META.generatedAt]: generatedAt };
      t.cache?.wrote(t.bucket, t.key, { body: text, etag, metadata }, "published-body", { sha256, document });
      // (11)
      const shards = await publishShards(
        t,
        { document, ...(sharded ? { shards: sharded.shards } : {}), sha256, generation, stateGeneration: built.stateGeneration ?? 0, now: options.now() },
        { sleep: options.sleep },
      );
      // (8)
      await putManifest(t, manifestOf(t, { generation, sha256, etag, targets, groups: document.length, generatedAt }, built, shards.index));
      const repaired = await verifyManifest(t, generation); // (9)
      return { ...base, written: true, generation, sha256, etag, text, document, manifestRepaired: repaired, shards };
    },
    { maxAttempts: options.maxAttempts ?? 5, sleep: options.sleep },
  );
}
