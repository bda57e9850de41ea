# The deployment decision, deny and allow sides, on a compliant staging deployment with one fact changed at a time.
package agent_gate.deployment_test

import data.agent_gate.deployment
import data.agent_gate.test.fixtures as fx

decide(inp, cfg) := d if {
	d := deployment.decision with input as inp with data.config as cfg
}

denied(inp, cfg) := fx.rules_of(decide(inp, cfg).deny)

env(patch) := object.union(fx.deploy_config, {"deployments": patch})

test_trusted_artifact_on_gated_commit_is_approved if {
	d := decide(fx.deployment, fx.deploy_config)
	count(d.deny) == 0
	count(d.warn) == 0
}

test_default_config_trusts_no_builder if {
	"deployment-builders" in denied(fx.deployment, data.config)
}

test_other_input_version_denies if {
	"input" in denied(object.remove(fx.deployment, ["version"]), fx.deploy_config)
}

test_missing_config_denies if {
	"config" in denied(fx.deployment, {})
}

test_failed_pr_gate_denies if {
	d := decide(object.union(fx.deployment, {"pr_gate": {"conclusion": "failure"}}), fx.deploy_config)
	some f in d.deny
	f.rule == "pr-gate"
	f.msg == "commit 2222222 has not passed the pull-request gate (conclusion: failure)"
}

test_commit_never_gated_denies if {
	some f in decide(object.union(fx.deployment, {"pr_gate": null}), fx.deploy_config).deny
	f.rule == "pr-gate"
	f.details.conclusion == "none"
}

test_pr_gate_not_required if {
	inp := object.union(fx.deployment, {"pr_gate": null})
	not "pr-gate" in denied(inp, env({"default": {"require_pr_gate": false}}))
}

test_no_artifact_denies if {
	inp := object.union(fx.deployment, {"artifacts": []})
	"deployment-attestations" in denied(inp, fx.deploy_config)
	not "deployment-attestations" in denied(inp, env({"default": {"require_artifacts": false}}))
}

unsigned := object.union(fx.deployment, {"artifacts": [object.union(fx.deployment.artifacts[0], {"attestations": [{"verified": false, "failure_code": "SIGNATURE_INVALID", "signer": {}}]})]})

test_unsigned_artifact_denies_and_names_the_failure if {
	d := decide(unsigned, fx.deploy_config)
	some f in d.deny
	f.rule == "deployment-attestations"
	f.details.failures == ["SIGNATURE_INVALID"]
	some w in d.warn
	contains(w.msg, "SIGNATURE_INVALID")
}

test_required_sbom_missing_denies if {
	cfg := env({"default": {"predicate_types": ["https://slsa.dev/provenance/v1", "https://spdx.dev/Document"]}})
	some f in decide(fx.deployment, cfg).deny
	f.rule == "deployment-attestations"
	f.details.predicate_type == "https://spdx.dev/Document"
}

test_untrusted_builder_denies if {
	att := object.union(fx.deployment.artifacts[0].attestations[0], {"builder_id": "https://github.com/acme/web/.github/workflows/other.yml@refs/heads/main"})
	inp := object.union(fx.deployment, {"artifacts": [object.union(fx.deployment.artifacts[0], {"attestations": [att]})]})
	some f in decide(inp, fx.deploy_config).deny
	f.rule == "deployment-builders"
	f.details.builders == ["https://github.com/acme/web/.github/workflows/other.yml@refs/heads/main"]
}

test_attestation_signer_must_be_allowed_when_listed if {
	other := {"identity": "https://github.com/acme/web/.github/workflows/other.yml@refs/heads/main", "issuer": "https://token.actions.githubusercontent.com"}
	"deployment-builders" in denied(fx.deployment, env({"default": {"signers": [other]}}))
	not "deployment-builders" in denied(fx.deployment, env({"default": {"signers": [fx.deployment.artifacts[0].attestations[0].signer]}}))
}

test_region_outside_residency_denies if {
	cfg := env({"environments": {"staging": {"regions": ["us-east-1"]}}})
	some f in decide(fx.deployment, cfg).deny
	f.rule == "data-residency"
	f.msg == "staging may not deploy to region eu-west-1; allowed: us-east-1"
	not "data-residency" in denied(fx.deployment, env({"environments": {"staging": {"regions": ["eu-west-1"]}}}))
}

test_missing_region_denies_when_regions_are_set if {
	inp := object.union(object.remove(fx.deployment, ["deployment"]), {"deployment": object.remove(fx.deployment.deployment, ["region"])})
	"data-residency" in denied(inp, env({"environments": {"staging": {"regions": ["eu-west-1"]}}}))
	not "data-residency" in denied(inp, fx.deploy_config)
}

prod := object.union(fx.deployment, {"environment": {"name": "production"}})

