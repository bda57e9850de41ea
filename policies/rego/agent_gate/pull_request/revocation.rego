# Revocation (issue 18): evidence the organisation revoked (a signer, certificate, Rekor entry, model, agent or commit
# signing key, lib.revoked_matches) denies the pull request, naming the item and the reason. The rule `revoked` is
# no section of rules: rule modes and shadow mode never hold it back (modes.rego enforces what it does not know).
package agent_gate.pull_request

import data.agent_gate.lib

# The attestations a decision may rest on: those of a signer this repository allows, and platform ones (lib.provenance
# chooses among them). A stranger's bundle from a revoked signer cannot block a pull request it does not vouch for.
_may_rest_on(a) if a.tier == "platform"

_may_rest_on(a) if {
	a.tier != "platform"
	lib.pr_signer_ok(object.union({"type": "certificate"}, a.signer))
}

deny contains {
	"rule": "revoked",
	"severity": "critical",
	"msg": concat("", [commit_label(c), ": ", m.item, " is revoked by the organisation", lib.reason_note(m)]),
	"remediation": concat("", ["redo the work with evidence that is not revoked; the list is ", lib.revocation_source]),
	"details": {"commit": c.sha, "kind": m.kind, "item": m.item, "reason": m.reason, "source": lib.revocation_source},
} if {
	some c in input.commits
	some a in lib.attestations(c)
	_may_rest_on(a)
	some m in lib.revoked_matches(a)
}
