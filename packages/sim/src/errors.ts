// The AWS-style error that state mutations and service handlers throw. Each protocol
// handler turns it into that protocol's wire error shape (JSON `__type`, S3 XML, EC2 XML,
// awsQuery <ErrorResponse>).

export class AwsError extends Error {
  override name = "AwsError";
  /**
   * @param code the AWS error code the SDK maps to an exception name (e.g. `ServiceNotFound`)
   * @param message human-readable message
   * @param status HTTP status code (400 unless the API says otherwise)
   */
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}