test_agent_commit_to_production_needs_extra_approval if {
	some f in decide(prod, fx.deploy_config).deny
	f.rule == "deployment-approval"
	f.msg == "the deployment to production needs 1 human approval because the commit is agent-authored (has 0)"
}

test_agent_commit_to_production_with_human_approval_passes if {
	inp := object.union(prod, {"approvals": [{"login": "bob", "id": 1002, "type": "User"}]})
	count(decide(inp, fx.deploy_config).deny) == 0
}

test_prompter_and_bot_approvals_do_not_count if {
	inp := object.union(prod, {"approvals": [{"login": "alice", "id": 1001, "type": "User"}, {"login": "deploy[bot]", "id": 7, "type": "Bot"}]})
	"deployment-approval" in denied(inp, fx.deploy_config)
}

# A prompter the pull-request gate knew by login alone (a PR-body line, a co-author) is excluded by login, in any case.
test_login_only_prompter_approval_does_not_count if {
	inp := object.union(prod, {"prompters": [{"login": "Carol"}], "approvals": [{"login": "carol", "id": 1003, "type": "User"}]})
	some f in decide(inp, fx.deploy_config).deny
	f.rule == "deployment-approval"
	f.details.approvers == []
	ok := object.union(inp, {"approvals": [{"login": "bob", "id": 1002, "type": "User"}]})
	count(decide(ok, fx.deploy_config).deny) == 0
}

# Without a recorded pull-request decision the prompters are unknown: no approval of an agent's deployment counts.
test_unknown_prompters_count_no_approval_of_agent_work if {
	inp := object.union(prod, {"prompters": [], "prompters_known": false, "approvals": [{"login": "bob", "id": 1002, "type": "User"}]})
	some f in decide(inp, fx.deploy_config).deny
	f.rule == "deployment-approval"
	f.msg == "the deployment to production needs 1 human approval because the commit is agent-authored (has 0); the prompters are unknown (no recorded pull-request decision for this commit says whom it kept from approving), so no approval counts"
	f.details.prompters_known == false
	"deployment-approval" in denied(object.remove(inp, ["prompters_known"]), fx.deploy_config)
}

test_unknown_prompters_do_not_matter_for_human_work if {
	inp := object.union(prod, {"agent_authored": false, "prompters": [], "prompters_known": false})
	not "deployment-approval" in denied(inp, fx.deploy_config)
	staff := object.union(inp, {"environment": {"name": "staging"}})
	count(decide(staff, fx.deploy_config).deny) == 0
}

test_human_commit_to_production_needs_no_extra_approval if {
	not "deployment-approval" in denied(object.union(prod, {"agent_authored": false}), fx.deploy_config)
}

test_deployments_off if {
	count(decide(unsigned, env({"enabled": false})).deny) == 0
}

test_input_without_facts_denies if {
	some f in decide(object.remove(fx.deployment, ["artifacts"]), fx.deploy_config).deny
	f.rule == "input"
	f.details.field == "artifacts"
}

# An attestation counts only for the repository it was built from, unless the environment names others.
_with_source(src) := object.union(fx.deployment, {"artifacts": [object.union(a, {"attestations": [object.union(att, {"source_repository": src}) | some att in a.attestations]}) | some a in fx.deployment.artifacts]})

test_attestation_from_another_repository_denies if {
	d := data.agent_gate.deployment.decision with input as _with_source("acme/other") with data.config as fx.deploy_config
	some f in d.deny
	f.msg == "artifact `sha256:dddddddddddd`: an attestation was built from acme/other, not acme/web"
	"deployment-attestations" in fx.rules_of(d.deny)
}

test_attestation_without_source_denies if {
	inp := object.union(fx.deployment, {"artifacts": [object.union(a, {"attestations": [object.remove(att, ["source_repository"]) | some att in a.attestations]}) | some a in fx.deployment.artifacts]})
	d := data.agent_gate.deployment.decision with input as inp with data.config as fx.deploy_config
	some f in d.deny
	contains(f.msg, "an unknown repository")
}

test_source_repositories_admit_another_repository if {
	cfg := object.union(fx.deploy_config, {"deployments": {"default": {"source_repositories": ["ACME/Other"]}}})
	d := data.agent_gate.deployment.decision with input as _with_source("acme/other") with data.config as cfg
	count(d.deny) == 0
	d2 := data.agent_gate.deployment.decision with input as _with_source("Acme/Web") with data.config as fx.deploy_config
	count(d2.deny) == 0
}

# GitHub matches environment names case-insensitively: "Production" gets production's extra approval.
test_environment_names_match_case_insensitively if {
	inp := object.union(fx.deployment, {"environment": {"name": "Production"}})
	d := data.agent_gate.deployment.decision with input as inp with data.config as fx.deploy_config
	some f in d.deny
	f.rule == "deployment-approval"
}
