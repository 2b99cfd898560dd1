// Loads the event fixtures the infra tests match patterns against.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../fixtures/", import.meta.url));

export type Event = Record<string, unknown> & { detail: Record<string, unknown> };

export function fixture(path: string): Event {
  return JSON.parse(readFileSync(root + path, "utf8")) as Event;
}

/** A deep copy with `change` applied to it. */
export function variant(event: Event, change: (e: Event) => void): Event {
  const copy = structuredClone(event);
  change(copy);
  return copy;
}

export const samples = {
  fargate: () => fixture("aws-samples/ecs-task-state-change-fargate-awsvpc.json"),
  ec2: () => fixture("aws-samples/ecs-task-state-change-ec2.json"),
  s3ApiCall: () => fixture("aws-samples/eventbridge-aws-api-call-via-cloudtrail-s3.json"),
  cloudTrailLog: () => fixture("aws-samples/cloudtrail-servicediscovery-createpublicdnsnamespace.json"),
  register: () => fixture("eventbridge/servicediscovery-registerinstance.json"),
  deregister: () => fixture("eventbridge/servicediscovery-deregisterinstance.json"),
};
