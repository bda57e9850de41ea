// What a Sigstore service's failure means for the caller: it did not answer (transient, worth a retry) or it answered
// with a refusal or nonsense. Covers @sigstore/sign's errors (an InternalError around an HTTPError or a fetch error)
// and fetch's own.
import { InternalError } from "@sigstore/sign";
import { AgentGateError, describeError } from "../../../core/errors.js";
import { HttpTimeoutError } from "../../github/http.js";

type Code = ConstructorParameters<typeof AgentGateError>[0];

export function serviceError(e: unknown, service: string, unreachable: Code, failed: Code): AgentGateError {
  // fetchWithTimeout's deadline (before the answer, or while its body streamed): the service did not answer
  if (e instanceof HttpTimeoutError) return new AgentGateError(unreachable, `${service} did not answer: ${e.message}`, "transient");
  if (e instanceof AgentGateError) return e;
  const cause: unknown = e instanceof InternalError && e.cause !== undefined ? (e.cause as unknown) : e;
  const status = (cause as { statusCode?: unknown } | undefined)?.statusCode;
  if (typeof status === "number") return new AgentGateError(failed, `${service} answered HTTP ${status}: ${describeError(cause).slice(0, 200)}`, "transient");
  // fetch wraps network failures in a TypeError, make-fetch-happen in a FetchError with a system code
  const name = (cause as { name?: unknown } | undefined)?.name;
  if (name === "FetchError" || (cause instanceof TypeError && /fetch failed/i.test(cause.message))) {
    return new AgentGateError(unreachable, `${service} did not answer: ${describeError(cause)}`, "transient");
  }
  return new AgentGateError(failed, `${service} answered with something unexpected: ${describeError(cause)}`, "transient");
}
