// The labels of a target: those Prometheus' ECS discovery (`aws_sd_configs` role `ecs`,
// discovery/aws/ecs.go) gives a task, with its names and value formats; the Cloud Map
// service's tags, sanitised as Prometheus' strutil.SanitizeLabelName does; the account and
// region of every target; and the labels that existed before, unchanged.
import { describe, expect, it } from "vitest";
import {
  applyEvent,
  buildDocument,
  buildLabels,
  ecsServiceArn,
  emptyState,
  mergeDiscovery,
  parseArn,
  recordContainerInstances,
  sanitizeLabelName,
  serviceTagLabels,
  toDiscovery,
  serializeDocument,
  validateDocument,
  type Endpoint,
  type LabelInput,
} from "../src";
import { instance, service, task } from "./fixtures";

const app: Endpoint = { role: "app", port: 8080, path: "/metrics", scheme: "http" };

function labelsOf(over: Partial<LabelInput> = {}): Record<string, string> {
  const svc = service("web", { METRICS_PORT: "8080" }, [], {});
  return buildLabels({
    namespace: svc.namespace,
    service: svc.service,
    instance: instance("aaa", "10.0.0.3"),
    task: task("aaa"),
    endpoint: app,
    ip: "10.0.0.3",
    port: 8080,
    ...over,
  });
}

