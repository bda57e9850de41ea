# Revocation: the organisation's list (data.revoked) denies evidence it names, in every mode, naming item and reason.
package agent_gate.revocation_test

import data.agent_gate.deployment
import data.agent_gate.pull_request
import data.agent_gate.test.fixtures as fx

decide(inp, cfg, rev) := d if {
	d := pull_request.decision with input as inp with data.config as cfg with data.revoked as rev
}

revoked_msgs(inp, cfg, rev) := {f.msg | some f in decide(inp, cfg, rev).deny; f.rule == "revoked"}

list(kind, entries) := {"source": "acme/.github:.github/agent-gate-revocations.yml (default branch)", kind: entries}

fp := concat("", ["sha256:", concat("", [x | some _ in numbers.range(1, 64); x := "e"])])

uuid := concat("", [x | some _ in numbers.range(1, 64); x := "f"])

evidence := fx.with_provenance(fx.pr, fx.head, {
	"signer": object.union(fx.signer, {"certificate_fingerprint": fp}),
	"rekor_log_id": "c0d23d6ad406973f",
	"rekor_entry_uuid": uuid,
	"models": [{"id": "anthropic/claude-sonnet-4-5", "version": "20250929", "role": "agent"}, {"id": "acme/helper", "role": "tool"}],
})

test_no_list_changes_nothing if {
	count(revoked_msgs(fx.pr, fx.config, {})) == 0
}

test_a_revoked_model_denies_every_commit_with_its_reason if {
	msgs := revoked_msgs(fx.pr, fx.config, list("models", [{"model": "anthropic/claude-sonnet-4-5", "reason": "jailbreak CVE-2026-1"}]))
	msgs == {
		"commit 1111111: model anthropic/claude-sonnet-4-5 is revoked by the organisation: jailbreak CVE-2026-1",
		"commit 2222222 (head): model anthropic/claude-sonnet-4-5 is revoked by the organisation: jailbreak CVE-2026-1",
	}
}

test_a_model_version_is_revoked_alone if {
	count(revoked_msgs(fx.pr, fx.config, list("models", [{"model": "anthropic/claude-sonnet-4-5", "version": "20250929"}]))) == 2
	count(revoked_msgs(fx.pr, fx.config, list("models", [{"model": "anthropic/claude-sonnet-4-5", "version": "20240101"}]))) == 0
}

test_a_subagent_or_tool_model_is_revoked_too if {
	revoked_msgs(evidence, fx.config, list("models", [{"model": "ACME/helper"}])) == {"commit 2222222 (head): model ACME/helper is revoked by the organisation"}
}

test_agents_by_name_and_version if {
	count(revoked_msgs(fx.pr, fx.config, list("agents", [{"name": "claude-code"}]))) == 2
	count(revoked_msgs(fx.pr, fx.config, list("agents", [{"name": "claude-code", "version": "2.1.0"}]))) == 2
	count(revoked_msgs(fx.pr, fx.config, list("agents", [{"name": "claude-code", "version": "2.0.0"}]))) == 0
}

test_signers_by_identity_pattern_and_workflow if {
	count(revoked_msgs(fx.pr, fx.config, list("signers", [{"identity": fx.signer.identity, "issuer": fx.signer.issuer}]))) == 2
	count(revoked_msgs(fx.pr, fx.config, list("signers", [{"identity_pattern": "^https://github\\.com/acme/.*$", "issuer": fx.signer.issuer}]))) == 2

	# The workflow facts the host reads out of a GitHub Actions identity (core/signer-facts.ts).
	wf := {"owner": "acme", "name": "agents", "repository": "acme/agents", "path": ".github/workflows/agent.yml", "ref": "refs/heads/main"}
	inp := fx.with_provenance(fx.pr, fx.head, {"signer": object.union(fx.signer, {"workflow": wf})})
	count(revoked_msgs(inp, fx.config, list("signers", [{"owner": "ACME", "repo": "agents"}]))) == 1
	count(revoked_msgs(inp, fx.config, list("signers", [{"owner": "acme", "repo": "other"}]))) == 0
	count(revoked_msgs(fx.pr, fx.config, list("signers", [{"identity": fx.signer.identity, "issuer": "https://other"}]))) == 0
}

