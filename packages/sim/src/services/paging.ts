// Opaque token paging, shared by every protocol: Cloud Map's and CloudWatch's
// NextToken, EC2's NextToken and the awsQuery Marker all page a list the same way.
import { AwsError } from "../errors";

/** One page of `items` after `token` (opaque to clients); an invalid token throws `errorCode`. */
export function paginate<T>(
  items: readonly T[],
  token: string | undefined,
  limit: number,
  errorCode = "InvalidParameterException",
): { page: T[]; nextToken?: string } {
  let offset = 0;
  if (token) {
    try {
      const parsed = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as { o?: unknown };
      if (typeof parsed.o !== "number" || !Number.isInteger(parsed.o) || parsed.o < 0) throw new Error("bad");
      offset = parsed.o;
    } catch {
      throw new AwsError(errorCode, "The specified NextToken is not valid.");
    }
  }
  const page = items.slice(offset, offset + limit);
  const next = offset + limit;
  return next < items.length ? { page, nextToken: Buffer.from(JSON.stringify({ o: next })).toString("base64url") } : { page };
}
