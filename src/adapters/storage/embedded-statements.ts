// Statements with parameters in the embedded database (PGlite), prepared once and then only bound and run, in one
// call into PGlite per statement. PGlite's own `query` parses and plans every statement afresh and makes six calls
// into its WebAssembly backend for it (parse, describe, bind, describe, execute, sync); an upsert of the gate store
// took 0.56 ms of the App's thread that way and 0.08 ms prepared. The embedded database runs on the App's thread,
// so this is the App's own CPU.
//
// The result is what PGlite's `query` returns, by PGlite's own code: parameters go through the instance's
// serializers for the types the server inferred, rows come back through PGlite's parseResults with the instance's
// parsers. The set is bounded like PostgreSQL's (prepared.ts): the first MAX_PREPARED (schema, text) pairs are named,
// later ones run as the unnamed statement (parsed each time, still one call for the run). A statement whose result
// type changed under it (0A000) fails once and runs unnamed from then on; one dropped by a DEALLOCATE fails once and
// is prepared afresh.
import type { PGlite, parse as pgliteParse, protocol as pgliteProtocol } from "@electric-sql/pglite";
import { MAX_PREPARED, NO_SUCH_STATEMENT, RESULT_TYPE_CHANGED } from "./prepared.js";

type Serialize = typeof pgliteProtocol.serialize;
type ParseResults = typeof pgliteParse.parseResults;
type Message = Parameters<ParseResults>[0][number];

/** What PGlite's module gives this file (it is imported lazily by db.ts, so this file imports only its types). */
export interface PGliteProtocol {
  readonly serialize: Serialize;
  readonly parseResults: ParseResults;
}

type Statement = { readonly name: string; readonly types: readonly number[] };

export class EmbeddedStatements {
  /** (schema, text) to its statement; null for a pair that runs unnamed from now on. */
  private readonly known = new Map<string, Statement | null>();
  private seq = 0;

  constructor(
    private readonly pg: PGlite,
    private readonly protocol: PGliteProtocol,
    private readonly max = MAX_PREPARED,
  ) {}

  /**
   * One statement with parameters, its rows as PGlite's `query` gives them. `tx`: the PGlite transaction the caller
   * runs in (which holds PGlite's transaction lock); once it has ended the statement is refused, as PGlite's own
   * `tx.query` refuses it, so a handle kept past its transaction never runs inside another caller's. Without one,
   * this takes both of PGlite's locks, as `query` does, so it never runs inside another caller's transaction either,
   * and syncs the file system after it as `query` does. The schema is the search_path the statement runs under: a
   * prepared plan belongs to one.
   */
  async query<R>(schema: string, text: string, params: readonly unknown[], tx?: { readonly closed: boolean }): Promise<R[]> {
    const pg = this.pg;
    const run = (): Promise<R[]> => this.run<R>(`${schema}\u0000${text}`, text, params);
    if (tx) {
      return pg._runExclusiveQuery(() => {
        if (tx.closed) throw new Error(`Transaction is closed: expected a statement of an open transaction, got one on the handle of a transaction that has ended (kept past it); not run: ${text.slice(0, 80)}`);
        return run();
      });
    }
    return pg._runExclusiveTransaction(() =>
      pg._runExclusiveQuery(async () => {
        const rows = await run();
        await pg.syncToFs();
        return rows;
      }),
    );
  }

  /** Under PGlite's query lock. */
  private async run<R>(key: string, text: string, params: readonly unknown[]): Promise<R[]> {
    if (this.pg.closed) throw new Error(`PGlite is closed: the embedded database was closed before this statement ran; not run: ${text.slice(0, 80)}`);
    const { serialize, parseResults } = this.protocol;
    const statement = await this.statement(key, text);
    const serializers = this.pg.serializers;
    const values = params.map((value, i) => {
      if (value === null || value === undefined) return null;
      const type = statement.types[i];
      const serializer = type === undefined ? undefined : serializers[type];
      // As PGlite's query: a type without a serializer of its own takes the value's own text.
      return serializer ? serializer(value) : (value as { toString(): string }).toString();
    });
    let messages: Message[];
    try {
      messages = await this.send([serialize.bind({ statement: statement.name, values }), serialize.describe({ type: "P" }), serialize.execute({}), serialize.sync()]);
    } catch (err) {
      const code = (err as { code?: unknown } | null)?.code;
      if (statement.name && code === RESULT_TYPE_CHANGED) this.known.set(key, null);
      // Dropped behind our back (DEALLOCATE, DISCARD): prepared afresh at its next run.
      if (statement.name && code === NO_SUCH_STATEMENT) this.known.delete(key);
      throw err;
    }
    return (parseResults(messages, this.pg.parsers)[0]?.rows ?? []) as R[];
  }

  /** The named statement of `key`, prepared now if it is new; the unnamed statement, parsed now, past the bound. */
  private async statement(key: string, text: string): Promise<Statement> {
    const known = this.known.get(key);
    if (known) return known;
    const name = known === undefined && this.known.size < this.max ? `ag_${++this.seq}` : "";
    const { serialize } = this.protocol;
    const messages = await this.send([serialize.parse({ name, text, types: [] }), serialize.describe({ type: "S", name }), serialize.sync()]);
    const description = messages.find((m) => m.name === "parameterDescription") as { dataTypeIDs?: number[] } | undefined;
    const statement = { name, types: description?.dataTypeIDs ?? [] };
    if (name) this.known.set(key, statement);
    return statement;
  }

  /** Protocol messages ending with Sync, in one call: an error skips to the Sync, so the session is ready after. */
  private send(parts: readonly Uint8Array[]): Promise<Message[]> {
    return this.pg.execProtocolStream(Buffer.concat(parts), { syncToFs: false });
  }
}
