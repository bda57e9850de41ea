// Whether GitHub takes the App's own credentials (APP_ID and its private key), as last seen. The key parses at start
// (server-env.ts), but only GitHub can say it is the App's: a request signed as the App (an installation token, GET
// /app/...) answered 401 means every evaluation will fail, and /readyz says so until such a request succeeds. Nothing
// is asked of GitHub for it: the requests the App makes anyway are watched.
import { routeTemplate } from "./octokit.js";

type Hookable = { hook: { wrap(name: "request", wrapper: (request: (options: Record<string, unknown>) => Promise<unknown>, options: Record<string, unknown>) => Promise<unknown>): void } };

/** Routes GitHub authenticates with the App's JWT. */
const signedAsApp = (route: string): boolean => route === "/app" || route.startsWith("/app/");

export class AppAuthHealth {
  private refused: { route: string; at: Date } | undefined;

  /** An Octokit plugin for every client the App makes (ProbotOctokit.plugin). */
  readonly plugin = (octokit: Hookable): void => {
    octokit.hook.wrap("request", async (request, options) => {
      const route = routeTemplate(typeof options["url"] === "string" ? options["url"] : undefined);
      if (!signedAsApp(route)) return request(options);
      try {
        const response = await request(options);
        this.refused = undefined;
        return response;
      } catch (err) {
        const status = (err as { status?: unknown } | null)?.status;
        const method = typeof options["method"] === "string" ? options["method"] : "GET";
        if (status === 401) this.refused = { route: `${method} ${route}`, at: new Date() };
        throw err;
      }
    });
  };

  /** A readiness check: fails while the last request signed as the App was refused. */
  readonly check = (): string => {
    if (this.refused) throw new Error(`GitHub refused the App's credentials (401 on ${this.refused.route} at ${this.refused.at.toISOString()}): check APP_ID and that the private key is the App's (a key deleted on GitHub is refused)`);
    return "no refusal seen";
  };
}
