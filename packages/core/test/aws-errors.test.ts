// The one AWS error classifier: each kind from the shapes the SDK v3 really throws (name,
// $metadata.httpStatusCode, Node's network codes), through a wrapping cause.
import { describe, expect, it } from "vitest";
import { awsErrorKind, DiscoveryError, isNotFound, rootCause } from "../src";

function sdkError(name: string, status?: number, message = name): Error {
  const e = new Error(message) as Error & { $metadata?: { httpStatusCode?: number } };
  e.name = name;
  if (status !== undefined) e.$metadata = { httpStatusCode: status };
  return e;
}

function netError(code: string, message = `connect ${code} 127.0.0.1:1`): Error {
  return Object.assign(new Error(message), { code });
}

describe("awsErrorKind", () => {
  it.each([
    [sdkError("Unknown", 304), "not_modified"],
    [sdkError("CredentialsProviderError", undefined, "Could not load credentials from any providers"), "credentials_missing"],
    [sdkError("Error", undefined, "Region is missing"), "region_missing"],
    [sdkError("InvalidAccessKeyId", 403), "credentials_rejected"],
    [sdkError("ExpiredTokenException", 400), "credentials_rejected"],
    [sdkError("TimeoutError"), "timeout"],
    [netError("ETIMEDOUT"), "timeout"],
    [sdkError("NoSuchKey", 404), "not_found"],
    [sdkError("NotFound", 404), "not_found"],
    [sdkError("ParameterNotFound", 400), "not_found"],
    [sdkError("ServiceNotFound", 400), "not_found"],
    [sdkError("NamespaceNotFound", 400), "not_found"],
    [sdkError("DBInstanceNotFoundFault", 404), "not_found"],
    [sdkError("CacheClusterNotFoundFault", 404), "not_found"],
    [sdkError("PreconditionFailed", 412), "conflict"],
    [sdkError("ConditionalRequestConflict", 409), "conflict"],
    [sdkError("AccessDeniedException", 400), "access_denied"],
    [sdkError("UnauthorizedOperation", 403), "access_denied"],
    [sdkError("Forbidden", 403), "access_denied"],
    [sdkError("ThrottlingException", 400), "throttled"],
    [sdkError("SlowDown", 503), "throttled"],
    [sdkError("RequestLimitExceeded", 503), "throttled"],
    [sdkError("TooManyRequestsException", 429), "throttled"],
    [netError("ECONNREFUSED"), "unreachable"],
    [netError("EAI_AGAIN", "getaddrinfo EAI_AGAIN s3.amazonaws.com"), "unreachable"],
    [new Error("socket hang up"), "unreachable"],
    [sdkError("ValidationException", 400), "other"],
    ["a string", "other"],
    [undefined, "other"],
  ] as const)("%s -> %s", (err, kind) => {
    expect(awsErrorKind(err)).toBe(kind);
  });

  it("classifies the root cause of a typed error that wraps the SDK's", () => {
    const wrapped = new DiscoveryError("servicediscovery:ListNamespaces", "listing failed", sdkError("AccessDeniedException", 400));
    expect(rootCause(wrapped)).toMatchObject({ name: "AccessDeniedException" });
    expect(awsErrorKind(wrapped)).toBe("access_denied");
  });

  it("isNotFound is true only for absence", () => {
    expect(isNotFound(sdkError("NoSuchKey", 404))).toBe(true);
    expect(isNotFound(sdkError("AccessDenied", 403))).toBe(false);
    expect(isNotFound(sdkError("NoSuchBucket", 404))).toBe(true);
  });
});
