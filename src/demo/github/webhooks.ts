// GitHub's side of webhooks: signed deliveries to the App, their history (GET /app/hook/deliveries) and
// redeliveries (POST /app/hook/deliveries/{id}/attempts).
import { createHmac, randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import type { StandInHookDelivery } from "./model.js";
import { clone, json, notFound, type StandInResponse } from "./http.js";

export interface DeliverOptions {
  /** The App's webhook URL. */
  url: string;
  /** The webhook secret: the body is signed with it (X-Hub-Signature-256). */
  secret: string;
  /** Record the delivery as failed ("failed to connect", 502) without sending it, as if GitHub could not reach the App. */
  drop?: boolean;
  /** Give up after this long (GitHub: 10 s); recorded as "timed out" with status_code 0. */
  timeoutMs?: number;
  /** Sends the request (default: the global fetch), e.g. to reach an App served in-process. */
  fetch?: typeof globalThis.fetch;
  /** X-GitHub-Delivery; default a random UUID. */
  guid?: string;
}

/** One delivery attempt, as the optional `dropDelivery` predicate sees it. */
export interface DeliveryAttempt {
  id: number;
  guid: string;
  event: string;
  redelivery: boolean;
}

const DELIVERY_TIMEOUT_MS = 10_000;
const isoSeconds = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

/** What the deliveries read of the stand-in: its ids, clock, chosen failures and where Link headers point. */
export interface WebhookHost {
  readonly appId: number;
  readonly hookId: number;
  readonly now: () => number;
  readonly dropDelivery: ((attempt: DeliveryAttempt) => boolean) | undefined;
  readonly linkBase: string;
}

/** The App's webhook: every delivery attempt, by ascending id, and the deliveries in flight. */
export class HookDeliveries {
  /** Every webhook delivery attempt, by ascending id (GET /app/hook/deliveries lists them newest first). */
  readonly deliveries: StandInHookDelivery[] = [];
  private nextDeliveryId = 1;
  private readonly deliveryTargets = new Map<string, { event: string; body: string; url: string; secret: string; timeoutMs: number; fetch: typeof globalThis.fetch | undefined }>();
  private readonly pendingDeliveries = new Set<Promise<unknown>>();

  constructor(private readonly host: WebhookHost) {}

  /** GET /app/hook/deliveries[/{id}], POST /app/hook/deliveries/{id}/attempts. */
  route(m: string, rest: string[], url: URL): StandInResponse {
    if (m === "GET" && rest.length === 0) {
      const q = url.searchParams;
      const perPage = Math.min(100, Math.max(1, Math.floor(Number(q.get("per_page") ?? 30)) || 30));
      const cursor = q.get("cursor");
      const status = q.get("status");
      if (status !== null && status !== "success" && status !== "failure") return json(422, { message: "Validation Failed", errors: [{ resource: "HookDelivery", field: "status", code: "invalid" }], documentation_url: "https://docs.github.com/rest/apps/webhooks#list-deliveries-for-an-app-webhook" });
      const from = cursor === null ? undefined : /^v1_(\d+)$/.exec(cursor)?.[1];
      if (cursor !== null && from === undefined) return json(400, { message: "Bad Request", documentation_url: "https://docs.github.com/rest/apps/webhooks#list-deliveries-for-an-app-webhook" });
      // Newest first. "success" is a status_code in 200-399, "failure" in 400-599 (GitHub's documented ranges: a
      // timed-out delivery, status_code 0, is in neither).
      const all = [...this.deliveries]
        .sort((a, b) => b.id - a.id)
        .filter((d) => !status || (status === "success" ? d.status_code >= 200 && d.status_code <= 399 : d.status_code >= 400 && d.status_code <= 599))
        .filter((d) => from === undefined || d.id <= Number(from));
      const page = all.slice(0, perPage);
      const next = all[perPage];
      const headers: Record<string, string> = {};
      if (next) {
        const u = new URL(url.pathname + url.search, this.host.linkBase);
        u.searchParams.set("per_page", String(perPage));
        u.searchParams.set("cursor", `v1_${next.id}`);
        headers.link = `<${u.toString()}>; rel="next"`;
      }
      return json(200, page.map((d) => this.deliverySummary(d)), headers);
    }
    const delivery = this.deliveries.find((d) => String(d.id) === rest[0]);
    if (!delivery) return notFound();
    if (m === "GET" && rest.length === 1) return json(200, clone(delivery));
    if (m === "POST" && rest.length === 2 && rest[1] === "attempts") {
      // Accepted now, sent later (GitHub queues it): the App sees the same GUID again as a new delivery.
      void this.track(new Promise((resolve) => setImmediate(resolve)).then(() => this.redeliver(delivery.id)));
      return json(202, {});
    }
    return notFound();
  }

  private deliverySummary(d: StandInHookDelivery): Record<string, unknown> {
    const { url: _url, request: _request, response: _response, ...summary } = d;
    return clone(summary);
  }

  /**
   * Delivers a webhook as GitHub does: a new GUID (X-GitHub-Delivery), the body signed with the secret
   * (X-Hub-Signature-256, and the legacy X-Hub-Signature), POSTed with a 10 s timeout, the attempt recorded in the
   * delivery history. Resolves with the recorded attempt; it never rejects for the App's failures.
   */
  deliver(event: string, payload: Record<string, unknown> | string, options: DeliverOptions): Promise<StandInHookDelivery> {
    const guid = options.guid ?? randomUUID();
    const body = typeof payload === "string" ? payload : JSON.stringify(payload);
    this.deliveryTargets.set(guid, { event, body, url: options.url, secret: options.secret, timeoutMs: options.timeoutMs ?? DELIVERY_TIMEOUT_MS, fetch: options.fetch });
    return this.track(this.attempt(guid, false, options.drop === true));
  }

  /** Sends delivery `id` again: the same GUID and body, recorded as a new attempt with `redelivery: true`. */
  redeliver(id: number): Promise<StandInHookDelivery> {
    const d = this.deliveries.find((x) => x.id === id);
    if (!d) return Promise.reject(new Error(`no webhook delivery ${id}`));
    return this.track(this.attempt(d.guid, true, false));
  }

  /** Resolves once every delivery in flight (redeliveries queued through the API included) has been recorded. */
  async idle(): Promise<void> {
    while (this.pendingDeliveries.size > 0) await Promise.allSettled([...this.pendingDeliveries]);
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.pendingDeliveries.add(p);
    const done = (): void => void this.pendingDeliveries.delete(p);
    p.then(done, done);
    return p;
  }

  private async attempt(guid: string, redelivery: boolean, drop: boolean): Promise<StandInHookDelivery> {
    const t = this.deliveryTargets.get(guid)!;
    const id = this.nextDeliveryId++;
    let payload: Record<string, unknown> | null = null;
    try {
      const parsed = JSON.parse(t.body) as unknown;
      if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) payload = parsed as Record<string, unknown>;
    } catch {
      payload = null;
    }
    const num = (v: unknown): number | null => (v && typeof v === "object" && typeof (v as { id?: unknown }).id === "number" ? (v as { id: number }).id : null);
    const headers: Record<string, string> = {
      Accept: "*/*", "content-type": "application/json", "User-Agent": "GitHub-Hookshot/stand-in",
      "X-GitHub-Delivery": guid, "X-GitHub-Event": t.event, "X-GitHub-Hook-ID": String(this.host.hookId),
      "X-GitHub-Hook-Installation-Target-ID": String(this.host.appId), "X-GitHub-Hook-Installation-Target-Type": "integration",
      "X-Hub-Signature": `sha1=${createHmac("sha1", t.secret).update(t.body).digest("hex")}`,
      "X-Hub-Signature-256": `sha256=${createHmac("sha256", t.secret).update(t.body).digest("hex")}`,
    };
    const startedAt = this.host.now();
    const t0 = performance.now();
    let status: string;
    let statusCode: number;
    let response: StandInHookDelivery["response"] = { headers: null, payload: null };
    if (drop || this.host.dropDelivery?.({ id, guid, event: t.event, redelivery })) {
      status = "failed to connect";
      statusCode = 502;
    } else {
      try {
        const res = await (t.fetch ?? globalThis.fetch)(t.url, { method: "POST", headers, body: t.body, signal: AbortSignal.timeout(t.timeoutMs) });
        const text = await res.text();
        const resHeaders: Record<string, string> = {};
        res.headers.forEach((v, k) => (resHeaders[k] = v));
        response = { headers: resHeaders, payload: text };
        statusCode = res.status;
        status = res.status >= 200 && res.status < 300 ? "OK" : `Invalid HTTP Response: ${res.status}`;
      } catch (e) {
        statusCode = 0;
        status = e instanceof Error && e.name === "TimeoutError" ? "timed out" : "failed to connect";
      }
    }
    const delivery: StandInHookDelivery = {
      id, guid, delivered_at: isoSeconds(startedAt), redelivery, duration: Math.round(performance.now() - t0) / 1000,
      status, status_code: statusCode, event: t.event, action: typeof payload?.action === "string" ? payload.action : null,
      installation_id: num(payload?.installation), repository_id: num(payload?.repository), throttled_at: null,
      url: t.url, request: { headers, payload }, response,
    };
    this.deliveries.push(delivery);
    this.deliveries.sort((a, b) => a.id - b.id);
    return delivery;
  }
}
