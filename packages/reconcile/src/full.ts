// The full reconcile: discover everything, read the container instances of the EC2 tasks
// found that the state does not know yet (their EC2 instance type), merge both into the
// state (newer event facts win, failed parts keep their entries), publish the document
// built from the state.
// Used by the CLI, the scheduled function (the safety net, with the events of the batch the
// schedule arrived in, applied first in the same state write) and the manual invoke. The
// drift it reports is what the events had missed: the difference between the document
// built from the state (with those events) before and after the merge. The merge decides
// whether the state is complete; a state that is not publishes nothing.
//
// The container instances are read here and not in discover(), which the audit also runs
// with a role that may not read them: DescribeContainerInstances and DescribeInstances,
// once per container instance (the state caches what they find), never per event. A failed
// read fails nothing and shrinks nothing: the tasks on those container instances are
// published without __meta_ecs_ec2_instance_type until a later reconcile (or an event's
// lookup) reads them; the summary counts it.
import {
  buildPublication,
  containerInstancesToResolve,
  countTargets,
  diffDocuments,
  driftOf,
  shardDriftOf,
  emptyState,
  heartbeatDue,
  isComplete,
  mergeDiscovery,
  knownServiceTags,
  knownTaskFacts,
  recordContainerInstances,
  sameFacts,
  slotsDue,
  VERIFY_SLOT_MS,
  serializeDocument,
  type Discovery,
  type DocumentDiff,
  type FailedScope,
  type ReconcilerState,
  type SkippedEndpoint,
} from "@scrape-reconciler/core";
import { discover, readContainerInstances, TaskDefinitionCache, type ContainerInstanceRead, type DiscoveryStats } from "@scrape-reconciler/discovery";
import { readPublished, readState, shardBuilderOf, updateStateAndPublish, type StoredState } from "@scrape-reconciler/store";
import type { ReconcilerClients } from "./clients";
import { stateTargetOf, type ReconcileConfig } from "./config";

export interface ReconcileDeps {
  clients: Pick<ReconcilerClients, "servicediscovery" | "ecs" | "ec2" | "s3" | "ssm" | "objects">;
  config: ReconcileConfig;
  now: () => Date;
  /** Shared across reconciles of one process (task definitions are immutable). */
  taskDefinitions?: TaskDefinitionCache;
}

export interface ReconcileOptions {
  dryRun?: boolean;
  /**
   * Changes applied to the state before the discovery is merged into it, in the same state
   * write (the events of the batch a schedule arrived in). Runs on a copy of the state read
   * first (so the container instances it records need no second read), and again on a fresh
   * copy for each write attempt: it must depend only on the state it is given.
   */
  before?: (state: ReconcilerState) => void;
  /** The state as already read by the caller (saves one GET). */
  initial?: StoredState;
}

export interface ReconcileSummary {
  dryRun: boolean;
  written: boolean;
  stateWritten: boolean;
  /** Whether the state is complete after this reconcile (a state that is not publishes nothing). */
  complete: boolean;
  /** Why nothing was published (e.g. every service failed), when that happened. */
  withheld?: string;
  generation: number;
  previousGeneration: number;
  stateGeneration: number;
  sha256: string;
  targets: number;
  groups: number;
  services: number;
  namespaces: number;
  added: number;
  removed: number;
  changed: number;
  /** Targets the events had missed (added + removed + changed by the merge). */
  drift: number;
  carriedOver: number;
  notRunning: number;
  skippedEndpoints: SkippedEndpoint[];
  failed: FailedScope[];
  attempts: number;
  durationMs: number;
  diff: DocumentDiff;
  stats: DiscoveryStats;
  /** The container instances read (those of discovered EC2 tasks the state did not know). */
  containerInstances: ContainerInstanceSummary;
}

export interface ContainerInstanceSummary {
  /** Container instances read and recorded in the state. */
  read: number;
  /** Container instances whose read failed: their tasks lack __meta_ecs_ec2_instance_type until a later read. */
  failed: number;
  /** ecs:DescribeContainerInstances and ec2:DescribeInstances calls made. */
  calls: number;
  /** Distinct reasons, `operation: reason`, at most 10. */
  errors: string[];
}

