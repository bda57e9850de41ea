# Rule 6: human approval with separation of duties. Only approvals on the head commit count, from humans with
# write access who are neither the agent nor someone who prompted it; bots never count.
package agent_gate.pull_request

import data.agent_gate.lib

_required := rules.human_approval.count

# Approvals on the head commit that were set aside, with the reason, so reviewers see why they did not count.
# An array ordered by login: a set of objects would serialise in an evaluator-specific order.
_ignored_reason[user.login] := "bot" if {
	some _, user in lib.head_approvers
	lib.is_bot(user)
}

_ignored_reason[user.login] := "agent or prompter" if {
	some id, user in lib.head_approvers
	not lib.is_bot(user)
	_separated(id, user)
}

_ignored_reason[user.login] := "no write access" if {
	some id, user in lib.head_approvers
	not lib.is_bot(user)
	not _separated(id, user)
	not lib.has_access(id)
}

_separated(id, user) if {
	rules.human_approval.separation_of_duties == true
	lib.excluded(id, user)
}

_ignored := [{"login": login, "reason": _ignored_reason[login]} | some login in sort(object.keys(_ignored_reason))]

# Said in the finding itself, so that a reviewer sees at once why an approval on the pull request did not count.
_not_counted := "" if count(_ignored) == 0

_not_counted := concat("", ["; not counted: ", concat(", ", [concat("", ["@", i.login, " (", i.reason, ")"]) | some i in _ignored])]) if {
	count(_ignored) > 0
}

deny contains {
	"rule": "human-approval",
	"severity": "high",
	"msg": concat("", [
		"an agent pull request needs ", format_int(_required, 10), " human ", lib.plural(_required, "approval"),
		" on the head commit ", lib.short(head_sha), " (has ", format_int(count(lib.approvers), 10), _not_counted, ")",
	]),
	"remediation": concat("", ["approval on the head commit from ", lib.approver_hint]),
	"details": {"required": _required, "approvers": sort(lib.approvers), "ignored": _ignored},
} if {
	agent_pr
	enabled("human_approval")
	count(lib.approvers) < _required
}
