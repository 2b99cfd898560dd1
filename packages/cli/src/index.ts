// The CLI package: `main(argv, env, io)` and the commands' formatting helpers.
export { main, usage } from "./main";
export type { Command, Io, Env } from "./io";
