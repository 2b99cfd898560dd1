import { describe, expect, it } from "vitest";
import {
  buildDocument,
  diffDocuments,
  formatDiff,
  parseDocument,
  parseEndpoints,
  resolveAddress,
  serializeDocument,
  sha256Hex,
  validateDocument,
  DocumentValidationError,
  type Discovery,
} from "../src";
import { instance, service, task } from "./fixtures";

describe("parseEndpoints (opt-in tags)", () => {
  it("is not opted in without METRICS_PORT", () => {
    expect(parseEndpoints({ METRICS_PATH: "/m" })).toEqual({ optedIn: false, endpoints: [], problems: [] });
  });
  it("defaults the path to /metrics and the scheme to http", () => {
    expect(parseEndpoints({ METRICS_PORT: "8080" }).endpoints).toEqual([{ role: "app", port: 8080, path: "/metrics", scheme: "http" }]);
  });
  it("aligns a path list with a port list and adds the infra endpoint", () => {
    const r = parseEndpoints({ METRICS_PORT: "8080, 9102", METRICS_PATH: "/a,/b", ECS_METRICS_PORT: "9000", METRICS_SCHEME: "HTTPS" });
    expect(r.problems).toEqual([]);
    expect(r.endpoints).toEqual([
      { role: "app", port: 8080, path: "/a", scheme: "https" },
      { role: "app", port: 9102, path: "/b", scheme: "https" },
      { role: "infra", port: 9000, path: "/metrics", scheme: "https" },
    ]);
  });
  it.each([
    ["abc", /not a number/],
    ["0", /outside 1-65535/],
    ["70000", /outside 1-65535/],
    ["-1", /not a number/],
  ])("skips port %s and reports it, keeping the other ports", (bad, reason) => {
    const r = parseEndpoints({ METRICS_PORT: `8080,${bad}` });
    expect(r.endpoints.map((e) => e.port)).toEqual([8080]);
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]?.tag).toBe("METRICS_PORT");
    expect(r.problems[0]?.reason).toMatch(reason);
  });
  it("skips a path that does not start with / and reports it", () => {
    const r = parseEndpoints({ METRICS_PORT: "8080", METRICS_PATH: "metrics", ECS_METRICS_PORT: "9000" });
    expect(r.endpoints).toEqual([{ role: "infra", port: 9000, path: "/metrics", scheme: "http" }]);
    expect(r.problems[0]).toMatchObject({ tag: "METRICS_PATH", value: "metrics" });
  });
  it("reports a path list that does not align and keeps the aligned endpoints", () => {
    const r = parseEndpoints({ METRICS_PORT: "1,2,3", METRICS_PATH: "/a,/b" });
    expect(r.endpoints.map((e) => e.port)).toEqual([1, 2]);
    expect(r.problems[0]?.reason).toMatch(/2 paths for 3 ports/);
  });
  it("rejects a bad scheme without throwing", () => {
    const r = parseEndpoints({ METRICS_PORT: "8080", METRICS_SCHEME: "ftp" });
    expect(r.endpoints).toEqual([]);
    expect(r.problems[0]?.tag).toBe("METRICS_SCHEME");
  });
});

