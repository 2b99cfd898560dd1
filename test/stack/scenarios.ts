// The account the deployed-stack scenarios run against: two clusters, two namespaces,
// Fargate (awsvpc) and EC2 (bridge) services that opt in with METRICS_PORT (one with a
// second "infra" endpoint), and one service that does not opt in.
import type { ScenarioInput } from "@scrape-reconciler/sim";

export const ACCOUNT_SCENARIO: ScenarioInput = {
  region: "eu-west-1",
  accountId: "210987654321",
  seed: "deployed-stack",
  namespaces: [
    { name: "internal.local", type: "DNS_PRIVATE" },
    { name: "apps", type: "HTTP" },
  ],
  clusters: [{ name: "web" }, { name: "workers", containerInstances: 2 }],
  services: [
    {
      cluster: "web",
      name: "frontend",
      namespace: "internal.local",
      tags: { METRICS_PORT: "8080" },
      launchType: "FARGATE",
      networkMode: "awsvpc",
      taskDefinition: { family: "frontend", revision: 3, containers: [{ name: "frontend", ports: [8080] }] },
      desiredCount: 3,
    },
    {
      cluster: "web",
      name: "api",
      namespace: "apps",
      tags: { METRICS_PORT: "9090", METRICS_PATH: "/prometheus", ECS_METRICS_PORT: "9779" },
      launchType: "FARGATE",
      networkMode: "awsvpc",
      taskDefinition: {
        family: "api",
        revision: 7,
        containers: [
          { name: "api", ports: [9090] },
          { name: "exporter", ports: [9779] },
        ],
      },
      desiredCount: 2,
    },
    {
      cluster: "workers",
      name: "celery",
      namespace: "internal.local",
      tags: { METRICS_PORT: "9102" },
      launchType: "EC2",
      networkMode: "bridge",
      taskDefinition: { family: "celery", revision: 2, containers: [{ name: "statsd-exporter", ports: [9102] }] },
      desiredCount: 2,
    },
    {
      cluster: "workers",
      name: "batch",
      namespace: "apps",
      tags: { team: "data" },
      launchType: "FARGATE",
      networkMode: "awsvpc",
      taskDefinition: { family: "batch", revision: 1, containers: [{ name: "batch", ports: [8000] }] },
      desiredCount: 1,
    },
  ],
};
