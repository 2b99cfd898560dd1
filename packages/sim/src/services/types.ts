// The contract between the HTTP server and one simulated AWS service: how a request is
// routed to it, which operation it names, how it is answered and how errors and
// injected faults look in that service's wire protocol.
import type { IncomingHttpHeaders } from "node:http";
import type { AwsError } from "../errors";
import type { SimState } from "../state";

export interface SimRequest {
  method: string;
  /** Path without the query string, still percent-encoded. */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** The body, already decoded from aws-chunked framing. */
  body: Buffer;
  /** Trailing headers of an aws-chunked body (e.g. x-amz-checksum-crc32). */
  trailers: Record<string, string>;
  requestId: string;
}

export interface SimResponse {
  status: number;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

export interface PageLimitSpec {
  /** The AWS maximum for this operation's MaxResults. */
  max: number;
  /** What AWS returns when MaxResults is omitted (default: max). */
  default?: number;
  /** Error code for MaxResults out of range (default InvalidParameterException). */
  errorCode?: string;
  /** Where MaxResults came from, for the error message. */
  field?: string;
}

export interface HandlerContext {
  state: SimState;
  /** The qualified operation name, `service:Operation`. */
  key: string;
  /**
   * Page size for this call: the requested size (validated against the AWS range),
   * capped by the simulator's configured page size for the operation.
   */
  pageSize(requested: number | undefined, spec: PageLimitSpec): number;
}

/** How a service's errors look on the wire (faults.ts translates injected faults per protocol). */
export type WireProtocol = "json" | "s3" | "ec2" | "query";

export interface ServiceHandler {
  /** IAM service prefix; counters and fault rules name operations `service:Operation`. */
  service: string;
  /**
   * Registry key the server routes on: `json:<X-Amz-Target prefix>`,
   * `query:<SigV4 signing name>` or `rest:<SigV4 signing name>`.
   */
  route: string;
  protocol: WireProtocol;
  /**
   * Suffix of the SDK's endpoint variable (`SERVICEDISCOVERY` for
   * AWS_ENDPOINT_URL_SERVICEDISCOVERY); endpointEnv() lists every handler that has one.
   */
  endpointEnvName?: string;
  /** The operation a request names; throws AwsError for an unknown one. */
  operation(req: SimRequest): string;
  handle(operation: string, req: SimRequest, ctx: HandlerContext): SimResponse | Promise<SimResponse>;
  /** Renders an error in this protocol's shape. */
  error(err: AwsError, req: SimRequest): SimResponse;
  /** True for operations that only read (List*, Describe*, Get*, Head*, Discover*). */
  readOnly(operation: string): boolean;
  /** The IAM action a call needs (e.g. HeadObject needs s3:GetObject). */
  iamAction(operation: string): string;
}

export const READ_ONLY_PREFIXES = ["List", "Describe", "Get", "Head", "Discover"];
export const isReadOnlyOperation = (op: string) => READ_ONLY_PREFIXES.some((p) => op.startsWith(p));
