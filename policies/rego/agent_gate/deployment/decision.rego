# The deployment gate's decision: attestations and trusted builders per environment, data residency,
# an extra human approval for agent-authored changes, and a passed pull-request gate.
package agent_gate.deployment

import data.agent_gate.lib

decision := {"deny": deny, "warn": warn}

_cfg := lib.config.deployments

env_name := input.environment.name

# The environment's settings: deployments.environments[name] over deployments.default. Names are matched as GitHub
# matches them, case-insensitively (the host refuses a config with two names that differ only in case).
_env_key := k if {
	some k, _ in _cfg.environments
	lower(k) == lower(env_name)
}

env := object.union(_cfg["default"], _cfg.environments[_env_key])

env := _cfg["default"] if not _has_env_key

_has_env_key if _env_key

repository := concat("/", [input.repository.owner, input.repository.name])

# An attestation counts only for the repository its certificate says the artifact was built from, or for those the
# environment names in source_repositories: a build of another repository is not this repository's artifact.
_sources contains lower(repository)

_sources contains lower(r) if some r in object.get(env, "source_repositories", [])

_from_here(att) if _sources[lower(att.source_repository)]

# With signers listed, only an allowed signer's attestation counts; a verified one from another signer is reported
# (deployment-builders) but cannot stand in for an allowed one.
_counts(att) if {
	att.verified == true
	_from_here(att)
	_signer_fits(att)
}

_signer_fits(_) if count(env.signers) == 0

_signer_fits(att) if _signer_ok(att)

active if _cfg.enabled == true

sha := input.deployment.sha

deny contains {
	"rule": "input",
	"severity": "critical",
	"msg": "the policy input is not version 1",
	"remediation": "run an agent-gate and a policy bundle that speak the same input version",
	"details": {"version": object.get(input, "version", null)},
} if {
	not lib.value_at(input, ["version"], 1)
}

deny contains {
	"rule": "config",
	"severity": "critical",
	"msg": "the policy data has no config.deployments",
	"remediation": "pass the merged .github/agent-gate.yml configuration as policy data",
	"details": {},
} if {
	not lib.object_at(lib.config, ["deployments", "default"])
}

# The commit passed agent-gate's pull-request gate.
_gate_conclusion := input.pr_gate.conclusion if is_string(input.pr_gate.conclusion)

_gate_conclusion := "none" if not lib.string_at(input, ["pr_gate", "conclusion"])

deny contains {
	"rule": "pr-gate",
	"severity": "critical",
	"msg": concat("", ["commit ", lib.short(sha), " has not passed the pull-request gate (conclusion: ", _gate_conclusion, ")"]),
	"remediation": "deploy a commit that passed agent-gate's pull-request check",
	"details": {"sha": sha, "conclusion": _gate_conclusion},
} if {
	active
	env.require_pr_gate == true
	_gate_conclusion != "success"
}

# Attestations: every artifact has a verified attestation of each required predicate type.
_artifact_label(a) := concat("", ["artifact `", substring(a.digest, 0, 19), "`"])

deny contains {
	"rule": "deployment-attestations",
	"severity": "critical",
	"msg": concat("", ["the deployment to ", env_name, " names no artifact to verify"]),
	"remediation": "name the artifact digests in the deployment payload or in deployments.environments in .github/agent-gate.yml",
	"details": {"environment": env_name},
} if {
	active
	env.require_artifacts == true
	count(object.get(input, "artifacts", [])) == 0
}

_verified_of_type(a, t) := [att |
	some att in a.attestations
	_counts(att)
	att.predicate_type == t
]

deny contains {
	"rule": "deployment-attestations",
	"severity": "critical",
	"msg": concat("", [_artifact_label(a), ": an attestation was built from ", _built_from(att), ", not ", repository]),
	"remediation": "deploy an artifact built from this repository, or add its source to deployments.environments.<name>.source_repositories",
	"details": {"digest": a.digest, "source_repository": object.get(att, "source_repository", null), "allowed": sort(_sources)},
} if {
	active
	some a in input.artifacts
	some att in a.attestations
	att.verified == true
	not _from_here(att)
}

