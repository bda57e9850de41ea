// Signing for `agent-gate attest`: keys, DSSE/in-toto payloads, log requests and bundle assembly.
export * from "./dsse.js";
export * from "./key-signer.js";
export * from "./content.js";
export * from "./rekor-requests.js";
export * from "./bundle.js";
export * from "./cosign-key.js";
