// The CLI's output streams, passed in so tests capture them.
export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
}

export const processIo: Io = {
  out: (t) => process.stdout.write(t.endsWith("\n") ? t : `${t}\n`),
  err: (t) => process.stderr.write(t.endsWith("\n") ? t : `${t}\n`),
};

export type Env = Record<string, string | undefined>;

/** A command: arguments after its name in, exit code out. */
export type Command = (args: string[], env: Env, io: Io) => Promise<number>;

/** Bad arguments: reported as one line, exit code 2. */
export class UsageError extends Error {
  override name = "UsageError";
}