_built_from(att) := att.source_repository if is_string(att.source_repository)

_built_from(att) := "an unknown repository (the certificate names none)" if not lib.string_at(att, ["source_repository"])

deny contains {
	"rule": "deployment-attestations",
	"severity": "critical",
	"msg": concat("", [_artifact_label(a), " has no verified attestation of type ", t]),
	"remediation": "attest the artifact in the release workflow (for example actions/attest-build-provenance)",
	"details": {"digest": a.digest, "predicate_type": t, "failures": [att.failure_code | some att in a.attestations; att.verified != true]},
} if {
	active
	some a in input.artifacts
	some t in env.predicate_types
	count(_verified_of_type(a, t)) == 0
}

# Trusted builders: SLSA provenance attestations must name a builder the environment trusts.
_slsa(att) if startswith(att.predicate_type, "https://slsa.dev/provenance/")

_provenance_of(a) := [att |
	some att in a.attestations
	_counts(att)
	_slsa(att)
]

_trusted_builder(att) if {
	some b in env.builders
	att.builder_id == b
}

deny contains {
	"rule": "deployment-builders",
	"severity": "critical",
	"msg": concat("", [_artifact_label(a), " was not built by a builder trusted for ", env_name]),
	"remediation": "build the artifact with a trusted builder, or add its builder id to deployments.environments.<name>.builders",
	"details": {"digest": a.digest, "builders": sort({att.builder_id | some att in _provenance_of(a)}), "trusted": env.builders},
} if {
	active
	some a in input.artifacts
	count(_provenance_of(a)) > 0
	not _any_trusted(a)
}

_any_trusted(a) if {
	some att in _provenance_of(a)
	_trusted_builder(att)
}

# The environment's signer entries match as the pull request's do (lib.signer_matches); an attestation's signer is a
# certificate unless it says otherwise.
_signer_ok(att) if lib.signer_allowed(env.signers, object.union({"type": "certificate"}, att.signer))

# A verified attestation from a signer the environment does not list: denied when the artifact has no attestation
# from an allowed signer, else a warning (anyone able to attest in the repository could otherwise block a deploy).
_any_allowed(a) if {
	some att in a.attestations
	att.verified == true
	_signer_ok(att)
}

_unlisted(a) := [att |
	some att in a.attestations
	att.verified == true
	not _signer_ok(att)
]

deny contains {
	"rule": "deployment-builders",
	"severity": "critical",
	"msg": concat("", [_artifact_label(a), ": attestation signed by `", object.get(att.signer, "identity", ""), "`, which may not vouch for ", env_name]),
	"remediation": "sign attestations from the release workflow, or add it to deployments.environments.<name>.signers",
	"details": {"digest": a.digest, "signer": att.signer, "allowed": env.signers},
} if {
	active
	count(env.signers) > 0
	some a in input.artifacts
	not _any_allowed(a)
	some att in _unlisted(a)
}

warn contains {
	"rule": "deployment-builders",
	"severity": "low",
	"msg": concat("", [_artifact_label(a), ": an attestation signed by `", object.get(att.signer, "identity", ""), "` is not from a signer listed for ", env_name, "; it was ignored"]),
	"remediation": "nothing to do if the allowed signer's attestation is the one meant",
	"details": {"digest": a.digest, "signer": att.signer},
} if {
	active
	count(env.signers) > 0
	some a in input.artifacts
	_any_allowed(a)
	some att in _unlisted(a)
}