describe("labels carried over from Prometheus' ECS discovery", () => {
  it("an awsvpc (Fargate) task: every label ecs.go emits that the task's facts hold, in its format", () => {
    const t = task("aaa", {
      group: "service:web",
      platformFamily: "Linux",
      platformVersion: "1.4.0",
      subnetId: "subnet-0abc",
      taskIp: "10.0.0.3",
    });
    const labels = labelsOf({ task: t });
    expect(labels).toMatchObject({
      __meta_ecs_cluster: "prod", // the cluster's name, not its ARN
      __meta_ecs_cluster_arn: "arn:aws:ecs:eu-west-1:123456789012:cluster/prod",
      __meta_ecs_service: "web",
      __meta_ecs_service_arn: "arn:aws:ecs:eu-west-1:123456789012:service/prod/web",
      __meta_ecs_task_group: "service:web",
      __meta_ecs_task_arn: "arn:aws:ecs:eu-west-1:123456789012:task/prod/aaa",
      __meta_ecs_task_definition: "arn:aws:ecs:eu-west-1:123456789012:task-definition/web:7", // the ARN, not family:revision
      __meta_ecs_region: "eu-west-1",
      __meta_ecs_availability_zone: "eu-west-1a",
      __meta_ecs_subnet_id: "subnet-0abc",
      __meta_ecs_ip_address: "10.0.0.3",
      __meta_ecs_launch_type: "FARGATE",
      __meta_ecs_platform_family: "Linux",
      __meta_ecs_platform_version: "1.4.0",
      __meta_ecs_network_mode: "awsvpc",
    });
    // Scraped at its ENI: no EC2 host labels.
    expect(labels.__meta_ecs_ec2_instance_private_ip).toBeUndefined();
    expect(labels.__meta_ecs_container_instance_arn).toBeUndefined();
  });

  it("a bridge task on EC2: scraped at its instance's private IP, which is also __meta_ecs_ec2_instance_private_ip", () => {
    const ci = "arn:aws:ecs:eu-west-1:123456789012:container-instance/prod/0f1e";
    const t = task("bbb", {
      launchType: "EC2",
      networkMode: "bridge",
      taskIp: undefined,
      hostIp: "10.0.9.9",
      containerInstanceArn: ci,
      ec2InstanceId: "i-0123456789abcdef0",
      bindings: [{ containerPort: 8080, hostPort: 32768 }],
    });
    const labels = labelsOf({ task: t, instance: instance("bbb", "10.0.9.9"), ip: "10.0.9.9", port: 32768 });
    expect(labels).toMatchObject({
      __meta_ecs_ip_address: "10.0.9.9",
      __meta_ecs_ec2_instance_private_ip: "10.0.9.9",
      __meta_ecs_container_instance_arn: ci,
      __meta_ecs_ec2_instance_id: "i-0123456789abcdef0",
      __meta_ecs_launch_type: "EC2",
      __meta_ecs_network_mode: "bridge",
      instance: "10.0.9.9:32768",
    });
    // Prometheus takes a bridge task's subnet from DescribeInstances; the reconciler keeps only the instance's IP, id and type.
    expect(labels.__meta_ecs_subnet_id).toBeUndefined();
    expect(labels.__meta_ecs_platform_version).toBeUndefined();
    // The instance type only when the state's container-instance cache knows it (toDiscovery).
    expect(labels.__meta_ecs_ec2_instance_type).toBeUndefined();
    expect(labelsOf({ task: { ...t, ec2InstanceType: "m5.large" }, ip: "10.0.9.9", port: 32768 }).__meta_ecs_ec2_instance_type).toBe("m5.large");
  });

  it("facts stored before `group` was kept: the group of a service task is service:NAME; a standalone task has none", () => {
    expect(labelsOf({ task: task("aaa", { group: undefined }) }).__meta_ecs_task_group).toBe("service:web");
    const standalone = labelsOf({ task: task("aaa", { group: undefined, serviceName: undefined }) });
    expect(standalone.__meta_ecs_task_group).toBeUndefined();
    expect(standalone.__meta_ecs_service).toBeUndefined();
    expect(standalone.__meta_ecs_service_arn).toBeUndefined();
    expect(labelsOf({ task: task("aaa", { group: "family:batch", serviceName: undefined }) }).__meta_ecs_task_group).toBe("family:batch");
  });

  it("leaves out what changes often (health, last and desired status), however the facts hold them", () => {
    const labels = labelsOf({ task: task("aaa", { healthStatus: "UNHEALTHY", lastStatus: "RUNNING", desiredStatus: "RUNNING" }) });
    const names = Object.keys(labels).join(" ");
    expect(names).not.toMatch(/health|last_status|desired_status|service_status/);
  });

  it("a target that is not an ECS task gets no __meta_ecs_* label of ECS discovery, but its account and region", () => {
    const labels = labelsOf({ task: undefined, instance: instance("pg-1", "10.0.200.10", false), ip: "10.0.200.10" });
    expect(Object.keys(labels).filter((k) => k.startsWith("__meta_ecs_"))).toEqual(["__meta_ecs_container_port", "__meta_ecs_endpoint"]);
    expect(labels).toMatchObject({ __meta_cloudmap_account_id: "123456789012", __meta_cloudmap_region: "eu-west-1" });
  });

  it("the service ARN is built in AWS's long format, in the cluster's partition", () => {
    expect(ecsServiceArn("arn:aws:ecs:us-east-1:123456789012:cluster/prod-web", "search")).toBe("arn:aws:ecs:us-east-1:123456789012:service/prod-web/search");
    expect(ecsServiceArn("arn:aws-cn:ecs:cn-north-1:123456789012:cluster/c", "s")).toBe("arn:aws-cn:ecs:cn-north-1:123456789012:service/c/s");
    expect(ecsServiceArn("prod-web", "search")).toBeUndefined();
    expect(ecsServiceArn("arn:aws:ecs:us-east-1:123456789012:task/prod-web/abc", "search")).toBeUndefined();
  });

  it("parses an ARN into partition, service, region, account and resource", () => {
    expect(parseArn("arn:aws-us-gov:servicediscovery:us-gov-west-1:210987654321:service/srv-abc")).toEqual({
      partition: "aws-us-gov",
      service: "servicediscovery",
      region: "us-gov-west-1",
      account: "210987654321",
      resource: "service/srv-abc",
    });
    expect(parseArn("srv-abc")).toBeUndefined();
  });
});

describe("account and region of every target", () => {
  it("come from the Cloud Map service's ARN, ECS task or not", () => {
    const svc = service("web", { METRICS_PORT: "8080" }, [], {});
    svc.service.arn = "arn:aws:servicediscovery:ap-southeast-2:210987654321:service/srv-web";
    const labels = labelsOf({ service: svc.service, task: undefined, instance: instance("x", "10.1.1.1", false), ip: "10.1.1.1" });
    expect(labels.__meta_cloudmap_account_id).toBe("210987654321");
    expect(labels.__meta_cloudmap_region).toBe("ap-southeast-2");
  });
});

