// STS part of the account: the temporary sessions sts:AssumeRole hands out (services/sts.ts
// answers the API from here). Any role ARN can be assumed (there is no IAM here; a test
// refuses a role with the fault injector's `deny: { "sts:AssumeRole": ... }`). The server
// refuses a call signed with a session key once the session has expired (simulator clock)
// or was revoked, as AWS does; keys this store never issued are not checked.
import { createHash } from "node:crypto";
import type { IdSource } from "../ids";
import type { StsSessionRecord } from "../model";

export interface AssumeRoleInput {
  roleArn: string;
  sessionName: string;
  durationSeconds: number;
  externalId?: string;
}

/** Upper-case base-32 style characters from a hex digest (AWS key ids are [A-Z2-7]). */
function keyChars(hex: string, n: number): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let out = "";
  for (let i = 0; out.length < n; i++) out += alphabet[parseInt(hex.slice(i * 2, i * 2 + 2), 16) % 32];
  return out;
}

export class StsStore {
  /** Every session issued, by access key id. */
  readonly sessions = new Map<string, StsSessionRecord>();

  constructor(
    private readonly ids: IdSource,
    private readonly now: () => Date,
  ) {}

  assumeRole(input: AssumeRoleInput): StsSessionRecord {
    const issuedAt = this.now();
    const account = /^arn:[^:]+:iam::(\d{12}):role\//.exec(input.roleArn)?.[1] ?? "000000000000";
    const roleName = input.roleArn.slice(input.roleArn.lastIndexOf("/") + 1);
    const roleId = `AROA${keyChars(createHash("sha256").update(input.roleArn).digest("hex"), 17)}`;
    const secret = this.ids.hex32("sts-secret") + this.ids.hex32("sts-secret");
    const rec: StsSessionRecord = {
      accessKeyId: `ASIA${keyChars(this.ids.hex32("sts-key"), 16)}`,
      secretAccessKey: Buffer.from(secret, "hex").toString("base64").slice(0, 40),
      sessionToken: Buffer.from(this.ids.hex32("sts-token") + this.ids.hex32("sts-token"), "hex").toString("base64"),
      roleArn: input.roleArn,
      sessionName: input.sessionName,
      ...(input.externalId !== undefined ? { externalId: input.externalId } : {}),
      assumedRoleId: `${roleId}:${input.sessionName}`,
      arn: `arn:aws:sts::${account}:assumed-role/${roleName}/${input.sessionName}`,
      issuedAt,
      expiration: new Date(issuedAt.getTime() + input.durationSeconds * 1000),
      revoked: false,
    };
    this.sessions.set(rec.accessKeyId, rec);
    return rec;
  }

  /**
   * Revokes the sessions issued so far (of one role, when given), as IAM's "Revoke active
   * sessions": calls signed with them are denied; sessions issued later work. Returns how many.
   */
  revokeSessions(roleArn?: string): number {
    let n = 0;
    for (const s of this.sessions.values()) {
      if (s.revoked || (roleArn !== undefined && s.roleArn !== roleArn)) continue;
      s.revoked = true;
      n++;
    }
    return n;
  }

  /** Why a call signed with `accessKeyId` is refused (an expired or revoked session), or undefined. */
  refusal(accessKeyId: string | undefined): "expired" | "revoked" | undefined {
    const s = accessKeyId ? this.sessions.get(accessKeyId) : undefined;
    if (!s) return undefined;
    if (s.revoked) return "revoked";
    return s.expiration.getTime() <= this.now().getTime() ? "expired" : undefined;
  }
}
