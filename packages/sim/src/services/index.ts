// The service registry: route key (see ServiceHandler.route) -> handler. Adding a
// service is one module under services/ and one line here.
import { cloudwatch } from "./cloudwatch";
import { ec2 } from "./ec2";
import { elasticache } from "./elasticache";
import { ecs } from "./ecs";
import { s3 } from "./s3";
import { rds } from "./rds";
import { servicediscovery } from "./servicediscovery";
import { ssm } from "./ssm";
import { sts } from "./sts";
import type { ServiceHandler } from "./types";

export const serviceHandlers: Record<string, ServiceHandler> = {
  [servicediscovery.route]: servicediscovery,
  [ecs.route]: ecs,
  [ssm.route]: ssm,
  [ec2.route]: ec2,
  [s3.route]: s3,
  [cloudwatch.route]: cloudwatch,
  [rds.route]: rds,
  [elasticache.route]: elasticache,
  [sts.route]: sts,
};

export type { ServiceHandler, SimRequest, SimResponse, HandlerContext } from "./types";
