// zod schemas of the events the reconcile function accepts, on an EventBridge envelope
// declared as Powertools' parser declares it (EventBridgeSchema): ECS "Task State Change",
// "AWS API Call via CloudTrail" from Cloud Map, the scheduled event, and the manual
// {"action":"reconcile"} invoke. Only the fields the reconciler reads are declared; the
// rest pass through unvalidated. Written with zod/mini (same checks, same English
// messages, a fraction of the bundle: the Powertools schemas import all of zod).
import en from "zod/v4/locales/en.js";
import * as z from "zod/mini";

// The messages zod's full build sets on import ("Invalid input: expected string, ...").
z.config(en());

/** Powertools' EventBridgeSchema (@aws-lambda-powertools/parser/schemas), field for field. */
const EventBridgeSchema = z.object({
  version: z.string(),
  id: z.string(),
  source: z.string(),
  account: z.string(),
  time: z.iso.datetime(),
  region: z.string(),
  resources: z.array(z.string()),
  "detail-type": z.string(),
  detail: z.unknown(),
  "replay-name": z.optional(z.string()),
});

const str = z.optional(z.string());

const Binding = z.looseObject({
  containerPort: z.optional(z.number().check(z.int())),
  hostPort: z.optional(z.number().check(z.int())),
  protocol: str,
  bindIP: str,
});

const Container = z.looseObject({
  name: str,
  networkInterfaces: z.optional(z.array(z.looseObject({ privateIpv4Address: str }))),
  networkBindings: z.optional(z.array(Binding)),
});

export const EcsTaskDetailSchema = z.looseObject({
  taskArn: z.string().check(z.startsWith("arn:")),
  clusterArn: z.string().check(z.startsWith("arn:")),
  taskDefinitionArn: z.string().check(z.startsWith("arn:")),
  lastStatus: z.string().check(z.minLength(1)),
  desiredStatus: str,
  version: z.number().check(z.int(), z.nonnegative()),
  group: str,
  launchType: str,
  availabilityZone: str,
  containerInstanceArn: str,
  healthStatus: str,
  attachments: z.optional(z.array(z.looseObject({ type: str, details: z.optional(z.array(z.looseObject({ name: str, value: str }))) }))),
  containers: z.optional(z.array(Container)),
});

export const EcsTaskStateChangeSchema = z.extend(EventBridgeSchema, {
  source: z.literal("aws.ecs"),
  "detail-type": z.literal("ECS Task State Change"),
  detail: EcsTaskDetailSchema,
});

export const CloudMapApiCallSchema = z.extend(EventBridgeSchema, {
  "detail-type": z.literal("AWS API Call via CloudTrail"),
  detail: z.looseObject({
    eventSource: z.literal("servicediscovery.amazonaws.com"),
    eventName: z.string(),
    eventTime: str,
    errorCode: str,
    requestParameters: z.optional(z.nullable(z.record(z.string(), z.unknown()))),
    responseElements: z.optional(z.nullable(z.record(z.string(), z.unknown()))),
  }),
});

export const ScheduledEventSchema = z.extend(EventBridgeSchema, {
  "detail-type": z.literal("Scheduled Event"),
  source: z.literal("aws.events"),
});

export const ManualInvokeSchema = z.strictObject({
  action: z.literal("reconcile"),
  dryRun: z.optional(z.boolean()),
});

export type EcsTaskStateChange = z.infer<typeof EcsTaskStateChangeSchema>;
export type CloudMapApiCall = z.infer<typeof CloudMapApiCallSchema>;