test_certificates_and_rekor_entries if {
	revoked_msgs(evidence, fx.config, list("certificates", [{"fingerprint": fp}])) == {concat("", ["commit 2222222 (head): certificate ", fp, " is revoked by the organisation"])}
	count(revoked_msgs(evidence, fx.config, list("rekor_entries", [{"log_id": "c0d23d6ad406973f", "log_index": "123456789"}]))) == 1
	count(revoked_msgs(evidence, fx.config, list("rekor_entries", [{"log_id": "0000", "log_index": "123456789"}]))) == 0
	count(revoked_msgs(evidence, fx.config, list("rekor_entries", [{"uuid": uuid}]))) == 1
}

gitsign := {"tier": "signed-commit", "signer": object.union(fx.signer, {"certificate_fingerprint": fp}), "agent": {"name": "claude-code"}, "model": fx.provenance.model, "rekor_log_index": "7"}

signed_pr := object.union(fx.pr, {"commits": [object.union(object.remove(fx.agent_commit(fx.head), ["provenance"]), {"attestations": [gitsign], "provenance": {"status": "attested"}})]})

tbs := concat("", ["sha256:", concat("", [x | some _ in numbers.range(1, 64); x := "d"])])

# The same certificate re-encoded (its CA signature (r, n - s)): another DER fingerprint, the same TBS fingerprint.
reencoded(inp) := json.patch(inp, [{"op": "replace", "path": "/commits/0/attestations/0/signer/certificate_fingerprint", "value": concat("", ["sha256:", concat("", [x | some _ in numbers.range(1, 64); x := "c"])])}])

test_a_certificate_by_its_tbs_fingerprint_whatever_its_der if {
	tbs_pr := json.patch(signed_pr, [{"op": "add", "path": "/commits/0/attestations/0/signer/certificate_tbs_fingerprint", "value": tbs}])
	msg := concat("", ["commit 2222222 (head): certificate ", tbs, " is revoked by the organisation"])
	revoked_msgs(tbs_pr, fx.config, list("certificates", [{"fingerprint": tbs}])) == {msg}
	revoked_msgs(reencoded(tbs_pr), fx.config, list("certificates", [{"fingerprint": tbs}])) == {msg}
	revoked_msgs(reencoded(tbs_pr), fx.config, list("commit_keys", [{"fingerprint": tbs}])) == {concat("", ["commit 2222222 (head): commit signing certificate ", tbs, " is revoked by the organisation"])}

	# a list naming the DER fingerprint still revokes those bytes (lists written before the TBS fingerprint)
	count(revoked_msgs(tbs_pr, fx.config, list("certificates", [{"fingerprint": fp}]))) == 1
	count(revoked_msgs(tbs_pr, fx.config, list("certificates", [{"fingerprint": tbs}, {"fingerprint": fp}]))) == 2
	count(revoked_msgs(tbs_pr, fx.config, list("certificates", [{"fingerprint": concat("", ["sha256:", concat("", [x | some _ in numbers.range(1, 64); x := "0"])])}]))) == 0
}

test_commit_keys_name_signed_commits_only if {
	revoked_msgs(signed_pr, fx.config, list("commit_keys", [{"fingerprint": fp}])) == {concat("", ["commit 2222222 (head): commit signing certificate ", fp, " is revoked by the organisation"])}
	count(revoked_msgs(evidence, fx.config, list("commit_keys", [{"fingerprint": fp}]))) == 0
}

platform_pr := object.union(fx.pr, {"commits": [object.union(object.remove(fx.agent_commit(fx.head), ["provenance"]), {
	"agent": "copilot",
	"attestations": [{"tier": "platform", "signer": {"type": "platform", "identity": "Copilot", "issuer": "https://github.com", "account": {"login": "Copilot", "id": 198982749}, "agent": "copilot", "extensions": {}}}],
	"provenance": {"status": "attested"},
})]})

test_a_platform_signer_by_identity if {
	revoked_msgs(platform_pr, fx.config, list("signers", [{"identity": "copilot", "issuer": "https://github.com", "reason": "compromised account"}])) == {"commit 2222222 (head): signer `Copilot` is revoked by the organisation: compromised account"}
}