describe("resolveAddress", () => {
  const ep = { role: "app" as const, port: 8080, path: "/metrics", scheme: "http" as const };
  it("uses the ENI IP and the container port for awsvpc", () => {
    expect(resolveAddress(instance("t1", "10.9.9.9"), task("t1", { taskIp: "10.1.2.3" }), ep)).toEqual({ ok: true, ip: "10.1.2.3", port: 8080 });
  });
  it("uses the host IP and the bound host port for bridge mode", () => {
    const t = task("t1", {
      networkMode: "bridge",
      taskIp: undefined,
      hostIp: "10.0.5.5",
      bindings: [{ containerPort: 8080, hostPort: 32770, protocol: "tcp" }],
    });
    expect(resolveAddress(instance("t1", "10.0.5.5"), t, ep)).toEqual({ ok: true, ip: "10.0.5.5", port: 32770 });
  });
  it("falls back to the registered IP for bridge mode when the host IP is unknown", () => {
    const t = task("t1", { networkMode: "bridge", taskIp: undefined, bindings: [{ containerPort: 8080, hostPort: 32771 }] });
    expect(resolveAddress(instance("t1", "10.0.5.6"), t, ep)).toEqual({ ok: true, ip: "10.0.5.6", port: 32771 });
  });
  it("reports a bridge task with no binding for the port", () => {
    const t = task("t1", { networkMode: "bridge", taskIp: undefined, hostIp: "10.0.5.5", bindings: [] });
    const r = resolveAddress(instance("t1", "10.0.5.5"), t, ep);
    expect(r).toMatchObject({ ok: false });
  });
  it("uses the same port in host mode", () => {
    const t = task("t1", { networkMode: "host", taskIp: undefined, hostIp: "10.0.5.5", bindings: [] });
    expect(resolveAddress(instance("t1", "10.0.5.5"), t, ep)).toEqual({ ok: true, ip: "10.0.5.5", port: 8080 });
  });
});

function discovery(services: Discovery["services"], failed: Discovery["failed"] = []): Discovery {
  return { services, failed, servicesSeen: services.length, namespacesSeen: 1 };
}

describe("buildDocument", () => {
  const tasks = { aaa: task("aaa", { taskIp: "10.0.0.1" }), bbb: task("bbb", { taskIp: "10.0.0.2" }) };
  const web = service("web", { METRICS_PORT: "8080", ECS_METRICS_PORT: "9000" }, [instance("aaa", "10.0.0.1"), instance("bbb", "10.0.0.2")], tasks);

  it("makes one group per target with a unique instance label and the compatibility labels", () => {
    const { document } = buildDocument(discovery([web]), undefined);
    expect(document).toHaveLength(4);
    const instances = document.map((g) => g.labels.instance);
    expect(new Set(instances).size).toBe(4);
    expect(document.every((g) => g.targets.length === 1 && g.targets[0] === g.labels.instance)).toBe(true);
    const g = document.find((x) => x.labels.instance === "10.0.0.1:9000")!;
    expect(g.labels).toMatchObject({
      cluster: "prod",
      service: "web",
      taskdefinition: "web:7",
      namespace: "internal.local",
      taskid: "aaa",
      __metrics_path__: "/metrics",
      __scheme__: "http",
      __meta_ecs_endpoint: "infra",
      __meta_ecs_task_definition_revision: "7",
      __meta_cloudmap_service_id: "srv-web",
    });
    expect(() => validateDocument(document)).not.toThrow();
  });

  it("gives the same bytes for the same facts in any order", () => {
    const shuffled = { ...web, instances: [...web.instances].reverse() };
    const a = serializeDocument(buildDocument(discovery([web]), undefined).document);
    const b = serializeDocument(buildDocument(discovery([shuffled]), undefined).document);
    expect(a).toBe(b);
    expect(sha256Hex(a)).toBe(sha256Hex(b));
    expect(parseDocument(a)).toEqual(buildDocument(discovery([web]), undefined).document);
  });

  it("leaves out tasks that are not RUNNING and ECS instances with no task", () => {
    const stopping = { ...tasks, bbb: task("bbb", { lastStatus: "DEACTIVATING" }) };
    const r = buildDocument(discovery([{ ...web, tasks: stopping }]), undefined);
    expect(r.document.map((g) => g.labels.taskid)).toEqual(["aaa", "aaa"]);
    expect(r.notRunning).toBe(1);
    const gone = buildDocument(discovery([{ ...web, tasks: { aaa: tasks.aaa } }]), undefined);
    expect(gone.document.every((g) => g.labels.taskid === "aaa")).toBe(true);
  });

  it("publishes a non-ECS registration from its Cloud Map attributes", () => {
    const ext = service("ext", { METRICS_PORT: "9100" }, [instance("i-1", "192.168.1.4", false)], {});
    const { document } = buildDocument(discovery([ext]), undefined);
    expect(document).toHaveLength(1);
    expect(document[0]?.targets).toEqual(["192.168.1.4:9100"]);
    expect(document[0]?.labels.taskid).toBeUndefined();
  });

  it("reports bad tags and keeps the rest", () => {
    const bad = service("bad", { METRICS_PORT: "abc" }, [instance("aaa", "10.0.0.1")], tasks);
    const r = buildDocument(discovery([web, bad]), undefined);
    expect(r.document).toHaveLength(4);
    expect(r.skipped).toEqual([expect.objectContaining({ serviceName: "bad", tag: "METRICS_PORT", value: "abc" })]);
  });

  it("keeps the previous targets of a failed service or namespace (README guarantee G1)", () => {
    const other = service("other", { METRICS_PORT: "8080" }, [instance("aaa", "10.0.0.1")], tasks, { id: "ns-2", name: "other.local", type: "HTTP" });
    const previous = buildDocument(discovery([web, other]), undefined).document;
    const r = buildDocument(
      discovery(
        [],
        [
          { scope: "service", id: "srv-web", name: "web", operation: "servicediscovery:ListInstances", error: "ThrottlingException" },
          { scope: "namespace", id: "ns-2", name: "other.local", operation: "servicediscovery:ListServices", error: "boom" },
        ],
      ),
      previous,
    );
    expect(r.carriedOver).toBe(5);
    expect(serializeDocument(r.document)).toBe(serializeDocument(previous));
  });

  it("builds [] only from an empty discovery", () => {
    expect(serializeDocument(buildDocument(discovery([]), undefined).document)).toBe("[]\n");
  });
});

