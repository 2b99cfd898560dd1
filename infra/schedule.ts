// A schedule that invokes a function with EventBridge's own "Scheduled Event"
// (sst.aws.Cron would send `{}` instead, which the handlers cannot tell from a
// manual invoke). Its target retries and dead-letters through `delivery`.
import type { EventDelivery } from "./delivery";

export function scheduleFunction(name: string, expression: string, fn: sst.aws.Function, description: string, delivery: EventDelivery) {
  const rule = new aws.cloudwatch.EventRule(`${name}Schedule`, { description, scheduleExpression: expression });
  new aws.lambda.Permission(`${name}SchedulePermission`, {
    action: "lambda:InvokeFunction",
    function: fn.name,
    principal: "events.amazonaws.com",
    sourceArn: rule.arn,
  });
  delivery.target(`${name}ScheduleTarget`, rule, fn.arn, "schedule");
  return rule;
}