test_warn_off_and_shadow_never_hold_it_back if {
	rev := list("models", [{"model": "anthropic/claude-sonnet-4-5"}])
	shadow := object.union(fx.config, {"mode": "shadow"})
	off := fx.with_rules({"model_governance": {"enabled": false, "mode": "off"}, "signers": {"enabled": false, "mode": "off"}})
	count(revoked_msgs(fx.pr, shadow, rev)) == 2
	count(revoked_msgs(fx.pr, off, rev)) == 2
	count({f | some f in decide(fx.pr, shadow, rev).would_deny; f.rule == "revoked"}) == 0
}

# The organisation revoked its agent workflow's leaked identity; a repository rolling out the signers rule already
# allows only the successor. Commits covered only by the leaked identity's statements are denied `revoked` whatever
# the signers rule's mode and the config's mode: warn and shadow hold the signers finding back, never the list.
successor := {"identity": "https://github.com/acme/agents/.github/workflows/agent-v2.yml@refs/heads/main", "issuer": fx.signer.issuer}

leaked := list("signers", [{"identity": fx.signer.identity, "issuer": fx.signer.issuer, "reason": "leaked"}])

rolling(mode) := fx.with_rules({"signers": {"mode": mode, "allowed": [successor]}})

shadow_rolling := object.union(fx.with_rules({"signers": {"allowed": [successor]}}), {"mode": "shadow"})

denied_rules(inp, cfg, rev) := {f.rule | some f in decide(inp, cfg, rev).deny}

test_a_revoked_signer_denies_in_every_mode_of_the_signers_rule if {
	every mode in ["enforce", "warn", "off"] {
		count(revoked_msgs(fx.pr, rolling(mode), leaked)) == 2
	}
	count(revoked_msgs(fx.pr, shadow_rolling, leaked)) == 2
	denied_rules(fx.pr, rolling("warn"), leaked) == {"revoked"}
	denied_rules(fx.pr, shadow_rolling, leaked) == {"revoked"}
	denied_rules(fx.pr, rolling("enforce"), leaked) == {"revoked", "signers"}

	# Without the list, warn and shadow let the pull request through (the check would be green).
	denied_rules(fx.pr, rolling("warn"), {}) == set()
	denied_rules(fx.pr, shadow_rolling, {}) == set()
}

test_a_revoked_model_denies_a_statement_of_a_signer_not_allowed_in_warn_and_shadow if {
	rev := list("models", [{"model": "anthropic/claude-sonnet-4-5"}])
	denied_rules(fx.pr, rolling("warn"), rev) == {"revoked"}
	denied_rules(fx.pr, shadow_rolling, rev) == {"revoked"}
}

test_a_signed_commit_of_a_revoked_signer_denies_in_warn_and_shadow if {
	every cfg in [rolling("warn"), rolling("off"), rolling("enforce"), shadow_rolling] {
		revoked_msgs(signed_pr, cfg, list("commit_keys", [{"fingerprint": fp}])) == {concat("", ["commit 2222222 (head): commit signing certificate ", fp, " is revoked by the organisation"])}
		revoked_msgs(signed_pr, cfg, leaked) == {concat("", ["commit 2222222 (head): signer `", fx.signer.identity, "` is revoked by the organisation: leaked"])}
	}
}

test_a_revoked_platform_signer_denies_in_warn_and_shadow if {
	rev := list("signers", [{"identity": "copilot", "issuer": "https://github.com"}])
	every cfg in [rolling("warn"), shadow_rolling] {
		count(revoked_msgs(platform_pr, cfg, rev)) == 1
	}
}

# Beside an allowed statement, a stranger's bundle is ignored (the signers rule warns of it) and carries nothing the
# decision rests on: a stranger holding a revoked key cannot block a pull request with it. With the signers rule off,
# every signer vouches and every statement is judged, so the list is matched against it too.
statement(s) := object.union(object.remove(fx.provenance, ["status"]), {"tier": "sigstore", "signer": s})

beside_pr := object.union(fx.pr, {"commits": [object.union(object.remove(fx.agent_commit(sha), ["provenance"]), {
	"attestations": [statement(object.union(fx.signer, successor)), statement(fx.signer)],
	"provenance": {"status": "attested"},
}) |
	some sha in [fx.first, fx.head]
]})

test_a_strangers_revoked_signer_beside_an_allowed_one_does_not_block if {
	every cfg in [rolling("enforce"), rolling("warn"), shadow_rolling] {
		count(revoked_msgs(beside_pr, cfg, leaked)) == 0
	}
	denied_rules(beside_pr, rolling("enforce"), leaked) == set()
	count(revoked_msgs(beside_pr, rolling("off"), leaked)) == 2
}

