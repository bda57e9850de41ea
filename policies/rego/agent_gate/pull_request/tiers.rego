# Evidence tiers (issue 17): which kinds of evidence cover an agent's commits, per agent
# (rules.provenance_coverage.tiers). sigstore: a verified bundle; signed-commit: the commit's own gitsign signature,
# verified by the host; platform: the agent's platform (GitHub, with its own key) signed a commit of a known agent
# account: it proves who made the commit, never which model or prompt. An agent without an entry takes "default";
# without that, sigstore and signed-commit (the platform tier only where configured).
package agent_gate.pull_request

import data.agent_gate.lib

strict_tiers := ["sigstore", "signed-commit"]

_evidence_tiers := ["sigstore", "signed-commit", "platform"]

_tiers := object.get(rules, ["provenance_coverage", "tiers"], {})

# The tiers an agent's commits may be covered by.
accepted_tiers(agent) := _tiers[agent]

accepted_tiers(agent) := _tiers["default"] if not _tiers[agent]

accepted_tiers(agent) := strict_tiers if {
	not _tiers[agent]
	not _tiers["default"]
}

# The agent a commit's evidence speaks for, as reviewers read it: the host's detection of the commit (or of its pull
# request), and "default" when it names none.
commit_agent(c) := c.agent if is_string(c.agent)

commit_agent(c) := "default" if not lib.string_at(c, ["agent"])

# Every agent name any signal gives the commit (tier_agents: its detection, its pull request's, every covering
# statement's runtime whoever signed it); a platform attestation adds the account's agent. A name anyone can add
# (an unsigned trailer, a statement by a signer the repository does not allow) can only narrow the tiers.
commit_agents(c) := {commit_agent(c)} | {n | some n in object.get(c, "tier_agents", []); is_string(n)}

tier_agents(c, a) := commit_agents(c) | {a.signer.agent} if {
	a.tier == "platform"
	is_string(a.signer.agent)
}

tier_agents(c, a) := commit_agents(c) if not _platform_agent(a)

_platform_agent(a) if {
	a.tier == "platform"
	is_string(a.signer.agent)
}

# The tiers every one of these agents accepts: the strictest.
accepted_by_all(agents) := {t | some t in _evidence_tiers; every n in agents { t in accepted_tiers(n) }}

# Whether this attestation's tier covers this commit (lib.provenance chooses among those that do).
tier_accepted(c, a) if {
	a.tier != "platform"
	a.tier in accepted_by_all(tier_agents(c, a))
}

# A platform signature counts only in a pull request that the same agent account opened: GitHub signs with the same
# key the commits that anyone with write access creates through its API, under the agent's address as author.
tier_accepted(c, a) if {
	a.tier == "platform"
	a.tier in accepted_by_all(tier_agents(c, a))
	input.pull_request.author.id == a.signer.account.id
}

_any_tier_accepted(c) if {
	some a in lib.attestations(c)
	tier_accepted(c, a)
}

_tier_list(ts) := concat(", ", sort(ts))

# The agents a commit's evidence was judged for (every name any signal gives it).
_judged_agents(c) := commit_agents(c) | {a.signer.agent | some a in lib.attestations(c); _platform_agent(a)}

_not_accepted_for(agents) := concat("", [a, " (accepted: "]) if {
	count(agents) == 1
	some a in agents
}

_not_accepted_for(agents) := concat("", ["all of ", concat(", ", sort(agents)), " (accepted by all: "]) if count(agents) > 1

# An agent commit whose only evidence is of tiers its agents do not all accept: not covered, saying which tiers would be.
deny contains {
	"rule": "provenance-coverage",
	"severity": "critical",
	"msg": concat("", [
		commit_label(c), " by ", author_name(c), " carries only ", _tier_list(given), " evidence, which is not accepted for ",
		_not_accepted_for(agents), _accepted_list(accepted), ")", _platform_note(given),
	]),
	"remediation": "sign the agent's commits with an accepted kind of evidence, or accept the tier for these agents in rules.provenance_coverage.tiers in .github/agent-gate.yml on the default branch",
	"details": {"sha": c.sha, "head": c.sha == head_sha, "agent": commit_agent(c), "agents": sort(agents), "tiers": given, "accepted": accepted},
} if {
	enabled("provenance_coverage")
	some c in input.commits
	agent_commit(c)
	count(lib.attestations(c)) > 0
	not _any_tier_accepted(c)
	given := {a.tier | some a in lib.attestations(c)}
	agents := _judged_agents(c)
	accepted := [t | some t in _evidence_tiers; t in accepted_by_all(agents)]
}

_accepted_list(ts) := _tier_list(ts) if count(ts) > 0

_accepted_list(ts) := "none" if count(ts) == 0

_platform_note(given) := "; a platform signature counts only in a pull request the agent's own account opened" if {
	"platform" in given
	not input.pull_request.author.id in {a.signer.account.id | some c in input.commits; some a in lib.attestations(c); a.tier == "platform"}
}

_platform_note(given) := "" if {
	"platform" in given
	input.pull_request.author.id in {a.signer.account.id | some c in input.commits; some a in lib.attestations(c); a.tier == "platform"}
}

_platform_note(given) := "" if not "platform" in given

platform_attested(c) if c.provenance.tier == "platform"

# The commit's only allowed evidence is the platform's signature (judged_provenances holds platform ones then only).
_platform_only(c) if {
	some p in judged_provenances(c)
	p.tier == "platform"
}

_not_attested := "the platform's signature proves who made the commit, not which model or prompt"

# A platform-tier commit names no model and no prompt: "not attested", a denial where the rule requires them.
deny contains {
	"rule": "model-governance",
	"severity": "high",
	"msg": concat("", [commit_label(c), ": model not attested (tier platform: ", _not_attested, ")"]),
	"remediation": "cover the agent's commits with sigstore or signed-commit evidence that names the model, or set rules.model_governance.require_model to false",
	"details": {"sha": c.sha, "tier": "platform"},
} if {
	enabled("model_governance")
	rules.model_governance.require_model == true
	some c in attested_commits
	platform_attested(c)
}

deny contains {
	"rule": "prompt",
	"severity": "medium",
	"msg": concat("", [commit_label(c), ": prompt digest not attested (tier platform: ", _not_attested, ")"]),
	"remediation": "cover the agent's commits with sigstore or signed-commit evidence that carries the prompt digest, or set rules.prompt.require_digest to false",
	"details": {"sha": c.sha, "tier": "platform"},
} if {
	enabled("prompt")
	rules.prompt.require_digest == true
	some c in attested_commits
	platform_attested(c)
}

# Where the rules do not require them, the reviewer still reads that they were not attested.
warn contains {
	"rule": "provenance-coverage",
	"severity": "low",
	"msg": concat("", [lib.plural(count(shas), "commit"), " ", concat(", ", [lib.short(x) | some x in shas]), " covered by tier platform: model and prompt not attested"]),
	"remediation": "nothing to do if the platform's word on who made the commits is enough for this agent",
	"details": {"commits": shas, "tier": "platform"},
} if {
	enabled("provenance_coverage")
	shas := [c.sha | some c in input.commits; c.is_agent == true; _platform_only(c)]
	count(shas) > 0
	not _platform_denied
}

_platform_denied if {
	enabled("model_governance")
	rules.model_governance.require_model == true
}

_platform_denied if {
	enabled("prompt")
	rules.prompt.require_digest == true
}
