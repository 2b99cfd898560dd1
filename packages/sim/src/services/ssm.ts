// AWS Systems Manager Parameter Store (awsJson1_1, target AmazonSSM): GetParameter (by
// name, name:version or ARN) and PutParameter (types, tiers, Overwrite, versions).
import { AwsError } from "../errors";
import { arns } from "../ids";
import type { ParameterRecord } from "../model";
import type { SimState } from "../state";
import { defineJsonService, required } from "./json";

function parameterShape(state: SimState, p: ParameterRecord, requested: string) {
  return {
    Name: p.name,
    Type: p.type,
    Value: p.value,
    Version: p.version,
    ...(requested !== p.name && /:\d+$/.test(requested) ? { Selector: requested.slice(requested.lastIndexOf(":")) } : {}),
    LastModifiedDate: p.lastModified,
    ARN: arns.parameter(state, p.name),
    DataType: p.dataType,
  };
}

const TYPES = new Set(["String", "StringList", "SecureString"]);
const TIERS = new Set(["Standard", "Advanced", "Intelligent-Tiering"]);

export const ssm = defineJsonService({
  service: "ssm",
  endpointEnvName: "SSM",
  targetPrefix: "AmazonSSM",
  operations: {
    GetParameter(input: { Name?: string; WithDecryption?: boolean }, ctx) {
      const name = required(input.Name, "Name", "ValidationException");
      return { Parameter: parameterShape(ctx.state, ctx.state.ssm.get(name), name) };
    },
    PutParameter(input: { Name?: string; Value?: string; Type?: string; Overwrite?: boolean; Tier?: string; Description?: string; DataType?: string }, ctx) {
      if (input.Type !== undefined && !TYPES.has(input.Type)) throw new AwsError("ValidationException", `Invalid parameter type: ${input.Type}`);
      if (input.Tier !== undefined && !TIERS.has(input.Tier)) throw new AwsError("ValidationException", `Invalid tier: ${input.Tier}`);
      const r = ctx.state.ssm.put({
        name: required(input.Name, "Name", "ValidationException"),
        value: input.Value ?? "",
        ...(input.Type !== undefined ? { type: input.Type as ParameterRecord["type"] } : {}),
        overwrite: input.Overwrite ?? false,
        ...(input.Tier !== undefined ? { tier: input.Tier as ParameterRecord["tier"] } : {}),
        ...(input.Description !== undefined ? { description: input.Description } : {}),
        ...(input.DataType !== undefined ? { dataType: input.DataType } : {}),
      });
      return { Version: r.version, Tier: r.tier };
    },
  },
});
