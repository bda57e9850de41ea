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

# The prompter and requester any attestation the decision rests on names (judged_attestations), whatever the order
# of the bundles: never a stranger's statement beside an allowed one (a stranger's valid bundle could otherwise keep
# any maintainer from approving), but a stranger's statement that is an agent commit's only cover, in every mode of
# the signers rule (in warn it is what the commit passes on; enforced, the signers rule denies anyway).
excluded_ids contains id if {
	some c in input.commits
	some p in judged_attestations(c)
	some who in [object.get(p, "prompter", {}), object.get(p, "requested_by", {})]
	id := who.id
	is_number(id)
}

excluded_login_keys contains lower(who.login) if {
	some c in input.commits
	some p in judged_attestations(c)
	some who in [object.get(p, "prompter", {}), object.get(p, "requested_by", {})]
	is_string(who.login)
}

excluded_ids contains id if {
	some c in input.commits
	c.is_agent
	id := c.author.id
	is_number(id)
}

_state_changing := {"APPROVED", "CHANGES_REQUESTED", "DISMISSED"}

# A review is superseded by a later state-changing review by the same user: submitted later, or in the same second
# (GitHub's times have whole seconds) and later in GitHub's order, the `order` the host gives every review (its
# database id, else its place in GitHub's chronological list). A tie nothing orders (either has no `order`, or both
# the same) supersedes both ways, so the user's approval does not count: GitHub counts the latest, and which that is
# cannot be told.
_superseded(r) if {
	some r2 in input.reviews
	r2.user.id == r.user.id
	_state_changing[r2.state]
	_later(r2, r)
}

_later(r2, r) if r2.submitted_at > r.submitted_at

_later(r2, r) if {
	r2.submitted_at == r.submitted_at
	r2.order > r.order
}

_later(r2, r) if {
	r2.submitted_at == r.submitted_at
	r2 != r
	not _ordered(r2, r)
}

_ordered(a, b) if {
	is_number(a.order)
	is_number(b.order)
	a.order != b.order
}

# The latest state-changing reviews that approve the head commit.
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

excluded_logins contains login if {
	some c in input.commits
	some p in judged_attestations(c)
	some who in [object.get(p, "prompter", {}), object.get(p, "requested_by", {})]
	login := who.login
	is_string(login)
}

approver_hint := "a human maintainer with write access" if count(excluded_logins) == 0

approver_hint := concat("", ["a human maintainer with write access other than @", concat(", @", sort(excluded_logins)), " (who prompted the agent)"]) if {
	count(excluded_logins) > 0
}

plural(1, word) := word

plural(n, word) := concat("", [word, "s"]) if n != 1

has_key(x, key) if _ = x[key]

# Signer trust (issues 15 and 17): the host verifies every bundle against the trusted root for ANY certificate
# identity (and the key-ring keys the config names) and passes the signer's facts; whether that signer may vouch is
# decided here, by the entries of rules.signers (pull requests) or deployments.*.signers (deployments).
github_actions_issuer := "https://token.actions.githubusercontent.com"

# An exact identity and issuer.
signer_matches(e, s) if {
	is_string(e.identity)
	s.type == "certificate"
	e.identity == s.identity
	e.issuer == s.issuer
}

# An RE2 pattern over the whole identity (the host refuses unanchored patterns; it is anchored again here).
signer_matches(e, s) if {
	is_string(e.identity_pattern)
	s.type == "certificate"
	e.issuer == s.issuer
	is_string(s.identity)
	regex.match(concat("", ["^(?:", e.identity_pattern, ")$"]), s.identity)
}

# A key of the App's key ring, by the name the config gives it.
signer_matches(e, s) if {
	is_string(e.key)
	s.type == "key"
	e.key == s.key_hint
}

