// The awsQuery protocol shared by RDS, ElastiCache and STS: a form-encoded POST
// `Action=...&Version=...` in, XML out wrapped in <ActionResponse><ActionResult>, errors
// as <ErrorResponse><Error><Type/Code/Message>; plus Marker paging with MaxRecords
// (20-100) and the <Tag><Key/><Value/></Tag> list both services answer.
import { AwsError } from "../errors";
import { escapeXml, renderXml, type XmlNode } from "../xml";
import { paginate } from "./paging";
import { isReadOnlyOperation, type HandlerContext, type ServiceHandler, type SimRequest, type SimResponse } from "./types";

export type QueryOperation = (params: URLSearchParams, ctx: HandlerContext, req: SimRequest) => XmlNode;

export interface QueryServiceSpec {
  /** IAM prefix and SigV4 signing name (rds, elasticache, sts). */
  service: string;
  /** Suffix of the SDK's endpoint variable (AWS_ENDPOINT_URL_<NAME>), when endpointEnv() should list it. */
  endpointEnvName?: string;
  /** API version the SDK sends (Version=...). */
  version: string;
  xmlns: string;
  operations: Record<string, QueryOperation>;
}

function errorResponse(err: AwsError, requestId: string): SimResponse {
  const type = err.status >= 500 ? "Receiver" : "Sender";
  const body =
    `<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse><Error><Type>${type}</Type><Code>${escapeXml(err.code)}</Code>` +
    `<Message>${escapeXml(err.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
  return { status: err.status, headers: { "content-type": "text/xml" }, body };
}

export function defineQueryService(spec: QueryServiceSpec): ServiceHandler {
  return {
    service: spec.service,
    route: `query:${spec.service}`,
    protocol: "query",
    ...(spec.endpointEnvName ? { endpointEnvName: spec.endpointEnvName } : {}),
    operation(req) {
      const action = new URLSearchParams(req.body.toString("utf8")).get("Action") ?? "";
      if (!Object.hasOwn(spec.operations, action)) throw new AwsError("InvalidAction", `The action ${action} is not valid for this web service.`);
      return action;
    },
    handle(op, req, ctx) {
      const params = new URLSearchParams(req.body.toString("utf8"));
      const version = params.get("Version");
      if (version !== spec.version) throw new AwsError("InvalidParameterValue", `Unsupported API version ${version ?? "(none)"}; expected ${spec.version}`);
      const result = spec.operations[op]!(params, ctx, req);
      const body =
        `<?xml version="1.0" encoding="UTF-8"?>\n<${op}Response xmlns="${spec.xmlns}"><${op}Result>${renderXml(result)}</${op}Result>` +
        `<ResponseMetadata><RequestId>${req.requestId}</RequestId></ResponseMetadata></${op}Response>`;
      return { status: 200, headers: { "content-type": "text/xml" }, body };
    },
    error: (err, req) => errorResponse(err, req.requestId),
    readOnly: isReadOnlyOperation,
    iamAction: (op) => `${spec.service}:${op}`,
  };
}

/** MaxRecords (20-100 for RDS and ElastiCache), capped by the simulator's page size. */
function maxRecords(params: URLSearchParams, ctx: HandlerContext): number {
  const raw = params.get("MaxRecords");
  const n = raw === null ? undefined : Number(raw);
  if (n !== undefined && (!Number.isInteger(n) || n < 20 || n > 100)) {
    throw new AwsError("InvalidParameterValue", `Invalid value for MaxRecords: ${raw}. Valid values are between 20 and 100.`);
  }
  return ctx.pageSize(n, { max: 100, errorCode: "InvalidParameterValue", field: "MaxRecords" });
}

/** One Marker page of `items` (the Marker is opaque to clients), MaxRecords long. */
export function markerPage<T>(items: readonly T[], params: URLSearchParams, ctx: HandlerContext): { page: T[]; marker?: string } {
  const { page, nextToken } = paginate(items, params.get("Marker") ?? undefined, maxRecords(params, ctx), "InvalidParameterValue");
  return nextToken ? { page, marker: nextToken } : { page };
}

/** `{key: value}` as the `<Tag><Key/><Value/></Tag>` list of a TagList. */
export function tagXml(tags: Record<string, string>): XmlNode {
  return { Tag: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) };
}