warn contains {
	"rule": "deployment-attestations",
	"severity": "low",
	"msg": concat("", [_artifact_label(a), ": an attestation failed verification (", object.get(att, "failure_code", "unknown"), ")"]),
	"remediation": "check the attestation's signer and subject; verified attestations were used instead",
	"details": {"digest": a.digest, "failure_code": object.get(att, "failure_code", null)},
} if {
	active
	some a in input.artifacts
	some att in a.attestations
	att.verified != true
}

# Data residency: the environment may deploy only to its regions.
deny contains {
	"rule": "data-residency",
	"severity": "high",
	"msg": concat("", ["the deployment to ", env_name, " names no region; allowed: ", concat(", ", env.regions)]),
	"remediation": "name the target region in the deployment payload",
	"details": {"allowed": env.regions},
} if {
	active
	count(env.regions) > 0
	not lib.string_at(input, ["deployment", "region"])
}

deny contains {
	"rule": "data-residency",
	"severity": "high",
	"msg": concat("", [env_name, " may not deploy to region ", input.deployment.region, "; allowed: ", concat(", ", env.regions)]),
	"remediation": "deploy to an allowed region, or change deployments.environments.<name>.regions",
	"details": {"region": input.deployment.region, "allowed": env.regions},
} if {
	active
	count(env.regions) > 0
	is_string(input.deployment.region)
	not input.deployment.region in env.regions
}

# Approvals: agent-authored commits need extra human approvals (never a bot, the agent or a prompter). Prompters
# are matched by account id or, named by login alone (a PR-body line, a co-author), by login case-insensitively, as
# the pull-request gate matches them.
_excluded_ids contains a.id if some a in input.agent.accounts

_excluded_ids contains p.id if {
	some p in input.prompters
	is_number(p.id)
}

_excluded_logins contains lower(p.login) if {
	some p in input.prompters
	is_string(p.login)
}

_excluded(a) if _excluded_ids[a.id]

_excluded(a) if _excluded_logins[lower(a.login)]

# Without recorded pull-request decisions that each say whom they kept from approving (their `excluded`: an older
# record does not) the prompters are unknown: any approver of an agent's deployment could be one, so none counts
# (fail closed).
_prompters_unknown if {
	input.agent_authored == true
	not input.prompters_known == true
}

_approvers contains a.login if {
	not _prompters_unknown
	some a in input.approvals
	not lib.is_bot(a)
	not _excluded(a)
}

_extra := env.agent_extra_approvals if input.agent_authored == true

_extra := 0 if not lib.value_at(input, ["agent_authored"], true)

_needed := env.approvals + _extra

deny contains {
	"rule": "deployment-approval",
	"severity": "high",
	"msg": concat("", [
		"the deployment to ", env_name, " needs ", format_int(_needed, 10), " human ", lib.plural(_needed, "approval"),
		_agent_note, " (has ", format_int(count(_approvers), 10), ")", _unknown_note,
	]),
	"remediation": "a reviewer of the environment who did not prompt the agent approves the deployment",
	"details": {"required": _needed, "approvers": sort(_approvers), "agent_authored": input.agent_authored == true, "prompters_known": _prompters_known},
} if {
	active
	count(_approvers) < _needed
}

_agent_note := " because the commit is agent-authored" if _extra > 0

_agent_note := "" if _extra == 0

_unknown_note := "; the prompters are unknown (no recorded pull-request decision for this commit says whom it kept from approving), so no approval counts" if _prompters_unknown

_unknown_note := "" if not _prompters_unknown

_prompters_known := false if _prompters_unknown

_prompters_known if not _prompters_unknown

# An input without the facts the rules read would pass by silence: deny it instead.
_input_fields := {"now", "repository", "environment", "deployment", "artifacts", "pr_gate", "approvals", "agent_authored"}

deny contains {
	"rule": "input",
	"severity": "critical",
	"msg": concat("", ["the policy input has no ", k]),
	"remediation": "build the input with agent-gate's policy-input module (docs/policy-input.deployment.schema.json)",
	"details": {"field": k},
} if {
	some k in _input_fields
	not lib.has_key(input, k)
}
