// From a raw EventBridge event to the core's ChangeEvent: the ECS task's facts from the
// event's own data, Cloud Map instance changes from the CloudTrail request parameters
// (camelCase as CloudTrail records them; PascalCase accepted too). An event that does not
// validate yields a one-line reason naming the event, never an exception.
import type { Task } from "@aws-sdk/client-ecs";
import { serviceIdFromArn, taskFacts } from "@scrape-reconciler/discovery";
import type { ChangeEvent } from "@scrape-reconciler/core";
import type { z } from "zod/mini";
import { CloudMapApiCallSchema, EcsTaskStateChangeSchema } from "./schemas";

export type Normalized = { ok: true; event: ChangeEvent } | { ok: false; reason: string; ignored?: boolean };

/** Cloud Map API calls that change targets; everything else from Cloud Map is ignored. */
export const INSTANCE_CALLS = new Set(["RegisterInstance", "DeregisterInstance"]);
export const SERVICE_CALLS = new Set(["CreateService", "DeleteService", "UpdateService", "TagResource", "UntagResource"]);

function field(params: Record<string, unknown> | null | undefined, name: string): unknown {
  if (!params) return undefined;
  return params[name] ?? params[name[0]!.toUpperCase() + name.slice(1)];
}

function describe(raw: unknown): string {
  const r = raw as Record<string, unknown> | null;
  const id = typeof r?.id === "string" ? r.id : "?";
  const type = typeof r?.["detail-type"] === "string" ? r["detail-type"] : "?";
  return `event ${id} (${type})`;
}

function issues(err: z.core.$ZodError): string {
  const first = err.issues[0];
  return first ? `${first.path.join(".") || "(root)"}: ${first.message}` : "invalid";
}

export function normalizeEvent(raw: unknown): Normalized {
  const type = (raw as Record<string, unknown> | null)?.["detail-type"];
  if (type === "ECS Task State Change") {
    const parsed = EcsTaskStateChangeSchema.safeParse(raw);
    if (!parsed.success) return { ok: false, reason: `${describe(raw)} is not a valid ECS task state change: ${issues(parsed.error)}` };
    const e = parsed.data;
    const facts = taskFacts(e.detail as unknown as Task, undefined);
    if (!facts) return { ok: false, reason: `${describe(raw)} lacks task facts` };
    return { ok: true, event: { kind: "task", eventId: e.id, time: e.time, region: e.region, facts: { ...facts, version: e.detail.version } } };
  }
  if (type === "AWS API Call via CloudTrail") {
    const parsed = CloudMapApiCallSchema.safeParse(raw);
    if (!parsed.success) return { ok: false, reason: `${describe(raw)} is not a Cloud Map API call: ${issues(parsed.error)}` };
    const e = parsed.data;
    const d = e.detail;
    if (d.errorCode) return { ok: false, ignored: true, reason: `${describe(raw)}: ${d.eventName} failed (${d.errorCode}), nothing changed` };
    const params = d.requestParameters;
    if (INSTANCE_CALLS.has(d.eventName)) {
      const serviceId = field(params, "serviceId");
      const instanceId = field(params, "instanceId");
      if (typeof serviceId !== "string" || typeof instanceId !== "string") {
        return { ok: false, reason: `${describe(raw)}: ${d.eventName} without serviceId/instanceId` };
      }
      const attrs = field(params, "attributes");
      const attributes = attrs && typeof attrs === "object" ? Object.fromEntries(Object.entries(attrs).map(([k, v]) => [k, String(v)])) : undefined;
      return {
        ok: true,
        event: { kind: d.eventName === "RegisterInstance" ? "register" : "deregister", eventId: e.id, time: e.time, serviceId, instanceId, attributes },
      };
    }
    if (SERVICE_CALLS.has(d.eventName)) {
      const response = d.responseElements;
      const svc = field(response, "service") as Record<string, unknown> | undefined;
      const candidates = [field(params, "id"), field(params, "resourceARN"), svc?.id, svc?.Id, svc?.arn, svc?.Arn];
      for (const c of candidates) {
        if (typeof c !== "string") continue;
        const serviceId = c.startsWith("srv-") ? c : serviceIdFromArn(c);
        if (serviceId) return { ok: true, event: { kind: "service", eventId: e.id, time: e.time, eventName: d.eventName, serviceId } };
      }
      return { ok: false, ignored: true, reason: `${describe(raw)}: ${d.eventName} names no Cloud Map service (a namespace?), nothing to refresh` };
    }
    return { ok: false, ignored: true, reason: `${describe(raw)}: ${d.eventName} does not change targets` };
  }
  return { ok: false, reason: `${describe(raw)}: unsupported event (want ECS Task State Change or a Cloud Map API call)` };
}
