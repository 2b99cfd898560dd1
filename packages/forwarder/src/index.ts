// CloudWatch RDS and ElastiCache metrics into Prometheus by remote write, with the real
// timestamps, exactly once per sample (high-water marks in S3).
export * from "./metric-sets";
export * from "./resource";
export * from "./naming";
export * from "./queries";
export * from "./metric-data";
export * from "./discovery";
export * from "./high-water";
export * from "./config";
export * from "./clients";
export * from "./forward";
export * from "./forwarder";
export * from "./metrics";
