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

# Days since 1970-01-01 for "YYYY-MM-DD" (proleptic Gregorian; Howard Hinnant's days_from_civil).
days_from_civil(date) := days if {
	y0 := to_number(substring(date, 0, 4))
	m := to_number(substring(date, 5, 2))
	d := to_number(substring(date, 8, 2))
	y := y0 - _early_month(m)
	era := floor(y / 400)
	yoe := y - (era * 400)
	doy := (floor(((153 * _shifted_month(m)) + 2) / 5) + d) - 1
	doe := (((yoe * 365) + floor(yoe / 4)) - floor(yoe / 100)) + doy
	days := ((era * 146097) + doe) - 719468
}

_early_month(m) := 1 if m <= 2

_early_month(m) := 0 if m > 2

_shifted_month(m) := m - 3 if m > 2

_shifted_month(m) := m + 9 if m <= 2

today := substring(input.now, 0, 10)

# Whole days from today (input.now) to the date "YYYY-MM-DD"; negative when it lies in the past.
days_until(date) := to_number(format_int(days_from_civil(date) - today_days, 10))

today_days := days_from_civil(today)

# People who may not approve agent work: the agent accounts, the people who prompted the agent
# (host-listed and named in verified provenance) and the pull request's author when it is an agent.
excluded_ids contains a.id if some a in input.agent.accounts

excluded_ids contains p.id if some p in input.prompters

excluded_ids contains c.provenance.prompter.id if {
	some c in input.commits
	c.provenance.status == "verified"
	is_number(c.provenance.prompter.id)
}

excluded_ids contains c.author.id if {
	some c in input.commits
	c.is_agent
	is_number(c.author.id)
}

_state_changing := {"APPROVED", "CHANGES_REQUESTED", "DISMISSED"}

# A review is superseded by a later state-changing review by the same user.
_superseded(r) if {
	some r2 in input.reviews
	r2.user.id == r.user.id
	_state_changing[r2.state]
	r2.submitted_at > r.submitted_at
}

# Users whose latest state-changing review approves the head commit.
head_approvers[r.user.id] := r.user if {
	some r in input.reviews
	r.state == "APPROVED"
	r.commit_id == input.pull_request.head_sha
	not _superseded(r)
}

# Approvers that count for separation of duties: humans, never bots, never the agent or its prompters.
qualified_approvers contains user.login if {
	some id, user in head_approvers
	not is_bot(user)
	not excluded_ids[id]
}

# Approvers that count when separation of duties is switched off: humans, never bots.
human_approvers contains user.login if {
	some _, user in head_approvers
	not is_bot(user)
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

approver_hint := "a human maintainer" if count(excluded_logins) == 0

approver_hint := concat("", ["a human maintainer other than @", concat(", @", sort(excluded_logins)), " (who prompted the agent)"]) if {
	count(excluded_logins) > 0
}

plural(1, word) := word

plural(n, word) := concat("", [word, "s"]) if n != 1

has_key(x, key) if _ = x[key]
