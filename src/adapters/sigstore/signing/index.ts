// Signing for `agent-gate attest`: keys (our own or cosign's files) and the witnesses @sigstore/sign lacks or we check.
export * from "./key-signer.js";
export * from "./cosign-key.js";
export * from "./service-error.js";
export * from "./tsa-witness.js";
export * from "./rekor-witnesses.js";
