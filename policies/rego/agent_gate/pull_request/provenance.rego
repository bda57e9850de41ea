# Rules 1-4: provenance coverage, acceptable signers, model governance and the prompt.
# Signatures were verified by the host; these rules judge what the verified evidence says.
package agent_gate.pull_request

import data.agent_gate.lib

# 1. Every agent commit, the head included, is covered by verified provenance. A commit whose only statements come
# from signers this repository does not allow is the signers rule's (below), which names them.
deny contains {
	"rule": "provenance-coverage",
	"severity": "critical",
	"msg": concat("", [commit_label(c), " by ", author_name(c), " carries no verified provenance (", _status_text(c), ")"]),
	"remediation": _coverage_remediation(c),
	"details": {
		"sha": c.sha,
		"head": c.sha == head_sha,
		"status": object.get(c, ["provenance", "status"], "missing"),
		"failure_code": object.get(c, ["provenance", "failure_code"], null),
	},
} if {
	enabled("provenance_coverage")
	some c in input.commits
	agent_commit(c)
	not attested(c)
}

_status_text(c) := concat("", ["verification failed: ", c.provenance.failure_code]) if {
	c.provenance.status == "invalid"
	is_string(c.provenance.failure_code)
}

_status_text(c) := "verification failed" if {
	c.provenance.status == "invalid"
	not lib.string_at(c, ["provenance", "failure_code"])
}

_status_text(c) := "none found" if not lib.value_at(c, ["provenance", "status"], "invalid")

_coverage_remediation(c) := "re-create the provenance from the agent workflow; the attached bundle does not verify" if {
	c.provenance.status == "invalid"
}

_coverage_remediation(c) := "re-run the agent workflow's attest step for this push, or have a human author the commit" if {
	not lib.value_at(c, ["provenance", "status"], "invalid")
}

# 2. The signer is one this repository accepts: rules.signers.repositories[OWNER/NAME], else rules.signers.allowed
# (lib.signer_matches: exact identities, anchored RE2 patterns, keys, GitHub workflows by owner, repository, path,
# refs, source and runner). An agent commit covered only by other signers is denied, naming them; a stranger's
# statement beside an allowed one is ignored with a warning (it cannot be allowed to deny: anyone can sign one).
_signer_entries := lib.pr_signer_entries

_signer_text(s) := concat("", ["`", s.identity, "` (issuer `", s.issuer, "`", _runner_note(s), ")"]) if {
	is_string(s.identity)
	is_string(s.issuer)
}

# Named when it is what sets a signer apart: the same workflow on a self-hosted runner.
_runner_note(s) := ", on a self-hosted runner" if s.runner == "self-hosted"

_runner_note(s) := "" if not lib.value_at(s, ["runner"], "self-hosted")

_signer_text(s) := concat("", ["`", s.identity, "`"]) if {
	is_string(s.identity)
	not lib.string_at(s, ["issuer"])
}

_signer_text(s) := concat("", ["key `", s.key_hint, "`"]) if {
	not lib.string_at(s, ["identity"])
	is_string(s.key_hint)
}

_signer_text(s) := "an unnamed signer" if {
	not lib.string_at(s, ["identity"])
	not lib.string_at(s, ["key_hint"])
}

# Signers are judged once per distinct signer, listing the commits that carry it: a pull request of 20 commits from
# one agent run gives one finding, not 20. Only refused signers are collected (a set of objects costs a hash per
# insert), so a pull request whose signers are all allowed builds no set. A signer is named by its identity or key
# and issuer (the certificate's other facts differ per run).
_who(s) := {
	"type": s.type, "identity": object.get(s, "identity", null), "issuer": object.get(s, "issuer", null),
	"key_hint": object.get(s, "key_hint", null), "runner": object.get(s, "runner", null),
}

# Platform attestations name no signer to allow (tiers.rego judges them); attestations of a tier the commit's agent
# does not accept are the coverage rule's (tiers.rego), not a signer's fault.
_signed(c) := [a | some a in lib.attestations(c); a.tier != "platform"; tier_accepted(c, a)]

_unallowed(c) := [a.signer | some a in _signed(c); not lib.pr_signer_ok(a.signer)]

