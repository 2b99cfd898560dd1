// zod schemas of the events the reconcile function accepts, on Powertools' EventBridge
// schema: ECS "Task State Change", "AWS API Call via CloudTrail" from Cloud Map, the
// scheduled event, and the manual {"action":"reconcile"} invoke. Only the fields the
// reconciler reads are declared; the rest pass through unvalidated.
import { EventBridgeSchema } from "@aws-lambda-powertools/parser/schemas";
import { z } from "zod";

const Binding = z.looseObject({
  containerPort: z.number().int().optional(),
  hostPort: z.number().int().optional(),
  protocol: z.string().optional(),
  bindIP: z.string().optional(),
});

const Container = z.looseObject({
  name: z.string().optional(),
  networkInterfaces: z.array(z.looseObject({ privateIpv4Address: z.string().optional() })).optional(),
  networkBindings: z.array(Binding).optional(),
});

export const EcsTaskDetailSchema = z.looseObject({
  taskArn: z.string().startsWith("arn:"),
  clusterArn: z.string().startsWith("arn:"),
  taskDefinitionArn: z.string().startsWith("arn:"),
  lastStatus: z.string().min(1),
  desiredStatus: z.string().optional(),
  version: z.number().int().nonnegative(),
  group: z.string().optional(),
  launchType: z.string().optional(),
  availabilityZone: z.string().optional(),
  containerInstanceArn: z.string().optional(),
  healthStatus: z.string().optional(),
  attachments: z
    .array(
      z.looseObject({ type: z.string().optional(), details: z.array(z.looseObject({ name: z.string().optional(), value: z.string().optional() })).optional() }),
    )
    .optional(),
  containers: z.array(Container).optional(),
});

export const EcsTaskStateChangeSchema = EventBridgeSchema.extend({
  source: z.literal("aws.ecs"),
  "detail-type": z.literal("ECS Task State Change"),
  detail: EcsTaskDetailSchema,
});

export const CloudMapApiCallSchema = EventBridgeSchema.extend({
  "detail-type": z.literal("AWS API Call via CloudTrail"),
  detail: z.looseObject({
    eventSource: z.literal("servicediscovery.amazonaws.com"),
    eventName: z.string(),
    eventTime: z.string().optional(),
    errorCode: z.string().optional(),
    requestParameters: z.record(z.string(), z.unknown()).nullable().optional(),
    responseElements: z.record(z.string(), z.unknown()).nullable().optional(),
  }),
});

export const ScheduledEventSchema = EventBridgeSchema.extend({
  "detail-type": z.literal("Scheduled Event"),
  source: z.literal("aws.events"),
});

export const ManualInvokeSchema = z.strictObject({
  action: z.literal("reconcile"),
  dryRun: z.boolean().optional(),
});

export type EcsTaskStateChange = z.infer<typeof EcsTaskStateChangeSchema>;
export type CloudMapApiCall = z.infer<typeof CloudMapApiCallSchema>;
