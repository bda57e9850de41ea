# Revocation (issue 18): a deployment whose evidence the organisation revoked is rejected, naming the item: a verified
# attestation of a deployed artifact, or the provenance the pull-request gate recorded for the deployed commit
# (pr_evidence). Not switched by deployments.enabled: the organisation's list applies to every repository.
package agent_gate.deployment

import data.agent_gate.lib

deny contains {
	"rule": "revoked",
	"severity": "critical",
	"msg": concat("", [_artifact_label(a), ": ", m.item, " is revoked by the organisation", lib.reason_note(m)]),
	"remediation": concat("", ["deploy an artifact attested with evidence that is not revoked; the list is ", lib.revocation_source]),
	"details": {"digest": a.digest, "kind": m.kind, "item": m.item, "reason": m.reason, "source": lib.revocation_source},
} if {
	some a in input.artifacts
	some att in a.attestations
	att.verified == true
	some m in lib.revoked_matches(att)
}

deny contains {
	"rule": "revoked",
	"severity": "critical",
	"msg": concat("", ["commit ", lib.short(sha), ": its pull request's evidence names ", m.item, ", revoked by the organisation", lib.reason_note(m)]),
	"remediation": concat("", ["deploy a commit whose agent work rests on evidence that is not revoked; the list is ", lib.revocation_source]),
	"details": {"sha": sha, "kind": m.kind, "item": m.item, "reason": m.reason, "source": lib.revocation_source},
} if {
	some att in object.get(input, "pr_evidence", [])
	some m in lib.revoked_matches(att)
}

# An agent's deployment under a revocation list needs all of its pull request's evidence: without a recorded decision
# (unknown) or with evidence cut short (incomplete), nothing rules out that it rested on something revoked.
deny contains {
	"rule": "revoked",
	"severity": "critical",
	"msg": concat("", ["evidence of ", _evidence_pull, " ", st, "; cannot rule out revoked evidence (", lib.revocation_source, ")"]),
	"remediation": "have agent-gate judge the pull request again (its decision is recorded in the audit log), then deploy again",
	"details": {"sha": input.deployment.sha, "pr_evidence": st, "source": lib.revocation_source},
} if {
	lib.revocation_listed
	input.agent_authored == true
	st := object.get(object.get(input, "pr_evidence_status", {}), "state", "unknown")
	st != "complete"
}

_evidence_pull := concat("", ["PR #", format_int(input.pr_evidence_status.pull_request, 10)]) if is_number(input.pr_evidence_status.pull_request)

_evidence_pull := concat("", ["the pull request of commit ", lib.short(input.deployment.sha)]) if not is_number(object.get(object.get(input, "pr_evidence_status", {}), "pull_request", null))
