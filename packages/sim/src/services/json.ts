// The awsJson1_0 / awsJson1_1 protocol shared by Cloud Map, ECS, SSM and CloudWatch:
// `X-Amz-Target: Prefix.Operation`, a JSON body in, JSON out with Dates as epoch
// seconds, errors as HTTP 4xx/5xx `{"__type", "message"}`; plus the tag-list and
// required-field helpers of those APIs' inputs and outputs.
import { AwsError } from "../errors";
import { isReadOnlyOperation, type HandlerContext, type ServiceHandler, type SimRequest } from "./types";

// Declared as a method so that its parameter is checked bivariantly: each operation types
// its own input (the JSON body, not validated here), which a function type would refuse.
export type JsonOperation = { operation(input: unknown, ctx: HandlerContext): unknown }["operation"];

export interface JsonServiceSpec {
  service: string;
  /** Suffix of AWS_ENDPOINT_URL_<NAME> (the SDK's service id, upper case, no spaces). */
  endpointEnvName?: string;
  targetPrefix: string;
  /** "1.1" (Cloud Map, ECS, SSM) or "1.0" (CloudWatch, DynamoDB). */
  version?: "1.0" | "1.1";
  operations: Record<string, JsonOperation>;
}

/** JSON with Dates as epoch seconds (what the SDK's awsJson deserializer expects). */
export function toJson(value: unknown): string {
  return JSON.stringify(value, function (this: Record<string, unknown>, key, v) {
    const raw = this[key];
    return raw instanceof Date ? raw.getTime() / 1000 : v;
  });
}

export function defineJsonService(spec: JsonServiceSpec): ServiceHandler {
  const contentType = `application/x-amz-json-${spec.version ?? "1.1"}`;
  return {
    service: spec.service,
    route: `json:${spec.targetPrefix}`,
    ...(spec.endpointEnvName ? { endpointEnvName: spec.endpointEnvName } : {}),
    protocol: "json",
    operation(req: SimRequest): string {
      const target = String(req.headers["x-amz-target"] ?? "");
      const op = target.slice(target.indexOf(".") + 1);
      if (!Object.hasOwn(spec.operations, op)) {
        throw new AwsError("UnknownOperationException", `The simulator does not implement ${spec.service}:${op}`);
      }
      return op;
    },
    handle(op, req, ctx) {
      let input: unknown = {};
      if (req.body.length > 0) {
        try {
          input = JSON.parse(req.body.toString("utf8"));
        } catch {
          throw new AwsError("SerializationException", "Request body is not valid JSON");
        }
      }
      const output = spec.operations[op]!(input ?? {}, ctx) ?? {};
      return { status: 200, headers: { "content-type": contentType }, body: toJson(output) };
    },
    error(err) {
      return {
        status: err.status,
        headers: { "content-type": contentType, "x-amzn-errortype": err.code },
        body: JSON.stringify({ __type: err.code, message: err.message }),
      };
    },
    readOnly: isReadOnlyOperation,
    iamAction: (op) => `${spec.service}:${op}`,
  };
}

/** `{key: value}` as the `[{Key, Value}]` tag list Cloud Map answers. */
export function tagList(tags: Record<string, string>): { Key: string; Value: string }[] {
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
}

/** Throws a validation error naming the missing field when `value` is absent. */
export function required<T>(value: T | undefined | null, field: string, code = "InvalidParameterException"): T {
  if (value === undefined || value === null || value === "") throw new AwsError(code, `${field} is required`);
  return value;
}