test_the_finding_names_the_list if {
	some f in decide(fx.pr, fx.config, list("agents", [{"name": "claude-code", "reason": "r"}])).deny
	f.rule == "revoked"
	f.severity == "critical"
	f.details.source == "acme/.github:.github/agent-gate-revocations.yml (default branch)"
	f.details.reason == "r"
}

deploy(inp, rev) := {f.msg | some f in d.deny; f.rule == "revoked"} if {
	d := deployment.decision with input as inp with data.config as fx.deploy_config with data.revoked as rev
}

test_a_deployment_with_a_revoked_attestation_signer_is_rejected if {
	rev := list("signers", [{"identity": fx.deployment.artifacts[0].attestations[0].signer.identity, "issuer": "https://token.actions.githubusercontent.com", "reason": "leaked"}])
	deploy(fx.deployment, rev) == {concat("", ["artifact `sha256:dddddddddddd`: signer `", fx.deployment.artifacts[0].attestations[0].signer.identity, "` is revoked by the organisation: leaked"])}
	count(deploy(fx.deployment, {})) == 0
}

test_a_deployment_of_revoked_agent_work_is_rejected if {
	inp := object.union(fx.deployment, {"pr_evidence": [{"tier": "sigstore", "signer": fx.signer, "model": fx.provenance.model, "agent": fx.provenance.agent}]})
	deploy(inp, list("models", [{"model": "anthropic/claude-sonnet-4-5"}])) == {"commit 2222222: its pull request's evidence names model anthropic/claude-sonnet-4-5, revoked by the organisation"}
}

test_an_unverified_attestation_is_not_judged if {
	unverified := object.union(fx.deployment, {"artifacts": [object.union(fx.deployment.artifacts[0], {"attestations": [object.union(fx.deployment.artifacts[0].attestations[0], {"verified": false})]})]})
	count(deploy(unverified, list("signers", [{"owner": "acme"}]))) == 0
}

test_a_key_of_the_key_ring_by_name if {
	key_signer := {"type": "key", "key_hint": "ring-1", "extensions": {}}
	inp := fx.with_provenance(fx.pr, fx.head, {"signer": key_signer})
	cfg := fx.with_rules({"signers": {"allowed": [{"identity": fx.signer.identity, "issuer": fx.signer.issuer}, {"key": "ring-1"}]}})
	revoked_msgs(inp, cfg, list("signers", [{"key": "ring-1"}])) == {"commit 2222222 (head): signer `key ring-1` is revoked by the organisation"}
}

test_a_signer_without_a_name_reads_unnamed if {
	some m in data.agent_gate.lib.revoked_matches({"signer": {"type": "certificate", "certificate_fingerprint": fp}}) with data.revoked as list("certificates", [{"fingerprint": fp}])
	m.kind == "certificates"
	data.agent_gate.lib._signer_name({"type": "certificate"}) == "(unnamed)"
}

# Deployments match every verified attestation of a deployed artifact and all of the pull request's recorded evidence,
# whichever signers the environment lists: no signer entry narrows what the list is matched against.
test_a_deployment_matches_attestations_of_signers_the_environment_does_not_list if {
	release := fx.deployment.artifacts[0].attestations[0].signer.identity
	other := "https://github.com/acme/web/.github/workflows/release-v2.yml@refs/heads/main"
	cfg := object.union(fx.deploy_config, {"deployments": {"default": {"signers": [{"identity": other, "issuer": "https://token.actions.githubusercontent.com"}]}}})
	rev := list("signers", [{"identity": release, "issuer": "https://token.actions.githubusercontent.com"}])
	d := deployment.decision with input as fx.deployment with data.config as cfg with data.revoked as rev
	"revoked" in {f.rule | some f in d.deny}

	stranger := object.union(fx.signer, {"identity": "https://github.com/evil/x/.github/workflows/a.yml@refs/heads/main"})
	inp := object.union(fx.deployment, {"pr_evidence": [{"tier": "sigstore", "signer": stranger, "model": fx.provenance.model}]})
	count(deploy(inp, list("models", [{"model": "anthropic/claude-sonnet-4-5"}]))) == 1
}
