// taskFacts over the AWS documentation's sample task state change events (the event's
// `detail` is the task, as DescribeTasks gives it but with "eni" for the attachment type):
// the group, the platform and the ENI's subnet that the labels of Prometheus' ECS discovery need.
import { readFileSync } from "node:fs";
import type { Task } from "@aws-sdk/client-ecs";
import { describe, expect, it } from "vitest";
import { taskFacts } from "../src";

const sample = (name: string) => JSON.parse(readFileSync(new URL(`../../../test/fixtures/aws-samples/${name}`, import.meta.url), "utf8")) as { detail: Task };

describe("taskFacts", () => {
  it("Fargate (awsvpc) sample: group, platform version and the ENI's IP and subnet", () => {
    const facts = taskFacts(sample("ecs-task-state-change-fargate-awsvpc.json").detail, undefined);
    expect(facts).toMatchObject({
      taskId: "c13b4cb40f1f4fe4a2971f76ae5a47ad",
      clusterName: "FargateCluster",
      group: "family:sample-fargate",
      platformVersion: "1.3.0",
      taskIp: "10.0.0.139",
      subnetId: "subnet-abcd1234",
      networkMode: "awsvpc",
      launchType: "FARGATE",
    });
    // A standalone task: no service, and the sample carries no platformFamily.
    expect(facts?.serviceName).toBeUndefined();
    expect(facts?.platformFamily).toBeUndefined();
  });

  it("EC2 sample: the group as given, no ENI (so no subnet), the container instance", () => {
    const facts = taskFacts(sample("ecs-task-state-change-ec2.json").detail, "bridge");
    expect(facts).toMatchObject({
      group: "task-group",
      networkMode: "bridge",
      containerInstanceArn: "arn:aws:ecs:us-east-1:111122223333:container-instance/b54a2a04-046f-4331-9d74-3f6d7f6ca315",
    });
    expect(facts?.subnetId).toBeUndefined();
    expect(facts?.taskIp).toBeUndefined();
    expect(facts?.platformVersion).toBeUndefined();
  });

  it("DescribeTasks' attachment type ElasticNetworkInterface and a service group", () => {
    const task: Task = {
      taskArn: "arn:aws:ecs:us-east-1:123456789012:task/prod/abc",
      clusterArn: "arn:aws:ecs:us-east-1:123456789012:cluster/prod",
      taskDefinitionArn: "arn:aws:ecs:us-east-1:123456789012:task-definition/web:3",
      group: "service:web",
      platformFamily: "Linux",
      platformVersion: "1.4.0",
      lastStatus: "RUNNING",
      attachments: [
        {
          type: "ElasticNetworkInterface",
          details: [
            { name: "subnetId", value: "subnet-0f00" },
            { name: "privateIPv4Address", value: "10.0.1.2" },
          ],
        },
      ],
    };
    expect(taskFacts(task, undefined)).toMatchObject({
      serviceName: "web",
      group: "service:web",
      platformFamily: "Linux",
      platformVersion: "1.4.0",
      subnetId: "subnet-0f00",
      taskIp: "10.0.1.2",
    });
  });
});