# A GitHub Actions workflow, as `gh attestation verify` matches one: the signing workflow's owner (and repository,
# path, refs) from the certificate's identity, the source repository and ref from its Fulcio extensions, and the
# runner from its runner-environment extension (1.3.6.1.4.1.57264.1.11). Owners and repositories are compared
# case-insensitively, as GitHub names them; paths and refs exactly. A fact the certificate lacks never matches.
signer_matches(e, s) if {
	is_string(e.owner)
	s.type == "certificate"
	object.get(e, "issuer", github_actions_issuer) == s.issuer
	w := s.workflow
	lower(w.owner) == lower(e.owner)
	_same_name(e, "repo", w, "name")
	_same_text(e, "workflow", w, "path")
	_ref_listed(e, w)
	_same_name(e, "source_repository", s, "source_repository")
	_same_text(e, "source_ref", s, "source_ref")
	_runner_fits(e, s)
}

_same_name(e, k, _, _) if not has_key(e, k)

_same_name(e, k, x, xk) if {
	is_string(x[xk])
	lower(e[k]) == lower(x[xk])
}

_same_text(e, k, _, _) if not has_key(e, k)

_same_text(e, k, x, xk) if {
	is_string(x[xk])
	e[k] == x[xk]
}

_ref_listed(e, _) if not has_key(e, "refs")

_ref_listed(e, w) if {
	is_string(w.ref)
	w.ref in e.refs
}

_runner_fits(e, _) if object.get(e, "runner", "any") == "any"

_runner_fits(e, s) if {
	e.runner == "github-hosted"
	s.runner == "github-hosted"
}

signer_allowed(entries, s) if {
	some e in entries
	signer_matches(e, s)
}

# The signer entries of this repository: rules.signers.repositories[OWNER/NAME] (the name compared as GitHub does,
# case-insensitively), else rules.signers.allowed.
_repo_key := k if {
	some k, _ in config.rules.signers.repositories
	lower(k) == lower(concat("/", [input.repository.owner, input.repository.name]))
}

_has_repo_key if _repo_key

pr_signer_entries := config.rules.signers.repositories[_repo_key]

pr_signer_entries := object.get(config, ["rules", "signers", "allowed"], []) if not _has_repo_key

# With the signers rule switched off, any signer the trusted root certifies is accepted.
_signers_on if {
	value_at(config, ["rules", "signers", "enabled"], true)
	not value_at(config, ["rules", "signers", "mode"], "off")
}

pr_signer_ok(_) if not _signers_on

pr_signer_ok(s) if signer_allowed(pr_signer_entries, s)

# The verified statements that cover a commit (tier "sigstore" for bundles; other tiers share the signer shape). A
# recorded input from before the list existed carries its one verified statement as `provenance`.
attestations(c) := c.attestations if not value_at(c, ["provenance", "status"], "verified")

attestations(c) := [object.union(c.provenance, {"tier": "sigstore"})] if value_at(c, ["provenance", "status"], "verified")

# A commit's allowed attestations: those whose tier its agent accepts (pull_request/tiers.rego) and whose signer this
# repository allows, in input order. The model, prompt and approval rules judge every one of them: a claim in any
# allowed statement that a rule objects to counts, whatever the order of the bundles in the pull request's body.
# A platform attestation's signer is the platform itself (the host checked GitHub's own key and the agent account).
provenances(c) := [a |
	some a in attestations(c)
	data.agent_gate.pull_request.tier_accepted(c, a)
	_vouched(a)
]

# The first allowed attestation, for existence tests and display only; undefined when none is.
provenance(c) := allowed[0] if {
	allowed := provenances(c)
	count(allowed) > 0
}

# The attestations the decision rests on for a commit, whatever mode any rule runs in: its allowed ones when it has
# any (the rest are ignored, the signers rule warning of strangers); an agent commit with none rests on every one it
# carries, for only a rule held back (signers or coverage in warn, off or shadow) lets it pass, and the decision then
# rests on exactly those. Every rule that judges statements (model, prompt, the prompters excluded from approving)
# judges these, so a rule in warn only ever stops itself from blocking, never another rule from judging.
judged_attestations(c) := ps if {
	ps := provenances(c)
	count(ps) > 0
}

judged_attestations(c) := attestations(c) if {
	c.is_agent == true
	count(provenances(c)) == 0
}

judged_attestations(c) := [] if {
	not value_at(c, ["is_agent"], true)
	count(provenances(c)) == 0
}

_vouched(a) if a.tier == "platform"

_vouched(a) if {
	a.tier != "platform"
	pr_signer_ok(a.signer)
}
