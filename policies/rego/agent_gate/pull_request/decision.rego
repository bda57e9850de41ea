# The pull-request gate's decision: conftest-style deny/warn sets of {msg, rule, severity, remediation, details}.
# Each rule lives in its own file of this package and is switched and parameterised by data.config.rules.
package agent_gate.pull_request

import data.agent_gate.lib

# deny holds the enforced findings only; would_deny those of warn-mode rules and, under shadow, of every rule
# (modes.rego), modes the mode each rule ran in, evidence which verified attestations the rules counted, and
# excluded who may not approve the agent's work (recorded with the decision: a deployment of the commit reads it).
decision := {
	"deny": enforced_deny,
	"warn": warn,
	"would_deny": would_deny,
	"modes": modes,
	"evidence": evidence,
	"excluded": excluded,
}

# Everyone lib keeps from approving, as it matches them: account ids, and lowercased logins (some people are named
# by login alone). The prompters and requesters of the attestations the decision rests on are named only here: a
# deployment cannot tell them from a stranger's statement's without the policy's judgement.
excluded := {"ids": sort(lib.excluded_ids), "logins": sort(lib.excluded_login_keys)}

rules := lib.config.rules

head_sha := input.pull_request.head_sha

repository := concat("/", [input.repository.owner, input.repository.name])

agent_pr if input.agent.detected == true

enabled(name) if {
	rules[name].enabled == true
	not lib.value_at(rules, [name, "mode"], "off")
}

# Commits are judged while iterating arrays, never collected into sets: building, hashing and iterating sets of
# commits (or of their indices) is costly, in wasm above all.
agent_commit(c) if c.is_agent == true

# Some verified statement covers the commit, whoever signed it (the signers rule judges who).
attested(c) if count(lib.attestations(c)) > 0

# The attestations of a commit the model and prompt rules judge, of those the decision rests on
# (lib.judged_attestations: the allowed ones, or an agent commit's every one when it has none, whatever mode the
# signers and coverage rules run in): every one not of tier platform, or, when the platform's signature is all there
# is, that one (it names no model and no prompt).
judged_provenances(c) := [p | some p in ps; p.tier != "platform"] if {
	ps := lib.judged_attestations(c)
	some q in ps
	q.tier != "platform"
}

judged_provenances(c) := ps if {
	ps := lib.judged_attestations(c)
	every q in ps {
		q.tier == "platform"
	}
}

# Per commit that carries verified attestations, which of them the rules count (lib.provenances: a tier its agent
# accepts, a signer this repository allows) and which they ignore, and why: the check run shows only the counted
# ones as the change's provenance, and the ignored ones apart (a stranger can post a validly signed bundle).
evidence := [{"sha": c.sha, "accepted": [_evidence_ref(a) | some a in lib.provenances(c)], "ignored": _ignored_evidence(c)} |
	some c in input.commits
	count(lib.attestations(c)) > 0
]

_evidence_ref(a) := {"tier": a.tier, "bundle_digest": a.bundle_digest} if is_string(a.bundle_digest)

_evidence_ref(a) := {"tier": a.tier} if not lib.string_at(a, ["bundle_digest"])

_ignored_evidence(c) := array.concat(
	[object.union(_evidence_ref(a), {"reason": "tier-not-accepted"}) |
		some a in lib.attestations(c)
		not tier_accepted(c, a)
	],
	[object.union(_evidence_ref(a), {"reason": "signer-not-allowed"}) |
		some a in lib.attestations(c)
		a.tier != "platform"
		tier_accepted(c, a)
		not lib.pr_signer_ok(a.signer)
	],
)

# One entry per agent commit and judged attestation, in order, carrying that attestation as `provenance`: the
# evidence the model and prompt rules judge. A commit may appear several times; rules listing commits iterate
# input.commits instead. Selected once, as an array (iterating one costs no hashing).
attested_commits := [object.union(object.remove(c, ["provenance"]), {"provenance": p}) |
	some c in input.commits
	c.is_agent == true
	some p in judged_provenances(c)
]

author_name(c) := lib.at(c.author) if is_string(c.author.login)

author_name(c) := c.author.name if {
	not lib.string_at(c, ["author", "login"])
	is_string(c.author.name)
}

author_name(c) := "an unknown author" if {
	not lib.string_at(c, ["author", "login"])
	not lib.string_at(c, ["author", "name"])
}

commit_label(c) := concat("", ["commit ", lib.short(c.sha), " (head)"]) if c.sha == head_sha

commit_label(c) := concat("", ["commit ", lib.short(c.sha)]) if c.sha != head_sha

# Fail closed on a contract mismatch: an input of another version or a config without a section denies.
deny contains {
	"rule": "input",
	"severity": "critical",
	"msg": "the policy input is not version 1",
	"remediation": "run an agent-gate and a policy bundle that speak the same input version",
	"details": {"version": object.get(input, "version", null)},
} if {
	not lib.value_at(input, ["version"], 1)
}

_sections := {
	"provenance_coverage", "signers", "model_governance", "prompt",
	"protected_paths", "human_approval", "size",
}

deny contains {
	"rule": "config",
	"severity": "critical",
	"msg": concat("", ["the policy data has no config.rules.", s]),
	"remediation": "pass the merged .github/agent-gate.yml configuration as policy data (agent-gate does this; check a replaced bundle)",
	"details": {"section": s},
} if {
	some s in _sections
	not lib.object_at(lib.config, ["rules", s])
}

deny contains {
	"rule": "input",
	"severity": "critical",
	"msg": concat("", ["the head commit ", lib.short(head_sha), " is not among the pull request's commits"]),
	"remediation": "re-run agent-gate; the gathered commit list is incomplete",
	"details": {"head_sha": head_sha},
} if {
	input.version == 1
	not _head_listed
}

_head_listed if {
	some c in input.commits
	c.sha == head_sha
}

# An input without the facts the rules read would pass by silence: deny it instead.
_input_fields := {"now", "repository", "pull_request", "commits", "files", "reviews", "agent", "prompters"}

deny contains {
	"rule": "input",
	"severity": "critical",
	"msg": concat("", ["the policy input has no ", k]),
	"remediation": "build the input with agent-gate's policy-input module (docs/policy-input.pull-request.schema.json)",
	"details": {"field": k},
} if {
	some k in _input_fields
	not lib.has_key(input, k)
}
