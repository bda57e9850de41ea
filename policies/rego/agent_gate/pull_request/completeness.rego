# Rule 8: completeness. agent-gate judges only what it saw whole: a list GitHub cut short at its limit, or that
# holds fewer items than the pull request says it has, denies ("too many ... to evaluate"). Commits and files
# decide who wrote what and which paths changed, so they count for every pull request; reviews and comments decide
# approvals and evidence, so they count for agent pull requests.
package agent_gate.pull_request

import data.agent_gate.lib

_lists := {"commits": "commits", "files": "changed files", "reviews": "reviews", "comments": "comments"}

_every_pr := {"commits", "files"}

_judged_list(name) if _every_pr[name]

_judged_list(name) if {
	not _every_pr[name]
	agent_pr
}

# Why a list is incomplete, one reason each: cut at its limit; short of the count GitHub reports; or marked truncated
# under its limit with no count that tells how short (a read whose pages ended before GitHub's count).
_incomplete(l) := concat("", ["GitHub lists at most ", format_int(l.limit, 10), " and this pull request has more"]) if _at_limit(l)

_incomplete(l) := concat("", ["GitHub listed ", format_int(l.listed, 10), " of the ", format_int(l.reported, 10), " the pull request reports"]) if {
	not _at_limit(l)
	_short(l)
}

_incomplete(l) := concat("", ["GitHub listed ", format_int(l.listed, 10), " and said there were more"]) if {
	l.truncated == true
	not _at_limit(l)
	not _short(l)
}

_at_limit(l) if {
	l.truncated == true
	l.listed >= l.limit
}

_short(l) if {
	is_number(l.reported)
	l.listed < l.reported
}

deny contains {
	"rule": "completeness",
	"severity": "critical",
	"msg": concat("", ["too many ", _lists[name], " to evaluate: ", why, "; agent-gate cannot judge what it cannot see"]),
	"remediation": "split the pull request into smaller ones (or, for comments and reviews, ask a maintainer to lock or clean up the conversation), then re-run agent-gate",
	"details": {"list": name, "listed": l.listed, "reported": object.get(l, "reported", null), "limit": l.limit},
} if {
	not lib.value_at(rules, ["completeness", "enabled"], false)
	some name, l in object.get(input, "completeness", {})
	_lists[name]
	_judged_list(name)
	why := _incomplete(l)
}

# Provenance blocks that could not be read are shown, never dropped: a warning names each (at most 10).
warn contains {
	"rule": "evidence",
	"severity": "medium",
	"msg": concat("", ["a provenance block ", _where(p), " could not be read: ", p.message]),
	"remediation": "re-publish the provenance with agent-gate attest; a block that cannot be read proves nothing",
	"details": {"location": p.location, "comment_id": object.get(p, "comment_id", null)},
} if {
	some i, p in object.get(input, "evidence_problems", [])
	i < 10
}

# Past the tenth, one more warning counts the rest: noise cannot hide how much evidence failed to read.
warn contains {
	"rule": "evidence",
	"severity": "medium",
	"msg": concat("", [
		format_int(n - 10, 10), " more provenance ", lib.plural(n - 10, "block"),
		" could not be read (", format_int(n, 10), " in all; the first 10 are listed)",
	]),
	"remediation": "re-publish the provenance with agent-gate attest, and remove the broken blocks; a block that cannot be read proves nothing",
	"details": {"count": n},
} if {
	n := count(object.get(input, "evidence_problems", []))
	n > 10
}

_where(p) := "in the PR description" if p.location == "pr-body"

_where(p) := concat("", ["in a comment by ", lib.at({"login": p.author})]) if {
	p.location == "pr-comment"
	is_string(p.author)
}

_where(p) := "in a comment" if {
	p.location == "pr-comment"
	not lib.string_at(p, ["author"])
}