describe("diffDocuments", () => {
  it("lists added, removed and changed targets readably", () => {
    const t = { aaa: task("aaa", { taskIp: "10.0.0.1" }), bbb: task("bbb", { taskIp: "10.0.0.2" }) };
    const before = buildDocument(discovery([service("web", { METRICS_PORT: "8080" }, [instance("aaa", "10.0.0.1")], t)]), undefined).document;
    const t2 = { ...t, aaa: task("aaa", { taskIp: "10.0.0.1", revision: 8 }) };
    const after = buildDocument(
      discovery([service("web", { METRICS_PORT: "8080" }, [instance("aaa", "10.0.0.1"), instance("bbb", "10.0.0.2")], t2)]),
      undefined,
    ).document;
    const d = diffDocuments(before, after);
    expect(d.added.map((a) => a.target)).toEqual(["10.0.0.2:8080"]);
    expect(d.removed).toEqual([]);
    expect(d.changed[0]?.changes.map((c) => c.name)).toContain("taskdefinition");
    const text = formatDiff(d);
    expect(text).toContain("+ http://10.0.0.2:8080/metrics");
    expect(text).toContain("taskdefinition: web:7 -> web:8");
    expect(text.split("\n").at(-1)).toBe("1 added, 0 removed, 1 changed (1 -> 2 targets)");
    expect(formatDiff(diffDocuments(after, before)).split("\n").at(-1)).toBe("0 added, 1 removed, 1 changed (2 -> 1 targets)");
  });
});

describe("validateDocument", () => {
  it.each([
    ["{}", "not_array"],
    ["[{", "invalid_json"],
    ['[{"targets":"x"}]', "bad_group"],
    ['[{"targets":["no-port"]}]', "bad_target"],
    ['[{"targets":["a:99999"]}]', "bad_target"],
    ['[{"targets":["a:1"],"labels":{"1bad":"x"}}]', "bad_label"],
    ['[{"targets":["a:1"],"labels":{"ok":1}}]', "bad_label"],
  ])("rejects %s with reason %s", (text, reason) => {
    try {
      parseDocument(text);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(DocumentValidationError);
      expect((err as DocumentValidationError).reason).toBe(reason);
    }
  });
  it("accepts [] and IPv6 targets", () => {
    expect(parseDocument("[]")).toEqual([]);
    expect(parseDocument('[{"targets":["[::1]:9090"],"labels":{"a":"b"}}]')).toHaveLength(1);
  });
});