describe("Cloud Map service tags as __meta_cloudmap_service_tag_<name>", () => {
  it.each([
    // strutil.SanitizeLabelName's own cases (util/strutil/strconv_test.go)
    ["fooClientLABEL", "fooClientLABEL"],
    ["barClient.LABEL$$##", "barClient_LABEL____"],
    ["123label", "123label"],
    ["my-label-name", "my_label_name"],
    ["my label name", "my_label_name"],
    ["Test123Label456", "Test123Label456"],
    ["test-ñ-ü-label", "test_____label"],
    ["", ""],
    ["___", "___"],
    ["namespace:metric_name", "namespace_metric_name"],
    // one "_" per character (Go replaces per rune), also outside the BMP
    ["aws:cloudformation:stack-name", "aws_cloudformation_stack_name"],
    ["team😀", "team_"],
  ])("sanitises %j as Prometheus does: %j", (name, want) => {
    expect(sanitizeLabelName(name)).toBe(want);
  });

  it("emits every tag with a value, opt-in tags included, and leaves out empty values", () => {
    expect(serviceTagLabels({ METRICS_PORT: "8080", team: "web", "cost-center": "42", empty: "" })).toEqual({
      __meta_cloudmap_service_tag_METRICS_PORT: "8080",
      __meta_cloudmap_service_tag_team: "web",
      __meta_cloudmap_service_tag_cost_center: "42",
    });
  });

  it("two tags that sanitise to one name: the name needing no sanitising wins, else the first in code-unit order, whatever the tags' order", () => {
    const orders = [
      { "team-name": "dash", team_name: "underscore", "team.name": "dot" },
      { team_name: "underscore", "team.name": "dot", "team-name": "dash" },
      { "team.name": "dot", "team-name": "dash", team_name: "underscore" },
    ];
    for (const tags of orders) expect(serviceTagLabels(tags)).toEqual({ __meta_cloudmap_service_tag_team_name: "underscore" });
    for (const tags of [
      { "team.name": "dot", "team-name": "dash" },
      { "team-name": "dash", "team.name": "dot" },
    ]) {
      // "-" (0x2d) sorts before "." (0x2e)
      expect(serviceTagLabels(tags)).toEqual({ __meta_cloudmap_service_tag_team_name: "dash" });
    }
    // An empty value is no label, so it does not win either.
    expect(serviceTagLabels({ team_name: "", "team-name": "dash" })).toEqual({ __meta_cloudmap_service_tag_team_name: "dash" });
  });

  it("the document stays valid with any tag name", () => {
    const tags = { METRICS_PORT: "8080", "ünïcödé key": "v", "a/b=c+d@e": "w", "": "empty-name" };
    const svc = service("web", tags, [instance("aaa", "10.0.0.3")], { aaa: task("aaa") });
    const doc = buildDocument({ services: [svc], failed: [], servicesSeen: 1, namespacesSeen: 1 }, undefined).document;
    expect(() => validateDocument(doc)).not.toThrow();
    expect(doc[0]!.labels).toMatchObject({
      __meta_cloudmap_service_tag__n_c_d__key: "v",
      __meta_cloudmap_service_tag_a_b_c_d_e: "w",
      __meta_cloudmap_service_tag_: "empty-name",
    });
  });
});

describe("the labels that existed before keep their names and values", () => {
  it("the full set of earlier labels of an awsvpc task is unchanged; only labels were added", () => {
    const labels = labelsOf({ task: task("aaa", { group: "service:web", subnetId: "subnet-1", platformVersion: "1.4.0" }) });
    const before = {
      cluster: "prod",
      service: "web",
      taskdefinition: "web:7",
      namespace: "internal.local",
      taskid: "aaa",
      instance: "10.0.0.3:8080",
      __metrics_path__: "/metrics",
      __scheme__: "http",
      __meta_ecs_endpoint: "app",
      __meta_ecs_container_port: "8080",
      __meta_ecs_cluster_arn: "arn:aws:ecs:eu-west-1:123456789012:cluster/prod",
      __meta_ecs_task_arn: "arn:aws:ecs:eu-west-1:123456789012:task/prod/aaa",
      __meta_ecs_task_definition_arn: "arn:aws:ecs:eu-west-1:123456789012:task-definition/web:7",
      __meta_ecs_task_definition_family: "web",
      __meta_ecs_task_definition_revision: "7",
      __meta_ecs_launch_type: "FARGATE",
      __meta_ecs_availability_zone: "eu-west-1a",
      __meta_ecs_network_mode: "awsvpc",
      __meta_cloudmap_namespace_id: "ns-1",
      __meta_cloudmap_namespace_name: "internal.local",
      __meta_cloudmap_namespace_type: "DNS_PRIVATE",
      __meta_cloudmap_service_id: "srv-web",
      __meta_cloudmap_service_name: "web",
      __meta_cloudmap_instance_id: "aaa",
    };
    expect(labels).toMatchObject(before);
    const added = Object.keys(labels)
      .filter((k) => !(k in before))
      .sort();
    expect(added).toEqual([
      "__meta_cloudmap_account_id",
      "__meta_cloudmap_region",
      "__meta_cloudmap_service_tag_METRICS_PORT",
      "__meta_ecs_cluster",
      "__meta_ecs_ip_address",
      "__meta_ecs_platform_version",
      "__meta_ecs_region",
      "__meta_ecs_service",
      "__meta_ecs_service_arn",
      "__meta_ecs_subnet_id",
      "__meta_ecs_task_definition",
      "__meta_ecs_task_group",
    ]);
  });
});

