// Amazon EC2 (the `ec2` query protocol: form-encoded POST `Action=...`, XML out, errors
// as <Response><Errors><Error>): DescribeInstances over the container instances' hosts.
import { AwsError } from "../errors";
import type { Ec2InstanceRecord } from "../model";
import { xmlDocument, type XmlNode } from "../xml";
import { paginate } from "./paging";
import { isReadOnlyOperation, type HandlerContext, type ServiceHandler, type SimRequest } from "./types";

const NS = "http://ec2.amazonaws.com/doc/2016-11-15/";

type Ec2Operation = (params: URLSearchParams, ctx: HandlerContext, req: SimRequest) => { root: string; body: XmlNode };

/** `Prefix.1`, `Prefix.2`, ... values of a query-protocol list. */
function list(params: URLSearchParams, prefix: string): string[] {
  const out: string[] = [];
  for (let i = 1; params.has(`${prefix}.${i}`); i++) out.push(params.get(`${prefix}.${i}`)!);
  return out;
}

const FILTERS: Record<string, (i: Ec2InstanceRecord) => string> = {
  "instance-id": (i) => i.instanceId,
  "private-ip-address": (i) => i.privateIp,
  "availability-zone": (i) => i.availabilityZone,
  "instance-state-name": () => "running",
  "subnet-id": (i) => i.subnetId,
  "vpc-id": (i) => i.vpcId,
};

function instanceXml(i: Ec2InstanceRecord, region: string): XmlNode {
  const dns = `ip-${i.privateIp.replace(/\./g, "-")}.${region === "us-east-1" ? "ec2.internal" : `${region}.compute.internal`}`;
  return {
    instanceId: i.instanceId,
    imageId: "ami-0abcdef1234567890",
    instanceState: { code: 16, name: "running" },
    privateDnsName: dns,
    dnsName: "",
    instanceType: i.instanceType,
    launchTime: i.launchTime,
    placement: { availabilityZone: i.availabilityZone, groupName: "", tenancy: "default" },
    monitoring: { state: "disabled" },
    subnetId: i.subnetId,
    vpcId: i.vpcId,
    privateIpAddress: i.privateIp,
    architecture: "x86_64",
    rootDeviceType: "ebs",
    rootDeviceName: "/dev/xvda",
    hypervisor: "xen",
    virtualizationType: "hvm",
    ebsOptimized: false,
    networkInterfaceSet: {
      item: { subnetId: i.subnetId, vpcId: i.vpcId, status: "in-use", privateIpAddress: i.privateIp, privateDnsName: dns, sourceDestCheck: true },
    },
  };
}

const operations: Record<string, Ec2Operation> = {
  DescribeInstances(params, ctx) {
    const ids = list(params, "InstanceId");
    const requested = params.has("MaxResults") ? Number(params.get("MaxResults")) : undefined;
    if (requested !== undefined && ids.length > 0) {
      throw new AwsError("InvalidParameterCombination", "The parameter instancesSet cannot be used with the parameter maxResults");
    }
    if (requested !== undefined && (!Number.isInteger(requested) || requested < 5 || requested > 1000)) {
      throw new AwsError(
        "InvalidParameterValue",
        `Value ( ${params.get("MaxResults")} ) for parameter maxResults is invalid. Expecting a value between 5 and 1000.`,
      );
    }
    const all = ctx.state.ecs.ec2Instances;
    let items: Ec2InstanceRecord[];
    if (ids.length > 0) {
      const missing = ids.filter((id) => !all.has(id));
      if (missing.length > 0) {
        throw new AwsError(
          "InvalidInstanceID.NotFound",
          `The instance ID${missing.length > 1 ? "s" : ""} '${missing.join(", ")}' do${missing.length > 1 ? "" : "es"} not exist`,
        );
      }
      items = ids.map((id) => all.get(id)!);
    } else items = [...all.values()];
    for (let f = 1; params.has(`Filter.${f}.Name`); f++) {
      const name = params.get(`Filter.${f}.Name`)!;
      const get = FILTERS[name];
      if (!get) throw new AwsError("InvalidParameterValue", `The filter '${name}' is invalid`);
      const values = new Set(list(params, `Filter.${f}.Value`));
      items = items.filter((i) => values.has(get(i)));
    }
    const limit = ids.length > 0 ? Math.max(items.length, 1) : ctx.pageSize(requested, { max: 1000, errorCode: "InvalidParameterValue" });
    const { page, nextToken } = paginate(items, params.get("NextToken") ?? undefined, limit, "InvalidParameterValue");
    return {
      root: "DescribeInstancesResponse",
      body: {
        reservationSet: {
          item: page.map((i) => ({
            reservationId: `r-${i.instanceId.slice(2)}`,
            ownerId: ctx.state.accountId,
            groupSet: "",
            instancesSet: { item: instanceXml(i, ctx.state.region) },
          })),
        },
        ...(nextToken ? { nextToken } : {}),
      },
    };
  },
};

export const ec2: ServiceHandler = {
  service: "ec2",
  route: "query:ec2",
  endpointEnvName: "EC2",
  protocol: "ec2",
  operation(req) {
    const action = new URLSearchParams(req.body.toString("utf8")).get("Action") ?? req.query.get("Action") ?? "";
    if (!Object.hasOwn(operations, action)) throw new AwsError("InvalidAction", `The action ${action} is not valid for this web service.`);
    return action;
  },
  handle(op, req, ctx) {
    const params = new URLSearchParams(req.body.toString("utf8"));
    const { root, body } = operations[op]!(params, ctx, req);
    return { status: 200, headers: { "content-type": "text/xml;charset=UTF-8" }, body: xmlDocument(root, { requestId: req.requestId, ...body }, NS) };
  },
  error(err, req) {
    const body = xmlDocument("Response", { Errors: { Error: { Code: err.code, Message: err.message } }, RequestID: req.requestId });
    return { status: err.status, headers: { "content-type": "text/xml;charset=UTF-8" }, body };
  },
  readOnly: isReadOnlyOperation,
  iamAction: (op) => `ec2:${op}`,
};
