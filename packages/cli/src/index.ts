// The CLI package: `main(argv, env, io)`, its usage error, and the commands other packages'
// tests run directly. The `scrape-reconciler` binary imports ./main, which loads each
// command only when it runs; importing this entry loads the commands listed here.
export { main, usage } from "./main";
export { UsageError, type Command, type Io, type Env } from "./io";
export { auditCommand } from "./commands/audit";
export { forwardCommand, forwardLoop } from "./commands/forward";
export { APP_NAME, conventionalFunctionName } from "./commands/invoke";