function containerInstanceSummary(r: ContainerInstanceRead): ContainerInstanceSummary {
  const errors = [...new Set(r.failures.map((f) => `${f.operation}: ${f.reason}`))];
  return {
    read: Object.keys(r.found).length,
    failed: r.failures.length,
    calls: r.calls.describeContainerInstances + r.calls.describeInstances,
    errors: errors.slice(0, 10),
  };
}

/** What a full reconcile reads of AWS, before the state write. */
export interface AccountRead {
  discovery: Discovery & { stats: DiscoveryStats };
  containerInstances: ContainerInstanceRead;
}

/**
 * The full discovery, then the container instances of its EC2 tasks that `known` (the
 * state, with the changes applied before the merge) does not know or knows without their
 * instance type, with the discovery's concurrency. A failed container-instance read is
 * reported in `containerInstances.failures`, never thrown.
 */
export async function readAccount(
  deps: Pick<ReconcileDeps, "clients" | "config">,
  known: ReconcilerState,
  taskDefinitions: TaskDefinitionCache,
  /** The slots of known running tasks to describe again (core's slotsDue); undefined: every task is described. */
  due?: ReadonlySet<number>,
): Promise<AccountRead> {
  const { clients, config } = deps;
  // Task definitions are immutable: the ones the state already knows need no call.
  for (const [arn, mode] of Object.entries(known.taskDefinitions ?? {})) taskDefinitions.prime(arn, mode);
  const discovery = await discover(clients, {
    tagNames: config.tagNames,
    namespaces: config.namespaces,
    clusters: config.clusters,
    concurrency: config.concurrency,
    taskDefinitions,
    ...(due ? { known: knownTaskFacts(known, due), knownTags: knownServiceTags(known, due) } : {}),
  });
  const containerInstances = await readContainerInstances(clients, containerInstancesToResolve(known, discovery), { concurrency: config.concurrency });
  return { discovery, containerInstances };
}

/**
 * Pure: records the container instances read in `state` (in place, so the drift's base has
 * them too: a label they alone add is no drift), then merges the discovery into it.
 */
export function mergeRead(state: ReconcilerState, read: AccountRead, startedAt: Date, now: Date, options: { publishedBefore?: boolean } = {}): ReconcilerState {
  recordContainerInstances(state, read.containerInstances.found);
  return mergeDiscovery(state, read.discovery, startedAt, now, options);
}

/**
 * The bytes a full reconcile from scratch (no state, no published document) would publish
 * now, by the same reads and the same merge, writing nothing; `withheld` when it would
 * publish nothing. The reference the event path's document must equal (README guarantee G5).
 */
export async function documentFromScratch(
  deps: Pick<ReconcileDeps, "clients" | "config" | "now">,
): Promise<{ text: string | undefined; withheld?: string; failed: FailedScope[] }> {
  const startedAt = deps.now();
  const read = await readAccount(deps, emptyState(startedAt), new TaskDefinitionCache());
  const state = mergeRead(emptyState(startedAt), read, startedAt, deps.now());
  const { built } = buildPublication(state, undefined, deps.config.tagNames, read.discovery.failed);
  const text = built.document ? serializeDocument(built.document) : undefined;
  return { text, ...(built.withheld ? { withheld: built.withheld } : {}), failed: read.discovery.failed };
}

/** Whether a valid document was published: it covers the failed parts of a discovery that a state never completed lacks. */
async function publishedBefore(deps: ReconcileDeps): Promise<boolean> {
  const doc = await readPublished(stateTargetOf(deps.config, deps.clients));
  return doc !== undefined && doc.invalid === undefined;
}

/** Where a warm process keeps when its last full reconcile started (the slots it described then). */
const VERIFIED_MEMO = "full-reconcile-started";

/**
 * Since when the known tasks' slots have been described: the start of this process' last
 * full reconcile that failed nowhere and was not a dry run, or the state's last full
 * reconcile time (when it ended, and written at most every HEARTBEAT_MS when nothing
 * changed) less one slot, whichever is later; nothing (every task) after a discovery that
 * failed in parts. Earlier is always safe: more tasks are described.
 */