# An agent commit with no allowed attestation rests on every statement it carries (lib.judged_attestations), of any
# tier: with the coverage rule in warn or off a statement of a tier its agent does not accept is what it passes on, so
# the signers rule judges those too, whatever mode the coverage rule runs in.
_refused(c) := [a | some a in lib.attestations(c); a.tier != "platform"; not lib.pr_signer_ok(a.signer)]

_refused_signers contains _who(a.signer) if {
	some c in input.commits
	agent_commit(c)
	not lib.provenance(c)
	some a in _refused(c)
}

_ignored_signers contains _who(s) if {
	some c in input.commits
	lib.provenance(c)
	some s in _unallowed(c)
}

_refused_for(w) := [c.sha |
	some c in input.commits
	agent_commit(c)
	not lib.provenance(c)
	_carries_refused(c, w)
]

_carries_refused(c, w) if {
	some a in _refused(c)
	_who(a.signer) == w
}

_ignored_for(w) := [c.sha |
	some c in input.commits
	lib.provenance(c)
	_carries(c, w)
]

_carries(c, w) if {
	some a in _signed(c)
	_who(a.signer) == w
}

_commit_list(shas) := concat("", [lib.plural(count(shas), "commit"), " ", concat(", ", [lib.short(x) | some x in shas])])

deny contains {
	"rule": "signers",
	"severity": "high",
	"msg": concat("", ["provenance signed by ", _signer_text(w), " is not from an allowed signer for ", repository, " (", _commit_list(shas), ")"]),
	"remediation": "produce the provenance from an allowed agent workflow, or add the signer to rules.signers.allowed in .github/agent-gate.yml on the default branch",
	"details": {"commits": shas, "signer": w, "allowed": _signer_entries},
} if {
	some w in _refused_signers
	shas := _refused_for(w)
}

warn contains {
	"rule": "signers",
	"severity": "low",
	"msg": concat("", ["provenance signed by ", _signer_text(w), " also covers ", _commit_list(shas), "; it is not from an allowed signer for ", repository, " and was ignored"]),
	"remediation": "nothing to do if the allowed signer's provenance is the one meant; anyone can post a validly signed bundle, and only allowed signers count",
	"details": {"commits": shas, "signer": w},
} if {
	some w in _ignored_signers
	shas := _ignored_for(w)
}

# 3. Model governance: the model and version are on the allow-list and not expired; expiring soon warns.
_model_label(m) := concat("@", [m.id, m.version]) if is_string(m.version)

_model_label(m) := m.id if not lib.string_at(m, ["version"])

_model_entries(m) := [e |
	some e in rules.model_governance.allowed
	e.model == m.id
	_version_fits(e, m)
]

_version_fits(e, _) if not lib.string_at(e, ["version"])

_version_fits(e, m) if e.version == m.version

# An entry lives until the day before it expires. Dates "YYYY-MM-DD" compare as text, with no arithmetic (each
# operation is a decimal one in wasm); a malformed date (the host validates them) never keeps an entry alive.
_live(e) if not lib.string_at(e, ["expires"])

_live(e) if {
	lib.is_date(e.expires)
	e.expires > lib.today
}

# Days until each expiry date on the allow-list, computed once per evaluation and only for the warning.
_days_left[d] := lib.days_until(d) if {
	some e in rules.model_governance.allowed
	d := e.expires
	is_string(d)
}

# A lower bound on the days from today to a later date, from years and months alone (each month in between counts
# 28 days): an expiry months away is ruled out of the warning with far less arithmetic than the exact count.
_days_at_least(date) := (((_month_number(date) - _this_month) - 1) * 28) + 1

_month_number(date) := (to_number(substring(date, 0, 4)) * 12) + to_number(substring(date, 5, 2))

_this_month := _month_number(lib.today)

_has_model(c) if is_string(c.provenance.model.id)

# A model as the allow-list judges it: its id and version, whatever role it played.
_model_of(x) := {"id": x.id, "version": x.version} if is_string(x.version)

_model_of(x) := {"id": x.id} if not lib.string_at(x, ["version"])

# Every model a signed statement names is judged: the agent's, and its subagents' and tools' (provenance.models).
_models contains _model_of(c.provenance.model) if {
	some c in attested_commits
	_has_model(c)
}

