// The stand-in GitHub's own commit-signing key: the demo's "web-flow". The stand-in plays GitHub, so commits it shows
// as signed by GitHub (a Copilot agent's, tier platform) carry signatures by this key, and the demo's App trusts it in
// place of GitHub's pinned keys (core/github-signature.ts). Its private half is a test fixture
// (test/support/pgp-signature.ts): nothing outside the demo trusts this key.
import type { GitHubSigningKey } from "../../core/github-signature.js";

export const DEMO_GITHUB_SIGNING_KEYS: readonly GitHubSigningKey[] = [
  {
    fingerprint: "c35713e4065b834ab5e7e3aac9a12a3a798edbbb",
    created: 1767225600, // 2026-01-01
    exponent: "AQAB",
    modulus:
      "sT2E/u2xURoijqDs0XuvhCmqoyvNRztUzhL1o7gYHK4ZlEXzH5Jybz+OcxVFBp3rlygwjJN/WA17ZajulQl+Hr7t7q0sjbvYHi8NLZE79EQvLqv64NbHKbLMpqsFHNIpHb6GWqYdbTjgmJACXEDABT9SMqsHDOVpNS4z16XRFfuS" +
      "Q6tLEjMRnmJdcgxDdVI0iLq8NWtvbGA1hMtM6Gqm8Mb5TKfJ5Q7fb2wzN6YtZPkXaj8mJwdGX/sdcUVCcPLZRDrlmljqUdtwrQVauw5CQ/h1aKpgrO3lGJJmWTQXPLjtvWl0DFXknggVolMogNdntc4vM7tsIs6kAipLmjzhrQ==",
  },
];
