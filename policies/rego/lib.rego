# (This file sits at policies/rego/ rather than under agent_gate/lib/ so that scripts/test.sh's `policies/**/*.rego`
# check, which bash expands without globstar as `policies/*/*.rego`, finds the sources and runs policy-check.sh.)
# Helpers shared by the pull-request and deployment decisions. Only builtins the wasm module implements
# natively are available (policies/capabilities.json): dates are compared with integer arithmetic here,
# never with time.* builtins; the host normalises every time to UTC "YYYY-MM-DDTHH:MM:SSZ".
package agent_gate.lib

# The configuration the host merged over the defaults (data.json holds the defaults).
default config := {}

config := data.config

short(sha) := substring(sha, 0, 7)

# A display name for a GitHub user: "@login", or "(unknown)" when the host had none.
at(user) := concat("", ["@", user.login]) if is_string(user.login)

at(user) := "(unknown)" if not string_at(user, ["login"])

# Negation note: OPA evaluates a reference passed to a builtin outside the `not`, so `not is_string(x.y)` is
# undefined (not true) when x.y is missing. These helpers take the parent and a path and are safe to negate.
string_at(x, path) if is_string(object.get(x, path, null))

object_at(x, path) if is_object(object.get(x, path, null))

value_at(x, path, want) if object.get(x, path, null) == want

is_bot(user) if user.type == "Bot"

is_bot(user) if endswith(user.login, "[bot]")

# Days since 1970-01-01 for "YYYY-MM-DD" (proleptic Gregorian; Howard Hinnant's days_from_civil, its 400-year eras
# folded into the leap-year terms): the year is counted from March, so that a leap day ends it, and the days before
# each month of such a year come from a table. Few arithmetic operations, each a decimal one in wasm.
days_from_civil(date) := days if {
	m := substring(date, 5, 2)
	y := to_number(substring(date, 0, 4)) - _march_year_shift[m]
	d := to_number(substring(date, 8, 2))
	days := ((((((y * 365) + floor(y / 4)) - floor(y / 100)) + floor(y / 400)) + _days_before_month[m]) + d) - 719469
}

# January and February belong to the year that started the March before.
_march_year_shift := {
	"01": 1, "02": 1, "03": 0, "04": 0, "05": 0, "06": 0,
	"07": 0, "08": 0, "09": 0, "10": 0, "11": 0, "12": 0,
}

# Days from March 1 to the first of each month.
_days_before_month := {
	"01": 306, "02": 337, "03": 0, "04": 31, "05": 61, "06": 92,
	"07": 122, "08": 153, "09": 184, "10": 214, "11": 245, "12": 275,
}

# Whether a text is shaped like a date "YYYY-MM-DD" (a cheap check, with no arithmetic).
is_date(d) if {
	count(d) == 10
	substring(d, 4, 1) == "-"
	substring(d, 7, 1) == "-"
	_days_before_month[substring(d, 5, 2)]
	to_number(substring(d, 0, 4))
	to_number(substring(d, 8, 2))
}

today := substring(input.now, 0, 10)

# Whole days from today (input.now) to the date "YYYY-MM-DD"; negative when it lies in the past.
days_until(date) := to_number(format_int(days_from_civil(date) - today_days, 10))

today_days := days_from_civil(today)

# People who may not approve agent work: the agent accounts, the people who prompted or requested the agent's work
# (signed delegation, PR-body lines, co-authors, the opener of an agent PR under a human account: the host lists
# them, some by login alone) and the authors of agent commits.
excluded_ids contains a.id if some a in input.agent.accounts

excluded_ids contains p.id if {
	some p in input.prompters
	is_number(p.id)
}

# Prompters named by login alone (no account id): matched case-insensitively, as GitHub matches logins.
excluded_login_keys contains lower(p.login) if {
	some p in input.prompters
	is_string(p.login)
}

excluded(id, _) if excluded_ids[id]

excluded(_, user) if excluded_login_keys[lower(user.login)]

excluded_ids contains id if {
	some c in input.commits
	p := c.provenance
	p.status == "verified"
	id := p.prompter.id
	is_number(id)
}

excluded_ids contains id if {
	some c in input.commits
	c.is_agent
	id := c.author.id
	is_number(id)
}

_state_changing := {"APPROVED", "CHANGES_REQUESTED", "DISMISSED"}

# A review is superseded by a later state-changing review by the same user.
_superseded(r) if {
	some r2 in input.reviews
	r2.user.id == r.user.id
	_state_changing[r2.state]
	r2.submitted_at > r.submitted_at
}

# The latest state-changing reviews that approve the head commit (a user's two approvals of the same second are
# both latest).
_head_approval contains r if {
	some r in input.reviews
	r.state == "APPROVED"
	r.commit_id == input.pull_request.head_sha
	not _superseded(r)
}

# Users whose latest state-changing review approves the head commit.
head_approvers[r.user.id] := r.user if some r in _head_approval

# GitHub's branch protection counts approvals only from people with write access; so does agent-gate, unless the
# configuration says otherwise. The host looks the permission up; an approval without one never counts.
_write_levels := {"admin", "write"}

require_write_access if not value_at(config, ["rules", "human_approval", "require_write_access"], false)

has_access(_) if not require_write_access

has_access(id) if {
	some r in _head_approval
	r.user.id == id
	_write_levels[r.permission]
}

# Approvers that count for separation of duties: humans with write access, never bots, never the agent or its
# prompters.
qualified_approvers contains user.login if {
	some id, user in head_approvers
	not is_bot(user)
	not excluded(id, user)
	has_access(id)
}

# Approvers that count when separation of duties is switched off: humans with write access, never bots.
human_approvers contains user.login if {
	some id, user in head_approvers
	not is_bot(user)
	has_access(id)
}

approvers := qualified_approvers if not value_at(config, ["rules", "human_approval", "separation_of_duties"], false)

approvers := human_approvers if value_at(config, ["rules", "human_approval", "separation_of_duties"], false)

# Logins of the people whose approval does not count, for remediation texts.
excluded_logins contains p.login if some p in input.prompters

excluded_logins contains c.provenance.prompter.login if {
	some c in input.commits
	c.provenance.status == "verified"
	is_string(c.provenance.prompter.login)
}

approver_hint := "a human maintainer with write access" if count(excluded_logins) == 0

approver_hint := concat("", ["a human maintainer with write access other than @", concat(", @", sort(excluded_logins)), " (who prompted the agent)"]) if {
	count(excluded_logins) > 0
}

plural(1, word) := word

plural(n, word) := concat("", [word, "s"]) if n != 1

has_key(x, key) if _ = x[key]