describe("the state's facts give the same labels as a fresh discovery", () => {
  it("a task kept in the state before group, platform and subnet were kept still gets the group; a full reconcile fills in the rest", () => {
    const T0 = new Date("2026-11-25T10:00:00Z");
    const fresh = task("aaa", { group: "service:web", platformFamily: "Linux", platformVersion: "1.4.0", subnetId: "subnet-1", version: 3 });
    const { group: _g, platformFamily: _f, platformVersion: _v, subnetId: _s, ...old } = fresh;
    const web = (t: typeof fresh) => service("web", { METRICS_PORT: "8080" }, [instance("aaa", "10.0.0.3")], { aaa: t });
    const d = (t: typeof fresh) => ({ services: [web(t)], failed: [], servicesSeen: 1, namespacesSeen: 1 });
    const stored = mergeDiscovery(emptyState(T0), d(old), T0, T0);
    const before = buildDocument(toDiscovery(stored), undefined).document[0]!.labels;
    expect(before.__meta_ecs_task_group).toBe("service:web");
    expect(before.__meta_ecs_subnet_id).toBeUndefined();
    // The next full reconcile, same task version: its newer facts replace the stored ones.
    const merged = mergeDiscovery(stored, d(fresh), T0, T0);
    expect(buildDocument(toDiscovery(merged), undefined).document).toEqual(buildDocument(d(fresh), undefined).document);
  });

  it("a bridge task applied from its event (host IP and instance type from the container-instance lookup) gets the labels a full reconcile gives it", () => {
    const T0 = new Date("2026-11-25T10:00:00Z");
    const ci = "arn:aws:ecs:eu-west-1:123456789012:container-instance/prod/0f1e";
    const bridge = { launchType: "EC2", networkMode: "bridge", taskIp: undefined, containerInstanceArn: ci, group: "service:web" };
    const bindings = [{ containerPort: 8080, hostPort: 32768, protocol: "tcp", containerName: "web" }];
    // The full discovery: the host IP and EC2 instance id from Cloud Map's attributes.
    const registered = instance("bbb", "10.0.9.9");
    registered.attributes.EC2_INSTANCE_ID = "i-0123456789abcdef0";
    const discovered = { ...task("bbb", { ...bridge, bindings }), version: 2 };
    const d = { services: [service("web", { METRICS_PORT: "8080" }, [registered], { bbb: discovered })], failed: [], servicesSeen: 1, namespacesSeen: 1 };
    // The event path: a state without the task, its container instance already looked up.
    const s = mergeDiscovery(emptyState(T0), { ...d, services: [service("web", { METRICS_PORT: "8080" }, [], {})] }, T0, T0);
    s.registries["prod/web"] = ["srv-web"];
    s.containerInstances[ci] = { ip: "10.0.9.9", ec2InstanceId: "i-0123456789abcdef0", instanceType: "c6g.large" };
    s.taskDefinitions[discovered.taskDefinitionArn] = "bridge";
    const outcome = applyEvent(s, { kind: "task", eventId: "e", time: "2026-11-25T10:01:00Z", facts: { ...task("bbb", { ...bridge, bindings }), version: 2 } });
    expect(outcome).toBe("applied");
    const fromEvent = buildDocument(toDiscovery(s), undefined).document;
    expect(fromEvent[0]!.labels).toMatchObject({
      __meta_ecs_ec2_instance_private_ip: "10.0.9.9",
      __meta_ecs_ip_address: "10.0.9.9",
      __meta_ecs_ec2_instance_type: "c6g.large",
      instance: "10.0.9.9:32768",
    });
    // The full reconcile: the discovery merged, the container instance it read recorded.
    const full = mergeDiscovery(emptyState(T0), d, T0, T0);
    recordContainerInstances(full, { [ci]: { ip: "10.0.9.9", ec2InstanceId: "i-0123456789abcdef0", instanceType: "c6g.large" } });
    expect(serializeDocument(fromEvent)).toBe(serializeDocument(buildDocument(toDiscovery(full), undefined).document));
  });
});
