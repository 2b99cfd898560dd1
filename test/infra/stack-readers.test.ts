// sst.config.ts for a stage whose published document is read from other accounts
// (`readers`, configured through SCRAPE_RECONCILER_CONFIG, with keys of its own): the
// bucket policy keeps SST's TLS-only deny and adds one grant, s3:GetObject on the
// document object for the readers' roles, and nothing else: not the state objects, not
// the bucket (no ListBucket), not older versions, not the manifest parameter. Own process
// (vitest forks), so its Pulumi runtime is fresh. Skips when .sst/platform is absent.
import { beforeAll, describe, expect, it } from "vitest";
import { CONFIG_ENV } from "../../infra/config";
import { ACCOUNT, platformAvailable, REGION, runStack, type StackRun } from "./sst-harness";

const READERS = [
  "arn:aws:iam::999999999999:role/prometheus-central",
  "arn:aws:iam::444455556666:role/monitoring/prometheus-reader",
  // A second role of the same account: one principal, two roles in the condition.
  "arn:aws:iam::999999999999:role/prometheus-staging",
];
const DOC_KEY = "sd/prod/ecs.json";
const STATE_KEY = "sd/prod/state.json";
const FWD_KEY = "sd/prod/forwarder.json";

type Stmt = { Effect: string; Action: string[]; Resource: string[]; Principal?: unknown; Condition?: unknown };

describe.skipIf(!platformAvailable())("sst.config.ts, stage central-read: readers in other accounts", () => {
  let s: StackRun;
  let bucketArn: string;
  let statements: Stmt[];
  beforeAll(async () => {
    process.env[CONFIG_ENV] = JSON.stringify({
      readers: READERS,
      document: { key: DOC_KEY, stateKey: STATE_KEY, forwardStateKey: FWD_KEY },
      amp: { remoteWriteUrl: "https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-1/api/v1/remote_write" },
    });
    try {
      s = await runStack("central-read");
    } finally {
      delete process.env[CONFIG_ENV];
    }
    bucketArn = s.one("aws:s3/bucket:Bucket", "TargetsBucket").state.arn;
    statements = JSON.parse(s.one("aws:s3/bucketPolicy:BucketPolicy", "TargetsPolicy").inputs.policy).Statement;
  }, 120_000);

  it("the bucket policy is the TLS-only deny, then GetObject on the document, its index and shards for the readers' roles", () => {
    expect(statements).toEqual([
      {
        Effect: "Deny",
        Action: ["s3:*"],
        Resource: [bucketArn, `${bucketArn}/*`],
        Principal: { "*": ["*"] },
        Condition: { Bool: { "aws:SecureTransport": ["false"] } },
      },
      {
        Effect: "Allow",
        Action: ["s3:GetObject"],
        Resource: [`${bucketArn}/${DOC_KEY}`, `${bucketArn}/sd/prod/ecs.index.json`, `${bucketArn}/sd/prod/ecs.shards/*`],
        Principal: { AWS: ["arn:aws:iam::444455556666:root", "arn:aws:iam::999999999999:root"] },
        Condition: { ArnEquals: { "aws:PrincipalArn": READERS } },
      },
    ]);
  });

  it("grants nothing else: no state object, no bucket listing, no version or write, no wildcard but the shard prefix", () => {
    const allows = statements.filter((st) => st.Effect === "Allow");
    const granted = allows.flatMap((st) => st.Resource);
    expect(granted).toEqual([`${bucketArn}/${DOC_KEY}`, `${bucketArn}/sd/prod/ecs.index.json`, `${bucketArn}/sd/prod/ecs.shards/*`]);
    for (const key of [STATE_KEY, FWD_KEY]) expect(JSON.stringify(allows)).not.toContain(key);
    // The one wildcard is the shard objects' prefix (content-addressed keys): nothing else.
    expect(granted.some((r) => r === bucketArn || (r.includes("*") && r !== `${bucketArn}/sd/prod/ecs.shards/*`))).toBe(false);
    expect(allows.flatMap((st) => st.Action)).toEqual(["s3:GetObject"]);
    // Never the account itself or anyone: only the readers' accounts, narrowed to their roles.
    expect(JSON.stringify(allows)).not.toContain(`${ACCOUNT}:root`);
    expect(allows.map((st) => st.Principal)).not.toContainEqual({ "*": ["*"] });
  });

  it("the manifest parameter is never shared: no SSM parameter, no RAM share; nothing in the bucket policy names it", () => {
    expect(s.byType("aws:ssm/parameter:Parameter")).toEqual([]);
    expect(s.resources.filter((r) => r.type.startsWith("aws:ram/"))).toEqual([]);
    expect(JSON.stringify(statements)).not.toContain("ssm");
    expect(JSON.stringify(statements)).not.toContain("manifest");
  });

  it("the grant does not weaken the bucket: all four public-access blocks (the policy is not public), ACLs off, SSE-S3", () => {
    expect(s.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "TargetsPublicAccessBlock").inputs).toMatchObject({
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    expect(s.one("aws:s3/bucketOwnershipControls:BucketOwnershipControls", "TargetsOwnership").inputs.rule).toEqual({
      objectOwnership: "BucketOwnerEnforced",
    });
    const sse = s.one("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "TargetsEncryption").inputs;
    expect(sse.rules[0].applyServerSideEncryptionByDefault).toEqual({ sseAlgorithm: "AES256" });
  });

  it("outputs what the readers need: the document's ARN and the sidecar source with its region", () => {
    const bucket = bucketArn.replace("arn:aws:s3:::", "");
    expect(s.outputs).toMatchObject({
      bucket,
      documentKey: DOC_KEY,
      documentArn: `${bucketArn}/${DOC_KEY}`,
      documentSource: `s3://${bucket}/${DOC_KEY}?region=${REGION}`,
    });
  });

  it("the Prometheus read policy of the account's own task role is unchanged by readers", () => {
    const policy = JSON.parse(s.one("aws:iam/policy:Policy", "PrometheusRead").inputs.policy);
    expect(policy.Statement.flatMap((st: Stmt) => st.Action)).toEqual(["s3:GetObject", "s3:ListBucket", "ssm:GetParameter"]);
  });
});

describe.skipIf(!platformAvailable())("sst.config.ts with invalid readers", () => {
  it("stops before any resource with the configuration error, one line per bad reader", async () => {
    process.env[CONFIG_ENV] = JSON.stringify({ readers: ["arn:aws:iam::999999999999:root", "arn:aws:iam::999999999999:role/*"] });
    try {
      const err = await runStack("bad-readers").then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      expect(err?.message.split("\n")).toEqual([
        `${CONFIG_ENV}: readers[0]: an account root is not accepted: name the reader role, arn:aws:iam::ACCOUNT:role/NAME (a root would let every principal of that account its administrators allow read the document)`,
        `${CONFIG_ENV}: readers[1]: expected an IAM role ARN, arn:aws:iam::ACCOUNT:role/NAME or arn:aws:iam::ACCOUNT:role/PATH/NAME (no wildcard, user or assumed-role ARN)`,
      ]);
    } finally {
      delete process.env[CONFIG_ENV];
    }
  }, 120_000);
});