_models contains _model_of(x) if {
	some c in attested_commits
	some x in object.get(c.provenance, "models", [])
	is_string(x.id)
}

_names(p, m) if _model_of(p.model) == m

_names(p, m) if {
	some x in object.get(p, "models", [])
	is_string(x.id)
	_model_of(x) == m
}

# The agent commits any judged attestation of which names the model, each once, in order.
_naming(m) := [c.sha |
	some c in input.commits
	c.is_agent == true
	_names_any(c, m)
]

_names_any(c, m) if {
	some p in judged_provenances(c)
	_names(p, m)
}

deny contains {
	"rule": "model-governance",
	"severity": "high",
	"msg": concat("", [commit_label(c), ": the provenance names no model"]),
	"remediation": "record the model (provider/model and version) in the agent's provenance",
	"details": {"sha": c.sha},
} if {
	enabled("model_governance")
	rules.model_governance.require_model == true
	some c in attested_commits
	not platform_attested(c)
	not _has_model(c)
}

deny contains {
	"rule": "model-governance",
	"severity": "high",
	"msg": concat("", ["model `", _model_label(m), "` is not on the allow-list (", _commit_list(shas), ")"]),
	"remediation": "move the agent workflow to an approved model, or add the model to rules.model_governance.allowed",
	"details": {"commits": shas, "model": m},
} if {
	enabled("model_governance")
	some m in _models
	count(_model_entries(m)) == 0
	shas := _naming(m)
}

deny contains {
	"rule": "model-governance",
	"severity": "high",
	"msg": concat("", ["model `", _model_label(m), "` left the allow-list on ", _last_expiry(entries), " (", _commit_list(shas), ")"]),
	"remediation": "move the agent workflow to an approved model",
	"details": {"commits": shas, "model": m, "expired": _last_expiry(entries)},
} if {
	enabled("model_governance")
	some m in _models
	entries := _model_entries(m)
	count(entries) > 0
	not _any_live(entries)
	shas := _naming(m)
}

_any_live(entries) if {
	some e in entries
	_live(e)
}

_last_expiry(entries) := max({e.expires | some e in entries})

warn contains {
	"rule": "model-governance",
	"severity": "medium",
	"msg": concat("", [
		"model `", _model_label(m), "` leaves the allow-list on ", until,
		" (in ", format_int(days, 10), " ", lib.plural(days, "day"), ")",
	]),
	"remediation": "move the agent workflow to an approved model before then",
	"details": {"commits": _naming(m), "model": m, "expires": until, "days_left": days},
} if {
	enabled("model_governance")
	some m in _models
	live := [e | some e in _model_entries(m); _live(e)]
	count(live) > 0
	every e in live {
		is_string(e.expires)
	}
	until := _last_expiry(live)
	_days_at_least(until) <= rules.model_governance.warn_days
	days := _days_left[until]
	days <= rules.model_governance.warn_days
}

# 4. Prompt: the provenance carries a prompt digest, and a prompt the host found secrets in is refused.
_digest_ok(d) if {
	is_string(d)
	startswith(d, "sha256:")
	count(d) == 71
}

deny contains {
	"rule": "prompt",
	"severity": "medium",
	"msg": concat("", [commit_label(c), ": the provenance carries no prompt digest"]),
	"remediation": "record the prompt's sha256 digest in the agent's provenance",
	"details": {"sha": c.sha},
} if {
	enabled("prompt")
	rules.prompt.require_digest == true
	some c in attested_commits
	not platform_attested(c)
	not _digest_ok(object.get(c.provenance, ["prompt", "digest"], null))
}

deny contains {
	"rule": "prompt",
	"severity": "critical",
	"msg": concat("", [commit_label(c), ": the prompt contains secret-like content"]),
	"remediation": "rotate the exposed secret, and re-run the agent with a prompt that holds no credentials",
	"details": {"sha": c.sha, "prompt_digest": object.get(c.provenance, ["prompt", "digest"], null)},
} if {
	enabled("prompt")
	rules.prompt.deny_secrets == true
	some c in attested_commits
	c.provenance.prompt.contains_secrets == true
}
