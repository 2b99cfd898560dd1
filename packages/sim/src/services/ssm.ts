// AWS Systems Manager Parameter Store (awsJson1_1, target AmazonSSM): GetParameter,
// GetParameters, PutParameter, DeleteParameter, DeleteParameters, GetParametersByPath.
import { AwsError } from "../errors";
import { arns } from "../ids";
import type { ParameterRecord } from "../model";
import type { SimState } from "../state";
import { defineJsonService, paginate, required } from "./json";

function parameterShape(state: SimState, p: ParameterRecord, requested?: string) {
  return {
    Name: p.name,
    Type: p.type,
    Value: p.value,
    Version: p.version,
    ...(requested && requested !== p.name && /:\d+$/.test(requested) ? { Selector: requested.slice(requested.lastIndexOf(":")) } : {}),
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
    GetParameters(input: { Names?: string[]; WithDecryption?: boolean }, ctx) {
      const names = input.Names ?? [];
      if (names.length < 1 || names.length > 10) {
        throw new AwsError(
          "ValidationException",
          "1 validation error detected: Value at 'names' failed to satisfy constraint: Member must have length between 1 and 10",
        );
      }
      const Parameters = [];
      const InvalidParameters = [];
      for (const name of names) {
        try {
          Parameters.push(parameterShape(ctx.state, ctx.state.ssm.get(name), name));
        } catch (e) {
          if (!(e instanceof AwsError)) throw e;
          InvalidParameters.push(name);
        }
      }
      return { Parameters, InvalidParameters };
    },
    GetParametersByPath(input: { Path?: string; Recursive?: boolean; MaxResults?: number; NextToken?: string }, ctx) {
      const path = required(input.Path, "Path", "ValidationException");
      const prefix = path.endsWith("/") ? path : `${path}/`;
      const items = [...ctx.state.ssm.parameters.values()]
        .filter((p) => p.name.startsWith(prefix) && (input.Recursive || !p.name.slice(prefix.length).includes("/")))
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      const limit = ctx.pageSize(input.MaxResults, { max: 10, errorCode: "ValidationException" });
      const { page, nextToken } = paginate(items, input.NextToken, limit, "InvalidNextToken");
      return { Parameters: page.map((p) => parameterShape(ctx.state, p)), NextToken: nextToken };
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
    DeleteParameter(input: { Name?: string }, ctx) {
      ctx.state.ssm.delete(required(input.Name, "Name", "ValidationException"));
      return {};
    },
    DeleteParameters(input: { Names?: string[] }, ctx) {
      const DeletedParameters = [];
      const InvalidParameters = [];
      for (const name of input.Names ?? []) {
        if (ctx.state.ssm.parameters.delete(name)) DeletedParameters.push(name);
        else InvalidParameters.push(name);
      }
      return { DeletedParameters, InvalidParameters };
    },
  },
});
