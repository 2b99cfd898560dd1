// A schedule that invokes a function with EventBridge's own "Scheduled Event"
// (sst.aws.Cron would send `{}` instead, which the handlers cannot tell from a
// manual invoke).
export function scheduleFunction(name: string, expression: string, fn: sst.aws.Function, description: string) {
  const rule = new aws.cloudwatch.EventRule(`${name}Schedule`, { description, scheduleExpression: expression });
  new aws.lambda.Permission(`${name}SchedulePermission`, {
    action: "lambda:InvokeFunction",
    function: fn.name,
    principal: "events.amazonaws.com",
    sourceArn: rule.arn,
  });
  new aws.cloudwatch.EventTarget(`${name}ScheduleTarget`, { rule: rule.name, arn: fn.arn });
  return rule;
}