function verifiedSince(deps: ReconcileDeps, state: ReconcilerState): Date | undefined {
  // The last full discovery failed in parts: what it did not read is read now, everything.
  if (state.failed.length > 0) return undefined;
  const memo = deps.clients.objects?.memo<{ at?: Date }>(VERIFIED_MEMO, () => ({}));
  const last = Date.parse(state.lastFullReconcileAt ?? "");
  const stored = Number.isNaN(last) ? undefined : new Date(last - VERIFY_SLOT_MS);
  const mine = memo?.at;
  if (!stored || !mine) return stored ?? mine;
  return new Date(Math.max(mine.getTime(), stored.getTime()));
}

export async function reconcile(deps: ReconcileDeps, options: ReconcileOptions = {}): Promise<ReconcileSummary> {
  const started = Date.now();
  const { clients, config } = deps;
  const startedAt = deps.now();
  const known = options.initial ?? (await readState(stateTargetOf(config, clients), startedAt));
  // What the state will know before the merge: the caller's changes too (a batch's events
  // and the container instances their lookups read, which need no second read).
  let seen = known.state;
  if (options.before) {
    seen = structuredClone(known.state);
    options.before(seen);
  }
  // A complete state's running tasks are described again in their turn (core's verification.ts).
  const due = isComplete(seen) ? slotsDue(verifiedSince(deps, seen), startedAt) : undefined;
  const read = await readAccount(deps, seen, deps.taskDefinitions ?? new TaskDefinitionCache(), due);
  const { discovery } = read;
  // Read only when it can matter: failed parts, and a state that was not complete.
  const covered = discovery.failed.length > 0 && !isComplete(known.state) ? await publishedBefore(deps) : false;
  /** The state with the caller's changes, before the merge (of the last attempt): the base of the drift. */
  let base: ReconcilerState | undefined;
  const out = await updateStateAndPublish(
    stateTargetOf(config, clients),
    (state, stored) => {
      // `state` is already the store's copy of the state read (`stored`): the base is it.
      base = state;
      options.before?.(base);
      const merged = mergeRead(base, read, startedAt, deps.now(), { publishedBefore: covered });
      // An unchanged account writes nothing (neither the state nor the document), except a
      // heartbeat of the state every HEARTBEAT_MS so the audit can tell reconciles still run.
      return { state: sameFacts(merged, stored) && !heartbeatDue(stored, deps.now()) ? undefined : merged, result: undefined };
    },
    { now: deps.now, tagNames: config.tagNames, dryRun: options.dryRun, failed: discovery.failed, initial: known },
  );
  const { publish, build } = out;
  // The slots due this time (every slot without `due`) were described, unless a part of the
  // discovery failed (its tasks and tags were not read) or nothing was written (a dry run).
  const memo = deps.clients.objects?.memo<{ at?: Date }>(VERIFIED_MEMO, () => ({}));
  if (memo && !options.dryRun && discovery.failed.length === 0) memo.at = startedAt;
  // The published copy stands for an unchanged document: nothing to compare.
  const unchanged = publish.previous === publish.document;
  const targets = countTargets(publish.document);
  const diff = unchanged ? { added: [], removed: [], changed: [], before: targets, after: targets } : diffDocuments(publish.previous, publish.document);
  return {
    dryRun: Boolean(options.dryRun),
    written: publish.written,
    stateWritten: out.stateWritten,
    complete: isComplete(out.after),
    withheld: publish.withheld,
    generation: publish.generation,
    previousGeneration: publish.previousGeneration,
    stateGeneration: out.stateGeneration,
    sha256: publish.sha256,
    targets: diff.after,
    groups: publish.document.length,
    services: build?.services ?? 0,
    namespaces: discovery.namespacesSeen,
    added: diff.added.length,
    removed: diff.removed.length,
    changed: diff.changed.length,
    // What the merge changed in the document the state gave before (core's driftOf).
    drift: build?.fromShards
      ? shardDriftOf(base ?? out.before, out.before, out.after, out.after !== out.before, shardBuilderOf(stateTargetOf(config, clients)), config.tagNames)
      : driftOf(base ?? out.before, out.before, build?.document, out.after !== out.before, config.tagNames),
    carriedOver: build?.carriedOver ?? 0,
    notRunning: build?.notRunning ?? 0,
    skippedEndpoints: build?.skipped ?? [],
    failed: discovery.failed,
    attempts: publish.attempts + out.stateAttempts - 1,
    durationMs: Date.now() - started,
    diff,
    stats: discovery.stats,
    containerInstances: containerInstanceSummary(read.containerInstances),
  };
}
