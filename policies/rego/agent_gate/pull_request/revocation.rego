# Revocation (issue 18): evidence the organisation revoked (a signer, certificate, Rekor entry, model, agent or commit
# signing key, lib.revoked_matches) denies the pull request, naming the item and the reason. The rule `revoked` is
# no section of rules: rule modes and shadow mode never hold it back (modes.rego enforces what it does not know).
package agent_gate.pull_request

import data.agent_gate.lib

# Every attestation of every commit (statements, signed commits, platform signatures) is matched, in every mode, but
# one: the statement of a signer this repository's entries do not allow, on a commit that an allowed attestation
# covers (the signers rule ignores it, with a warning, and no rule judges it). That one carries nothing the decision
# rests on, and passing over it keeps a stranger's bundle from blocking a pull request it does not vouch for. A
# statement that is a commit's only cover is matched whoever signed it: with the signers rule in warn, or the config
# in shadow mode, the decision rests on it; enforced, the rule denies as well. With the rule off every signer vouches
# (lib.pr_signer_ok), so nothing is passed over. Rule modes only ever widen what is matched.
_passed_over(c, a) if {
	rule_mode("signers") != "off"
	not lib.value_at(a, ["tier"], "platform")
	not lib.signer_allowed(lib.pr_signer_entries, object.union({"type": "certificate"}, object.get(a, "signer", {})))
	lib.provenance(c)
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
	not _passed_over(c, a)
	some m in lib.revoked_matches(a)
}

# Commits GitHub did not list (past its limit of 250, or short of the count it reports) were never matched against the
# list. Revocation is the organisation's: under a list that names anything, a pull request whose commits are not all
# known is denied here, whatever mode the repository's completeness rule runs in (completeness.rego says why).
deny contains {
	"rule": "revoked",
	"severity": "critical",
	"msg": concat("", [_unlisted_commits(l), "; revocation cannot be checked (", why, "; the list is ", lib.revocation_source, ")"]),
	"remediation": "split the pull request into smaller ones (at most 250 commits), then re-run agent-gate",
	"details": {"list": "commits", "listed": l.listed, "reported": object.get(l, "reported", null), "limit": object.get(l, "limit", null), "source": lib.revocation_source},
} if {
	lib.revocation_listed
	l := input.completeness.commits
	why := _incomplete(l)
}

_unlisted_commits(l) := concat("", [format_int(n, 10), " ", lib.plural(n, "commit"), " ", _are(n), " past GitHub's list"]) if {
	is_number(l.reported)
	n := l.reported - l.listed
	n > 0
}

_unlisted_commits(l) := concat("", ["commits past the ", format_int(l.listed, 10), " GitHub listed are unknown"]) if {
	not _short(l)
}

_are(1) := "is"

_are(n) := "are" if n != 1
